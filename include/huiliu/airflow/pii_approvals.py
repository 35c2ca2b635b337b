"""Answer PII approvals without the UI, through Airflow's own human-in-the-loop response path.

A pending approval is a ``pending`` decision in the governance store (what holds which batch) and
a ``pii_approval`` task of the same Airflow run waiting in ``awaiting_input``. An answer is given
the way the Required Actions UI gives it (:mod:`huiliu.airflow.hitl_answers`); ``pii_decision``
then writes who, when and why to the governance store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huiliu.airflow.environment import configure_airflow_env
from huiliu.airflow.hitl_answers import answer, awaiting_runs
from huiliu.pii.decisions import Decision, PiiDecisionError, pending_decisions

# Airflow (and so huiliu.airflow.pii_tasks) is imported only after configure_airflow_env(), so that
# its logging set-up sees the embedded defaults and keeps stdout clean for --json output.


@dataclass(frozen=True)
class PendingApproval:
    """A batch waiting for a compliance officer.

    Attributes:
        decision: the pending decision (dataset, batch, held findings, requested at, run).
        awaiting_input: whether its Airflow task is waiting for an answer now (False when the run
            was stopped, or the metadata database is not reachable).
    """

    decision: Decision
    awaiting_input: bool

    def as_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "dataset": d.dataset,
            "batch_id": d.batch_id,
            "waiting_since": d.requested_at.isoformat(),
            "findings": [
                {k: f[k] for k in ("column", "entity_type", "rule", "message_zh", "message_en")}
                for f in d.findings
            ],
            "dag_id": d.dag_id,
            "run_id": d.run_id,
            "awaiting_input": self.awaiting_input,
        }


def pending_approvals(dataset: str | None = None) -> list[PendingApproval]:
    """Batches waiting for a compliance officer, oldest first."""
    configure_airflow_env()
    from huiliu.airflow.pii_tasks import APPROVAL_TASK

    waiting = awaiting_runs(APPROVAL_TASK)
    return [PendingApproval(d, (d.dag_id, d.run_id) in waiting) for d in pending_decisions(dataset)]


def _pending_run(dataset: str, batch_id: str | None) -> list[Decision]:
    """The pending decisions of the one Airflow run that asks about ``batch_id`` (or the dataset).

    Raises:
        PiiDecisionError: nothing pending, several runs pending and no batch given, or the request
            did not come from an Airflow run.
    """
    pending = [d for d in pending_decisions(dataset) if batch_id in (None, d.batch_id)]
    runs = {(d.dag_id, d.run_id) for d in pending}
    what = f"dataset {dataset}" + (f" batch {batch_id}" if batch_id else "")
    if not pending:
        raise PiiDecisionError(f"{what} has no PII approval pending; `huiliu pii approvals` lists them")
    if len(runs) > 1:
        raise PiiDecisionError(
            f"{what} has approvals pending in {len(runs)} runs; name the batch with --batch"
        )
    dag_id, run_id = runs.pop()
    if dag_id is None or run_id is None:
        raise PiiDecisionError(f"{what}: the approval was not requested by an Airflow run; re-run its DAG")
    return [d for d in pending_decisions(dataset) if (d.dag_id, d.run_id) == (dag_id, run_id)]


def respond(dataset: str, batch_id: str | None, approve: bool, by: str, reason: str) -> list[Decision]:
    """Answer a pending PII approval as ``by``, the way the Required Actions UI does.

    Returns:
        The pending decisions the answer covers (every batch of the run that asked).

    Raises:
        PiiDecisionError: no name or reason, nothing pending, or Airflow refused the answer.
    """
    if not by.strip() or not reason.strip():
        raise PiiDecisionError("a PII decision needs the name of who decides (--by) and a reason (--reason)")
    covered = _pending_run(dataset, batch_id)
    configure_airflow_env()
    from huiliu.airflow.pii_tasks import APPROVAL_TASK, APPROVE, REJECT

    answer(
        dag_id=str(covered[0].dag_id),
        run_id=str(covered[0].run_id),
        task_id=APPROVAL_TASK,
        option=APPROVE if approve else REJECT,
        params={"reason": reason.strip()},
        by=by.strip(),
        via="huiliu pii",
        error=PiiDecisionError,
    )
    return covered


def waiting_for(approval: PendingApproval, now: datetime) -> str:
    """How long an approval has waited, e.g. ``3h12m``."""
    since = approval.decision.requested_at
    since = since if since.tzinfo else since.replace(tzinfo=now.tzinfo)
    minutes = max(int((now - since).total_seconds() // 60), 0)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
