"""PII classifications and compliance decisions in the governance store.

Each gated batch has one classification (replaced when the gate runs again) and a history of
decision rows: ``not_required`` when the policy passed it, ``pending`` while a compliance officer
is asked, then ``approved`` or ``rejected`` with who, when and why. A re-run of the gate updates
the batch's latest row when nobody has answered it yet (``pending``) or when it comes to the same
``not_required``, so re-runs do not grow the history; after an answer it adds a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict, cast, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiliu.errors import TerminalError
from huiliu.store.db import session_scope
from huiliu.store.models import PiiClassification, PiiDecision, utcnow
from huiliu.store.statuses import DecisionStatus

if TYPE_CHECKING:  # the records only: this module is imported where the PII engine is not needed
    from huiliu.pii.classify import StoredColumn
    from huiliu.pii.drift import DriftRecord
    from huiliu.pii.findings import FreeTextRecord
    from huiliu.pii.policy import PolicyFindingRecord

POLICY_ACTOR = "huiliu PII policy"
"""Who decided a batch that needed nobody's approval."""
NOT_REQUIRED_REASON = "未发现超出契约许可的个人信息 / no personal information beyond what the contract allows"


class PiiDecisionError(TerminalError):
    """A decision that cannot be recorded (no pending request, no reason given …)."""


class ClassificationFields(TypedDict, total=False):
    """What :func:`save_classification` stores of a batch's classification (the PII gate gives
    every key; a key left out keeps the stored value, or the column's default)."""

    rows: int
    sampled_rows: int
    columns: list[StoredColumn]
    free_text: dict[str, FreeTextRecord]
    drift: DriftRecord
    status: str
    findings: list[PolicyFindingRecord]


class StoredClassification(TypedDict):
    """A batch's stored classification as plain data (:func:`classification_of`).

    Attributes:
        batch_id: the landing batch.
        dataset: the dataset.
        rows: rows of the batch.
        sampled_rows: rows the classification sampled.
        columns: each column's classification and declared entity types.
        free_text: free-text column → what the row-by-row scan found.
        drift: the drift against the previous batch (empty for the first).
        status: ``pass`` or ``needs_approval``.
        findings: the policy's findings, held ones first.
        classified_at: when the gate stored it.
    """

    batch_id: str
    dataset: str
    rows: int
    sampled_rows: int
    columns: list[StoredColumn]
    free_text: dict[str, FreeTextRecord]
    drift: DriftRecord
    status: str
    findings: list[PolicyFindingRecord]
    classified_at: datetime


class DecisionRecord(TypedDict):
    """A :class:`Decision` as JSON (times in ISO 8601), for reports and Airflow's XCom."""

    id: int
    dataset: str
    batch_id: str
    status: DecisionStatus
    findings: list[PolicyFindingRecord]
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    reason: str | None
    channel: str
    dag_id: str | None
    run_id: str | None


@dataclass(frozen=True)
class Decision:
    """One decision on a batch's personal information.

    Attributes:
        id: the row id.
        dataset: the dataset.
        batch_id: the landing batch.
        status: ``pending``, ``approved``, ``rejected`` or ``not_required``.
        findings: the findings that held the batch (column, entity type, rule, messages).
        requested_at: when the gate asked.
        decided_by: who decided (the policy for ``not_required``).
        decided_at: when.
        reason: why, in the decider's words.
        channel: how the answer came (``policy``, ``airflow_hitl`` …).
        dag_id: the Airflow DAG that asked, if any.
        run_id: the Airflow run that asked, if any.
    """

    id: int
    dataset: str
    batch_id: str
    status: DecisionStatus
    findings: list[PolicyFindingRecord]
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    channel: str
    dag_id: str | None
    run_id: str | None

    def as_dict(self) -> DecisionRecord:
        return {
            "id": self.id,
            "dataset": self.dataset,
            "batch_id": self.batch_id,
            "status": self.status,
            "findings": self.findings,
            "requested_at": self.requested_at.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "reason": self.reason,
            "channel": self.channel,
            "dag_id": self.dag_id,
            "run_id": self.run_id,
        }


@overload
def _utc(moment: datetime) -> datetime: ...
@overload
def _utc(moment: datetime | None) -> datetime | None: ...
def _utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _decision(row: PiiDecision) -> Decision:
    return Decision(
        row.id,
        row.dataset,
        row.batch_id,
        DecisionStatus(row.status),
        list(row.findings or []),
        _utc(row.requested_at),
        row.decided_by,
        _utc(row.decided_at),
        row.reason,
        row.channel,
        row.dag_id,
        row.run_id,
    )


def save_classification(batch_id: str, dataset: str, fields: ClassificationFields) -> None:
    """Insert or replace the classification of one batch."""
    with session_scope() as session:
        record = session.get(PiiClassification, batch_id) or PiiClassification(batch_id=batch_id)
        record.dataset = dataset
        for name, value in fields.items():
            setattr(record, name, value)
        record.classified_at = utcnow()
        session.add(record)


def classification_of(batch_id: str) -> StoredClassification | None:
    """The stored classification of a batch as plain data, or None."""
    with session_scope() as session:
        record = session.get(PiiClassification, batch_id)
        return None if record is None else _classification_data(record)


def classifications(dataset: str) -> list[StoredClassification]:
    """Every stored batch classification of a dataset, oldest first."""
    with session_scope() as session:
        query = (
            select(PiiClassification)
            .where(PiiClassification.dataset == dataset)
            .order_by(PiiClassification.classified_at)
        )
        return [_classification_data(r) for r in session.scalars(query)]


def previous_classification(dataset: str, batch_id: str) -> StoredClassification | None:
    """The latest classification of another batch of the dataset (the one to compare with)."""
    earlier = [c for c in classifications(dataset) if c["batch_id"] != batch_id]
    return earlier[-1] if earlier else None


def _classification_data(record: PiiClassification) -> StoredClassification:
    return {
        "batch_id": record.batch_id,
        "dataset": record.dataset,
        "rows": record.rows,
        "sampled_rows": record.sampled_rows,
        "columns": list(record.columns or []),
        "free_text": dict(record.free_text or {}),
        # the store types its JSON columns dict[str, Any]: the drift is what save_classification stored
        "drift": cast("DriftRecord", dict(record.drift or {})),
        "status": record.status,
        "findings": list(record.findings or []),
        "classified_at": _utc(record.classified_at),
    }


def request_decision(
    dataset: str,
    batch_id: str,
    needs_approval: bool,
    held: list[PolicyFindingRecord],
    airflow_run: tuple[str, str] | None = None,
) -> Decision:
    """Record what the gate asks for: ``pending`` approval, or ``not_required`` (decided by policy)."""
    status = DecisionStatus.PENDING if needs_approval else DecisionStatus.NOT_REQUIRED
    with session_scope() as session:
        latest = _latest_row(session, batch_id)
        if latest is not None and latest.status in (DecisionStatus.PENDING, status):
            row = latest  # not answered yet, or the same answer again: update in place
        else:
            row = PiiDecision(dataset=dataset, batch_id=batch_id)
        row.status = status
        row.findings = held
        row.requested_at = utcnow()
        row.decided_by, row.decided_at = (None, None) if needs_approval else (POLICY_ACTOR, utcnow())
        row.reason = None if needs_approval else NOT_REQUIRED_REASON
        row.channel = "policy"
        row.dag_id, row.run_id = airflow_run or (None, None)
        session.add(row)
        session.flush()
        return _decision(row)


def _latest_row(session: Session, batch_id: str, status: str | None = None) -> PiiDecision | None:
    """The batch's latest row (only when it has ``status``, if given)."""
    latest = session.scalars(
        select(PiiDecision).where(PiiDecision.batch_id == batch_id).order_by(PiiDecision.id.desc()).limit(1)
    ).first()
    return latest if latest is not None and status in (None, latest.status) else None


def record_decision(
    batch_id: str,
    approved: bool,
    decided_by: str,
    reason: str,
    decided_at: datetime | None = None,
    channel: str = "airflow_hitl",
) -> Decision:
    """Record a compliance officer's answer on the batch's pending request.

    Raises:
        PiiDecisionError: no pending request for the batch, or no name or reason given.
    """
    if not decided_by.strip() or not reason.strip():
        raise PiiDecisionError(
            f"batch {batch_id}: a PII decision needs the name of who decided and a reason; give both"
        )
    with session_scope() as session:
        row = _latest_row(session, batch_id, DecisionStatus.PENDING)
        if row is None:
            raise PiiDecisionError(f"batch {batch_id} has no PII approval pending; nothing to decide")
        row.status = DecisionStatus.APPROVED if approved else DecisionStatus.REJECTED
        row.decided_by, row.reason = decided_by.strip(), reason.strip()
        row.decided_at = decided_at or utcnow()
        row.channel = channel
        session.add(row)
        session.flush()
        return _decision(row)


def latest_decision(batch_id: str) -> Decision | None:
    """The batch's latest decision row, or None when the PII gate never ran on it."""
    with session_scope() as session:
        row = _latest_row(session, batch_id)
        return None if row is None else _decision(row)


def pii_rejection(batch_id: str) -> Decision | None:
    """The decision that rejected the batch's personal information, if its latest decision did."""
    decision = latest_decision(batch_id)
    return decision if decision is not None and decision.status == DecisionStatus.REJECTED else None


def check_not_pending(dataset: str, batch_id: str) -> None:
    """Refuse a batch still waiting for a compliance officer (or whose PII check did not finish).

    Raises:
        PiiDecisionError: the batch's latest PII decision is ``pending``.
    """
    decision = latest_decision(batch_id)
    if decision is None or decision.status != DecisionStatus.PENDING:
        return
    what = "; ".join(f"{f['column']}: {f['entity_type']} ({f['rule']})" for f in decision.findings)
    raise PiiDecisionError(
        f"dataset {dataset} batch {batch_id} waits for a PII approval ({what}) and is not gated until a "
        f"compliance officer answers: `huiliu pii approve|reject {dataset} --batch '{batch_id}' --by NAME "
        "--reason TEXT` while its run waits, or re-run the DAG to ask again"
    )


def decision_history(dataset: str | None = None, batch_id: str | None = None) -> list[Decision]:
    """Decisions, oldest first, of a dataset or of one batch."""
    with session_scope() as session:
        query = select(PiiDecision).order_by(PiiDecision.id)
        if dataset is not None:
            query = query.where(PiiDecision.dataset == dataset)
        if batch_id is not None:
            query = query.where(PiiDecision.batch_id == batch_id)
        return [_decision(r) for r in session.scalars(query)]


def pending_decisions(dataset: str | None = None) -> list[Decision]:
    """Requests still waiting for a compliance officer, oldest first."""
    return [d for d in decision_history(dataset) if d.status == DecisionStatus.PENDING]


def return_classification(dataset: str) -> StoredClassification | None:
    """The column classification the return flow uses: the latest batch that passed or was approved."""
    latest: dict[str, str] = {d.batch_id: d.status for d in decision_history(dataset)}
    usable = [
        c
        for c in classifications(dataset)
        if latest.get(c["batch_id"]) in (DecisionStatus.APPROVED, DecisionStatus.NOT_REQUIRED)
    ]
    return usable[-1] if usable else None
