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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiliu.errors import TerminalError
from huiliu.store.db import session_scope
from huiliu.store.models import PiiClassification, PiiDecision, utcnow
from huiliu.store.statuses import DecisionStatus

POLICY_ACTOR = "huiliu PII policy"
"""Who decided a batch that needed nobody's approval."""
NOT_REQUIRED_REASON = "未发现超出契约许可的个人信息 / no personal information beyond what the contract allows"


class PiiDecisionError(TerminalError):
    """A decision that cannot be recorded (no pending request, no reason given …)."""


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
    findings: list[dict[str, Any]]
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    channel: str
    dag_id: str | None
    run_id: str | None

    def as_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("requested_at", "decided_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


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
        _utc(row.requested_at),  # type: ignore[arg-type]
        row.decided_by,
        _utc(row.decided_at),
        row.reason,
        row.channel,
        row.dag_id,
        row.run_id,
    )


def save_classification(batch_id: str, dataset: str, fields: dict[str, Any]) -> None:
    """Insert or replace the classification of one batch."""
    with session_scope() as session:
        record = session.get(PiiClassification, batch_id) or PiiClassification(batch_id=batch_id)
        record.dataset = dataset
        for name, value in fields.items():
            setattr(record, name, value)
        record.classified_at = utcnow()
        session.add(record)


def classification_of(batch_id: str) -> dict[str, Any] | None:
    """The stored classification of a batch as plain data, or None."""
    with session_scope() as session:
        record = session.get(PiiClassification, batch_id)
        return None if record is None else _classification_data(record)


def classifications(dataset: str) -> list[dict[str, Any]]:
    """Every stored batch classification of a dataset, oldest first."""
    with session_scope() as session:
        query = (
            select(PiiClassification)
            .where(PiiClassification.dataset == dataset)
            .order_by(PiiClassification.classified_at)
        )
        return [_classification_data(r) for r in session.scalars(query)]


def previous_classification(dataset: str, batch_id: str) -> dict[str, Any] | None:
    """The latest classification of another batch of the dataset (the one to compare with)."""
    earlier = [c for c in classifications(dataset) if c["batch_id"] != batch_id]
    return earlier[-1] if earlier else None


def _classification_data(record: PiiClassification) -> dict[str, Any]:
    return {
        "batch_id": record.batch_id,
        "dataset": record.dataset,
        "rows": record.rows,
        "sampled_rows": record.sampled_rows,
        "columns": list(record.columns or []),
        "free_text": dict(record.free_text or {}),
        "drift": dict(record.drift or {}),
        "status": record.status,
        "findings": list(record.findings or []),
        "classified_at": _utc(record.classified_at),
    }


def request_decision(
    dataset: str,
    batch_id: str,
    needs_approval: bool,
    held: list[dict[str, Any]],
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


def return_classification(dataset: str) -> dict[str, Any] | None:
    """The column classification the return flow uses: the latest batch that passed or was approved."""
    latest: dict[str, str] = {d.batch_id: d.status for d in decision_history(dataset)}
    usable = [
        c
        for c in classifications(dataset)
        if latest.get(c["batch_id"]) in (DecisionStatus.APPROVED, DecisionStatus.NOT_REQUIRED)
    ]
    return usable[-1] if usable else None
