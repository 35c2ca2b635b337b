"""OpenLineage events for every huiliu task, kept in the governance store and optionally sent on.

* `huiliu.lineage.naming`: the naming scheme of jobs and datasets (`DatasetRef`, `lake_dataset`,
  `source_dataset`, `file_dataset`, `job_name`).
* `huiliu.lineage.events`: pure builders of run events and facets.
* `huiliu.lineage.emitter`: `LineageEmitter` (store, then send) and the `track_run` context manager.
* `huiliu.lineage.queries`: `runs_of_job`, `upstream`, `downstream`.
"""

from huiliu.lineage.naming import PRODUCER

__all__ = ["PRODUCER"]
