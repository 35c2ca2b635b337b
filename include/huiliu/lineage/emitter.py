"""Emit OpenLineage events: always into the governance store, and to a backend when one is set.

The stored copy is the system of record for huiliu's lineage queries; the backend (Marquez, a
data catalogue, ...) is optional. Configure it the way the openlineage-python client is
configured: `OPENLINEAGE_URL` (and `OPENLINEAGE_API_KEY`, `OPENLINEAGE_ENDPOINT`), an
`openlineage.yml` (`OPENLINEAGE_CONFIG`, the working directory or `~/.openlineage/`), or
`OPENLINEAGE__TRANSPORT__*` variables. `OPENLINEAGE_DISABLED=true` turns the backend off.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import RunEvent, RunState

from huiliu.lineage.events import build_run_event, event_to_dict, new_run_id
from huiliu.lineage.naming import DatasetRef
from huiliu.settings import get_settings
from huiliu.store.db import session_scope
from huiliu.store.models import LineageDatasetEdge, LineageEventRecord

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60.0
"""After a failed send, events are only stored (not sent) for this long."""

_CONFIG_VARIABLES = ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG")
_INTERRUPTIONS = (KeyboardInterrupt, SystemExit, GeneratorExit)
_TRANSPORT_PREFIX = "OPENLINEAGE__TRANSPORT__"


def backend_configured() -> bool:
    """Whether the environment configures an OpenLineage backend for the client to send to."""
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    if any(os.environ.get(name) for name in _CONFIG_VARIABLES):
        return True
    if any(name.startswith(_TRANSPORT_PREFIX) for name in os.environ):
        return True
    return OpenLineageClient._find_yaml_config_path() is not None


class LineageEmitter:
    """Stores every event in `lineage_events`/`lineage_edges` and sends it to the backend, if any.

    Args:
        store_url: SQLAlchemy URL of the governance store; the configured store when omitted.
        client: The client to send with; `None` to only store; `"auto"` (default) builds one
            only when `backend_configured()`, so an unconfigured install prints nothing.
        retry_after: Seconds to skip sending after a failed send (events are still stored).
    """

    def __init__(
        self,
        store_url: str | None = None,
        client: OpenLineageClient | Literal["auto"] | None = "auto",
        retry_after: float = RETRY_AFTER_SECONDS,
    ) -> None:
        self.store_url = store_url
        self.client: OpenLineageClient | None = _auto_client() if client == "auto" else client
        self.retry_after = retry_after
        self._paused_until = 0.0

    def emit(self, event: RunEvent) -> None:
        """Store the event, then send it. Only the store can fail the call; sending never does."""
        self.store(event)
        self.send(event)

    def store(self, event: RunEvent) -> int:
        """Write the event and one edge per distinct input and output dataset; return the row id."""
        with session_scope(self.store_url) as session:
            record = _event_record(event)
            session.add(record)
            session.flush()
            session.add_all(_edges(record.id, event))
            return record.id

    def send(self, event: RunEvent) -> bool:
        """Send the event to the backend; log a warning (never the payload) if that fails.

        Returns:
            Whether the event was handed to the backend.
        """
        if self.client is None or time.monotonic() < self._paused_until:
            return False
        try:
            self.client.emit(copy.deepcopy(event))
        except Exception as exc:  # any transport error: the stored copy is enough
            self._paused_until = time.monotonic() + self.retry_after
            log.warning(
                "could not send OpenLineage %s event of job %s/%s (run %s) to the lineage backend (%s); "
                "it is kept in the governance store, and sending pauses for %.0f s",
                _event_type(event),
                event.job.namespace,
                event.job.name,
                event.run.runId,
                type(exc).__name__,
                self.retry_after,
            )
            return False
        return True


class _RunContext(TypedDict):
    """What every event of one run repeats: its parent run and nominal time."""

    parent: tuple[str, str, str] | None
    nominal_time: datetime | None


@dataclass
class RunHandle:
    """A run in progress: add outputs, output facets and run facets before it completes."""

    run_id: str
    job: str
    namespace: str
    inputs: list[DatasetRef]
    outputs: list[DatasetRef]
    run_facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)

    def add_input(self, ref: DatasetRef) -> None:
        """Record one more dataset read (replacing an equal one, facets included)."""
        self.inputs = _put(self.inputs, ref)

    def add_output(self, ref: DatasetRef) -> None:
        """Record one more dataset written (replacing an equal one, facets included)."""
        self.outputs = _put(self.outputs, ref)

    def set_output_facets(self, target: DatasetRef | str, **facets: Any) -> None:
        """Add facets to an output, e.g. `outputStatistics=output_statistics_facet(rows, size)`.

        Args:
            target: The output, as a ref (added when not yet an output) or by dataset name.
            **facets: Facets by key; output facets go to `outputFacets`, others to `facets`.

        Raises:
            KeyError: `target` is a name that matches no output.
        """
        current = self._output(target)
        self.outputs = _put(self.outputs, current.with_facets(**facets))

    def _output(self, target: DatasetRef | str) -> DatasetRef:
        for ref in self.outputs:
            if ref == target or ref.name == target:
                return ref
        if isinstance(target, DatasetRef):
            return target
        raise KeyError(f"{target!r} is not an output of run {self.run_id} of job {self.job}")


@contextmanager
def track_run(
    emitter: LineageEmitter,
    *,
    job: str,
    inputs: list[DatasetRef],
    outputs: list[DatasetRef] | Callable[[], list[DatasetRef]] | None = None,
    run_id: str | None = None,
    parent: tuple[str, str, str] | None = None,
    job_facets: dict[str, Any] | None = None,
    run_facets: dict[str, Any] | None = None,
    nominal_time: datetime | None = None,
    namespace: str | None = None,
) -> Iterator[RunHandle]:
    """Emit START, run the body, then emit COMPLETE; or FAIL and re-raise.

    A body that raises emits FAIL with an `errorMessage` facet (`Type: str(exc)`), an interrupted
    one (KeyboardInterrupt, SystemExit) emits ABORT; either way the exception propagates.

    Args:
        emitter: Where events go.
        job: The job name (see `huiliu.lineage.naming.job_name`).
        inputs: Datasets the run reads (more can be added on the handle).
        outputs: Datasets the run writes, or a callable giving them once the body has finished
            (called only on success; its refs are added after those set on the handle).
        run_id: The run's UUID; a new UUIDv7 when omitted.
        parent: `(namespace, job, run_id)` of the Airflow DAG run.
        job_facets: Job facets for every event of the run.
        run_facets: Run facets for every event of the run (more can be set on the handle).
        nominal_time: The scheduled time of the run.
        namespace: The job namespace; `Settings.lineage_namespace` when omitted.

    Yields:
        The handle of the run.
    """
    handle = RunHandle(
        run_id=run_id or new_run_id(),
        job=job,
        namespace=namespace or get_settings().lineage_namespace,
        inputs=list(inputs),
        outputs=[] if outputs is None or callable(outputs) else list(outputs),
        run_facets=dict(run_facets or {}),
        job_facets=dict(job_facets or {}),
    )
    context: _RunContext = {"parent": parent, "nominal_time": nominal_time}
    emitter.emit(_event(handle, RunState.START, **context))
    try:
        yield handle
        if callable(outputs):
            for ref in outputs():
                if ref not in handle.outputs:
                    handle.add_output(ref)
    except BaseException as exc:
        _emit_failure(emitter, handle, exc, context)
        raise
    emitter.emit(_event(handle, RunState.COMPLETE, **context))


def _emit_failure(
    emitter: LineageEmitter, handle: RunHandle, exc: BaseException, context: _RunContext
) -> None:
    """ABORT for interruptions, FAIL (with the error) otherwise; a store error never hides `exc`."""
    state = RunState.ABORT if isinstance(exc, _INTERRUPTIONS) else RunState.FAIL
    error = exc if state is RunState.FAIL else None
    try:
        emitter.emit(_event(handle, state, error=error, **context))
    except Exception as store_error:
        log.warning(
            "could not record the %s of run %s of job %s (%s); the original error follows",
            state.value,
            handle.run_id,
            handle.job,
            type(store_error).__name__,
        )


def _event(
    handle: RunHandle,
    state: RunState,
    error: BaseException | None = None,
    *,
    parent: tuple[str, str, str] | None,
    nominal_time: datetime | None,
) -> RunEvent:
    return build_run_event(
        state,
        run_id=handle.run_id,
        job=handle.job,
        namespace=handle.namespace,
        inputs=handle.inputs,
        outputs=handle.outputs,
        error=error,
        run_facets=handle.run_facets,
        job_facets=handle.job_facets,
        parent=parent,
        nominal_time=nominal_time,
    )


def _put(refs: list[DatasetRef], ref: DatasetRef) -> list[DatasetRef]:
    if ref in refs:
        return [ref if existing == ref else existing for existing in refs]
    return [*refs, ref]


def _auto_client() -> OpenLineageClient | None:
    if not backend_configured():
        return None
    return OpenLineageClient()


def _event_type(event: RunEvent) -> str:
    event_type = event.eventType
    return event_type.value if isinstance(event_type, RunState) else str(event_type or RunState.OTHER.value)


def _event_record(event: RunEvent) -> LineageEventRecord:
    return LineageEventRecord(
        event_time=_parse_time(event.eventTime),
        event_type=_event_type(event),
        run_id=event.run.runId,
        job_namespace=event.job.namespace,
        job_name=event.job.name,
        payload=event_to_dict(event),
    )


def _edges(event_id: int, event: RunEvent) -> list[LineageDatasetEdge]:
    edges: list[LineageDatasetEdge] = []
    for direction, datasets in (("input", event.inputs or []), ("output", event.outputs or [])):
        seen: set[tuple[str, str]] = set()
        for dataset in datasets:
            key = (dataset.namespace, dataset.name)
            if key in seen:
                continue
            seen.add(key)
            edges.append(
                LineageDatasetEdge(
                    event_id=event_id, direction=direction, dataset_namespace=key[0], dataset_name=key[1]
                )
            )
    return edges


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
