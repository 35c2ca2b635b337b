"""Lineage questions answered from the events in the governance store.

The dataset graph is built from COMPLETE events only: a run that completed read its inputs and
wrote its outputs; a run that failed or was aborted wrote nothing that counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypedDict

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from huiliu.lineage.naming import DatasetRef
from huiliu.store.db import session_scope
from huiliu.store.models import LineageDatasetEdge, LineageEventRecord

_TERMINAL = ("COMPLETE", "FAIL", "ABORT")
_Key: TypeAlias = tuple[str, str]


class DatasetName(TypedDict):
    """A dataset a run read or wrote, as its events name it."""

    namespace: str
    name: str


class RunSummary(TypedDict):
    """One run of a job, summarised from its events (see :func:`runs_of_job`)."""

    run_id: str
    job_namespace: str
    job_name: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    inputs: list[DatasetName]
    outputs: list[DatasetName]
    error: str | None
    parent_run_id: str | None


def runs_of_job(job: str, store_url: str | None = None, namespace: str | None = None) -> list[RunSummary]:
    """The runs of a job, oldest first, each summarised from its events.

    Args:
        job: The job name, e.g. `ingest.resident_registry.land`.
        store_url: The governance store; the configured one when omitted.
        namespace: Only runs in this job namespace; any namespace when omitted.

    Returns:
        One :class:`RunSummary` dict per run: `run_id`, `job_namespace`, `job_name`, `state`
        (the last event type), `started_at`, `ended_at` (None while running), `inputs` and
        `outputs` (lists of `{"namespace", "name"}`, from the latest event that lists them),
        `error` (the FAIL message or None) and `parent_run_id`.
    """
    query = select(LineageEventRecord).where(LineageEventRecord.job_name == job)
    if namespace is not None:
        query = query.where(LineageEventRecord.job_namespace == namespace)
    query = query.order_by(LineageEventRecord.event_time, LineageEventRecord.id)
    with session_scope(store_url) as session:
        records = list(session.scalars(query))
    runs: dict[str, list[LineageEventRecord]] = defaultdict(list)
    for record in records:
        runs[record.run_id].append(record)
    return [_summary(events) for events in runs.values()]


def downstream(
    namespace: str, name: str, since: datetime | None = None, store_url: str | None = None
) -> list[DatasetRef]:
    """Datasets written, directly or transitively, by completed runs that read this dataset.

    Args:
        namespace: Namespace of the dataset, e.g. `postgres://db.gongan:5432`.
        name: Name of the dataset.
        since: Only datasets written at or after this time by a run on the path (the hops before
            it may be older: data landed in January and delivered in March counts for "since
            February"). Naive datetimes are UTC.
        store_url: The governance store; the configured one when omitted.

    Returns:
        The datasets, nearest first, each once, without the dataset itself.
    """
    cutoff = _utc(since) if since is not None else None
    with session_scope(store_url) as session:
        return _walk(session, (namespace, name), "input", "output", cutoff)


def upstream(namespace: str, name: str, store_url: str | None = None) -> list[DatasetRef]:
    """Datasets read, directly or transitively, by completed runs that wrote this dataset.

    Returns:
        The datasets, nearest first, each once, without the dataset itself.
    """
    with session_scope(store_url) as session:
        return _walk(session, (namespace, name), "output", "input", None)


def _walk(session: Session, start: _Key, via: str, to: str, cutoff: datetime | None) -> list[DatasetRef]:
    """Breadth-first over runs: from datasets on the `via` side of a run to its `to` side."""
    order: list[_Key] = []
    seen: set[_Key] = {start}
    latest: dict[_Key, datetime] = {}
    frontier: set[_Key] = {start}
    while frontier:
        hops = _hops(session, frontier, via, to)
        frontier = set()
        for key in sorted(hops):
            if key != start and (key not in latest or hops[key] > latest[key]):
                latest[key] = hops[key]
            if key in seen:
                continue
            seen.add(key)
            order.append(key)
            frontier.add(key)
    return [DatasetRef(*key) for key in order if cutoff is None or latest[key] >= cutoff]


def _hops(session: Session, frontier: Iterable[_Key], via: str, to: str) -> dict[_Key, datetime]:
    """Datasets one completed run away from `frontier`, with the latest time of such a run."""
    near, far = aliased(LineageDatasetEdge), aliased(LineageDatasetEdge)
    in_frontier = or_(
        *(and_(near.dataset_namespace == ns, near.dataset_name == nm) for ns, nm in sorted(frontier))
    )
    query = (
        select(far.dataset_namespace, far.dataset_name, LineageEventRecord.event_time)
        .join(near, near.event_id == LineageEventRecord.id)
        .join(far, far.event_id == LineageEventRecord.id)
        .where(LineageEventRecord.event_type == "COMPLETE", near.direction == via, far.direction == to)
        .where(in_frontier)
    )
    latest: dict[_Key, datetime] = {}
    for dataset_namespace, dataset_name, event_time in session.execute(query):
        key, moment = (dataset_namespace, dataset_name), _utc(event_time)
        if key not in latest or moment > latest[key]:
            latest[key] = moment
    return latest


def _summary(events: list[LineageEventRecord]) -> RunSummary:
    first, last = events[0], events[-1]
    start = next((e for e in events if e.event_type == "START"), first)
    end = next((e for e in reversed(events) if e.event_type in _TERMINAL), None)
    listed = [e.payload for e in events]
    return {
        "run_id": first.run_id,
        "job_namespace": first.job_namespace,
        "job_name": first.job_name,
        "state": last.event_type,
        "started_at": _utc(start.event_time),
        "ended_at": _utc(end.event_time) if end is not None else None,
        "inputs": _datasets(listed, "inputs"),
        "outputs": _datasets(listed, "outputs"),
        "error": _error(end.payload) if end is not None else None,
        "parent_run_id": _parent_run_id(first.payload),
    }


def _datasets(payloads: list[dict[str, Any]], side: str) -> list[DatasetName]:
    for payload in reversed(payloads):
        if payload.get(side):
            return [{"namespace": d["namespace"], "name": d["name"]} for d in payload[side]]
    return []


def _error(payload: dict[str, Any]) -> str | None:
    facet = (payload.get("run", {}).get("facets") or {}).get("errorMessage")
    return facet.get("message") if facet else None


def _parent_run_id(payload: dict[str, Any]) -> str | None:
    facet = (payload.get("run", {}).get("facets") or {}).get("parent")
    return facet["run"]["runId"] if facet else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
