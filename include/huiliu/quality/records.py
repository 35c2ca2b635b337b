"""Quality runs and quarantine actions in the governance store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final, TypedDict

from pyiceberg.expressions import AlwaysTrue, BooleanExpression, Not
from sqlalchemy import ColumnElement, delete, select, update

from huiliu.quality.row_filters import column_in
from huiliu.store.db import session_scope
from huiliu.store.models import IngestBatch, QualityRun, QuarantineAction, utcnow
from huiliu.store.statuses import BatchStatus, QualityStatus

if TYPE_CHECKING:
    from huiliu.quality.freshness import FreshnessRecord
    from huiliu.quality.verdict import RuleRecord


class QuarantineState(StrEnum):
    """A quarantined row's review state: a steward's decision on it, or none yet.

    ``released`` and ``discarded`` are also the actions ``quarantine_actions.action`` stores.
    """

    PENDING = "pending"
    RELEASED = "released"
    DISCARDED = "discarded"


class QualityRunFields(TypedDict):
    """The columns of a batch's ``quality_runs`` record that the gate sets."""

    suite: str
    status: QualityStatus
    rows_total: int
    rows_curated: int
    rows_quarantined: int
    pass_rate: float | None
    held_reason: str | None
    expectations: list[RuleRecord]
    freshness: FreshnessRecord
    docs_path: str | None


def save_quality_run(batch_id: str, dataset: str, fields: QualityRunFields, started_at: datetime) -> None:
    """Insert or replace the verdict of one batch (a re-run of the gate replaces it)."""
    with session_scope() as session:
        run = session.get(QualityRun, batch_id) or QualityRun(batch_id=batch_id, dataset=dataset)
        for name, value in fields.items():
            setattr(run, name, value)
        run.started_at = started_at
        run.finished_at = utcnow()
        session.add(run)


def quality_runs(dataset: str | None = None) -> list[QualityRun]:
    """Every recorded verdict, oldest first (optionally of one dataset)."""
    with session_scope() as session:
        query = select(QualityRun).order_by(QualityRun.finished_at)
        if dataset is not None:
            query = query.where(QualityRun.dataset == dataset)
        return list(session.scalars(query))


def latest_quality_run(dataset: str) -> QualityRun | None:
    runs = quality_runs(dataset)
    return runs[-1] if runs else None


def record_actions(actions: Iterable[QuarantineAction]) -> None:
    with session_scope() as session:
        session.add_all(list(actions))


RELEASING: Final = "releasing"  # a release recorded before its curated commit, until it is settled


def begin_release(actions: Iterable[QuarantineAction]) -> None:
    """Record a release before its rows are committed to curated (each action ``releasing``)."""
    pending = list(actions)
    for action in pending:
        action.action = RELEASING
    record_actions(pending)


def _release_actions(dataset: str, release_batch_id: str) -> tuple[ColumnElement[bool], ...]:
    """The actions of one release still recorded as ``releasing``."""
    return (
        QuarantineAction.dataset == dataset,
        QuarantineAction.action == RELEASING,
        QuarantineAction.release_batch_id == release_batch_id,
    )


def finish_release(dataset: str, release_batch_id: str) -> None:
    """The release's rows are in curated: its actions become ``released``, all at once."""
    with session_scope() as session:
        session.execute(
            update(QuarantineAction)
            .where(*_release_actions(dataset, release_batch_id))
            .values(action=QuarantineState.RELEASED)
        )


def drop_release(dataset: str, release_batch_id: str) -> None:
    """A release that never reached curated: its rows are pending again."""
    with session_scope() as session:
        session.execute(delete(QuarantineAction).where(*_release_actions(dataset, release_batch_id)))


def releases_in_flight(dataset: str) -> set[str]:
    """Release batch ids recorded but not settled (running now, or interrupted)."""
    with session_scope() as session:
        rows = session.scalars(
            select(QuarantineAction.release_batch_id)
            .where(QuarantineAction.dataset == dataset, QuarantineAction.action == RELEASING)
            .distinct()
        )
        return {str(batch) for batch in rows if batch}


def curated_row_filter(dataset: str) -> BooleanExpression:
    """What readers of ``curated.<dataset>`` scan with: every row but those of releases in flight."""
    in_flight = releases_in_flight(dataset)
    return Not(column_in("_batch_id", in_flight)) if in_flight else AlwaysTrue()


def decided_ids(dataset: str) -> dict[str, QuarantineState]:
    """Quarantine ids of the dataset already released or discarded, with the action taken."""
    with session_scope() as session:
        rows = session.execute(
            select(QuarantineAction.quarantine_id, QuarantineAction.action)
            .where(QuarantineAction.dataset == dataset)
            .where(QuarantineAction.action.in_((QuarantineState.RELEASED, QuarantineState.DISCARDED)))
        )
        return {str(qid): QuarantineState(action) for qid, action in rows.tuples()}


def actions_of(dataset: str, quarantine_id: str | None = None) -> list[QuarantineAction]:
    with session_scope() as session:
        query = (
            select(QuarantineAction).where(QuarantineAction.dataset == dataset).order_by(QuarantineAction.at)
        )
        if quarantine_id is not None:
            query = query.where(QuarantineAction.quarantine_id == quarantine_id)
        return list(session.scalars(query))


def ungated_batches(dataset: str) -> list[str]:
    """Committed landing batches with no verdict yet, or landed again after their last verdict.

    A gate run that failed or was interrupted leaves its batch here, so the next run gates it.
    """
    with session_scope() as session:
        query = (
            select(IngestBatch.batch_id)
            .outerjoin(QualityRun, QualityRun.batch_id == IngestBatch.batch_id)
            .where(IngestBatch.dataset == dataset, IngestBatch.status == BatchStatus.COMMITTED)
            .where((QualityRun.batch_id.is_(None)) | (QualityRun.finished_at < IngestBatch.finished_at))
            .order_by(IngestBatch.started_at)
        )
        return list(session.scalars(query))
