"""The lake maintenance DAG: daily, remove files no table state refers to (``huiliu lake maintain``)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from huiliu.airflow.housekeeping import housekeeping_dag
from huiliu.airflow.records import OrphanRemoval

DAG_ID = "lake_maintenance"
SCHEDULE = "30 3 * * *"  # after the nightly ingestion runs


def remove_orphans_task(older_than_hours: int = 24) -> OrphanRemoval:
    """Remove orphaned files older than the safety window from every lake table; report them."""
    from huiliu.lake.maintenance import remove_orphans

    report = remove_orphans(older_than=timedelta(hours=older_than_hours))
    return {
        "files": sum(len(t.files) for t in report.tables),
        "bytes": sum(t.bytes for t in report.tables),
        "tables": [t.as_dict() for t in report.tables if t.files],
        "key_hash_indexes": report.indexes.removed,
        "key_hash_indexes_error": report.indexes.error,
    }


def build_maintenance_dag() -> DAG:
    return housekeeping_dag(
        DAG_ID,
        description="湖维护: remove lake files that no snapshot or metadata refers to",
        schedule=SCHEDULE,
        tags=["maintenance"],
        retry_delay=timedelta(minutes=10),
        execution_timeout=timedelta(hours=2),
        doc_md="Removes files under each lake table, older than 24 h, that no table state refers to; "
        "the report is the task's return value.",
        task_id="remove_orphans",
        run=remove_orphans_task,
    )
