"""Reconciliation runs and the records they flag, in the governance store.

A run is stored once per run key: saving a run with a key already stored replaces that earlier run
and its flags in one transaction, so re-running a schedule is idempotent. The flags that count are
those of the latest run (the one that started last).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select

from huiliu.reconciliation.masking import display_key
from huiliu.reconciliation.results import CheckResult
from huiliu.store.db import session_scope
from huiliu.store.models import QualityFlag, ReconciliationRun

RECORD_KEY_LENGTH = 200
"""Longest record key the store keeps (``quality_flags.record_key``)."""


@dataclass(frozen=True)
class StoredRun:
    """A reconciliation run as stored."""

    run_id: str
    run_key: str
    status: str
    summary: list[dict[str, Any]]
    report_path: str | None
    started_at: datetime
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class StoredFlag:
    """A flagged record of a stored run."""

    run_id: str
    check: str
    dataset: str
    record_key: str
    detail: str
    flagged_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def save_run(run: StoredRun, results: Sequence[CheckResult]) -> int:
    """Store a run and every flag of its results, replacing an earlier run with the same run key.

    Returns:
        How many flags were stored.
    """
    rows = list(_flag_rows(run.run_id, results))
    with session_scope() as session:
        earlier = select(ReconciliationRun.id).where(ReconciliationRun.run_key == run.run_key)
        session.execute(delete(QualityFlag).where(QualityFlag.run_id.in_(earlier)))
        session.execute(delete(ReconciliationRun).where(ReconciliationRun.run_key == run.run_key))
        session.add(_run_record(run))
        session.flush()
        if rows:
            session.execute(insert(QualityFlag), rows)
    return len(rows)


def latest_run() -> StoredRun | None:
    """The run that started last, or ``None`` before the first run."""
    with session_scope() as session:
        record = session.scalars(_latest()).first()
        return _stored_run(record) if record is not None else None


def run_by_key(run_key: str) -> StoredRun | None:
    """The stored run of a run key, if any."""
    with session_scope() as session:
        record = session.scalars(
            select(ReconciliationRun).where(ReconciliationRun.run_key == run_key)
        ).first()
        return _stored_run(record) if record is not None else None


def flags_for(
    dataset: str | None = None, *, check: str | None = None, run_id: str | None = None
) -> list[StoredFlag]:
    """The records flagged by the latest run (or by ``run_id``), optionally of one dataset or check.

    Args:
        dataset: Only flags of this dataset.
        check: Only flags raised by this check.
        run_id: The run to list; the latest run when omitted.
    """
    with session_scope() as session:
        wanted = run_id or session.scalars(_latest().with_only_columns(ReconciliationRun.id)).first()
        if wanted is None:
            return []
        query = select(QualityFlag).where(QualityFlag.run_id == wanted)
        if dataset is not None:
            query = query.where(QualityFlag.dataset == dataset)
        if check is not None:
            query = query.where(QualityFlag.check == check)
        query = query.order_by(QualityFlag.check, QualityFlag.dataset, QualityFlag.record_key)
        return [_stored_flag(f) for f in session.scalars(query)]


def _latest() -> Any:
    return select(ReconciliationRun).order_by(
        ReconciliationRun.started_at.desc(), ReconciliationRun.id.desc()
    )


def _flag_rows(run_id: str, results: Iterable[CheckResult]) -> Iterable[dict[str, Any]]:
    """Flags as stored: a key made of personal information (a disability certificate number holds
    the holder's ID number) is stored masked, as the department's own systems display it."""
    from huiliu.contracts import load_contracts

    contracts = load_contracts()
    for result in results:
        for flag in result.flags:
            yield {
                "run_id": run_id,
                "check": result.name,
                "dataset": flag.dataset,
                "record_key": display_key(flag.record_key, contracts.get(flag.dataset))[:RECORD_KEY_LENGTH],
                "detail": flag.detail,
            }


def _run_record(run: StoredRun) -> ReconciliationRun:
    return ReconciliationRun(
        id=run.run_id,
        run_key=run.run_key,
        status=run.status,
        summary=run.summary,
        report_path=run.report_path,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _stored_run(record: ReconciliationRun) -> StoredRun:
    return StoredRun(
        run_id=record.id,
        run_key=record.run_key,
        status=record.status,
        summary=list(record.summary or []),
        report_path=record.report_path,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


def _stored_flag(record: QualityFlag) -> StoredFlag:
    return StoredFlag(
        run_id=record.run_id,
        check=record.check,
        dataset=record.dataset,
        record_key=record.record_key,
        detail=record.detail,
        flagged_at=record.flagged_at,
    )
