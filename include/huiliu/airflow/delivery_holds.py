"""A compliance officer's decision on held extracts, from the command line.

When the delivery DAG run that held the extracts is waiting in ``release_approval``, the decision
is that task's answer (:mod:`huiliu.airflow.hitl_answers`), so the run records and acts on it like
an answer from the Required Actions UI. Otherwise (the run ended, or the delivery ran outside
Airflow) the decision is carried out at once: released extracts are delivered with every rare row
suppressed, withheld ones are marked decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiliu.contracts.model import DatasetContract
from huiliu.errors import AccessError
from huiliu.policy.accounts import Role, acting_account
from huiliu.returnflow.push import held_deliveries, release_held, withhold_held
from huiliu.returnflow.records import Delivery


@dataclass(frozen=True, kw_only=True)
class HoldDecision:
    """What a decision did: answered a waiting Airflow run, or released/withheld at once."""

    dataset: str
    deliveries: tuple[str, ...]
    released: bool
    via_airflow: tuple[str, str] | None
    delivered: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "deliveries": list(self.deliveries),
            "decision": "released" if self.released else "withheld",
            "airflow_run": list(self.via_airflow) if self.via_airflow else None,
            "delivered": list(self.delivered),
        }


def _officer(by: str) -> str:
    account = acting_account(by)
    if not account.holds(Role.COMPLIANCE_OFFICER):
        raise AccessError(
            f"只有合规官可以决定扣留的交付，{account.name} 不是 / only a compliance officer decides on held "
            f"extracts; {account.name} is not one"
        )
    return account.name


def _airflow_run(chosen: list[Delivery], waiting: list[Delivery]) -> tuple[str, str] | None:
    """The delivery run waiting in ``release_approval`` for these extracts, if one is.

    Raises:
        AccessError: the extracts belong to a waiting run that also holds others (its answer
            covers them all), or to several waiting runs.
    """
    from huiliu.airflow.delivery_dag import APPROVAL_TASK
    from huiliu.airflow.hitl_answers import awaiting_runs, is_running

    awaiting = awaiting_runs(APPROVAL_TASK)
    recorded = {(str(d.dag_id), str(d.run_id)) for d in chosen if d.dag_id and d.run_id}
    runs = recorded & awaiting
    starting = [r for r in recorded - awaiting if is_running(*r)]
    if starting:
        raise AccessError(
            f"扣留这些交付的运行 {starting[0][1]} 仍在进行，审核任务尚未就绪，请稍后再试 / the delivery run "
            f"{starting[0][1]} that held them is still running and not yet waiting for the decision; "
            "try again in a moment"
        )
    if not runs:
        return None
    covered = {d.id for d in waiting if (str(d.dag_id), str(d.run_id)) in runs}
    if len(runs) > 1 or covered != {d.id for d in chosen}:
        raise AccessError(
            "所选交付属于正在等待审核的运行，须一并决定该运行扣留的全部交付 / the extracts belong to a "
            f"delivery run waiting for one decision on all it held: name all of {', '.join(sorted(covered))}"
        )
    return runs.pop()


def decide(
    contract: DatasetContract, delivery_ids: list[str] | None, *, release: bool, by: str, reason: str
) -> HoldDecision:
    """Release or withhold held extracts of the dataset (all waiting ones when none are named).

    Raises:
        AccessError: ``by`` is not an active compliance officer, or no reason was given.
        NotFoundError: a named delivery is not a held extract of the dataset waiting for a decision.
    """
    officer = _officer(by)
    if not reason.strip():
        raise AccessError("决定须说明理由（--reason） / a decision on a held extract needs --reason")
    waiting = held_deliveries(contract.name)
    ids = delivery_ids or [d.id for d in waiting]
    if not ids:
        raise AccessError(
            f"{contract.name} 没有待审核的扣留交付 / {contract.name} has no held extract waiting"
        )
    run = _airflow_run([d for d in waiting if d.id in ids], waiting)
    if run is not None:
        from huiliu.airflow.delivery_dag import APPROVAL_TASK, RELEASE, WITHHOLD
        from huiliu.airflow.hitl_answers import answer

        answer(
            dag_id=run[0],
            run_id=run[1],
            task_id=APPROVAL_TASK,
            option=RELEASE if release else WITHHOLD,
            params={"reason": reason.strip()},
            by=officer,
            via="huiliu deliveries",
            error=AccessError,
        )
        return HoldDecision(dataset=contract.name, deliveries=tuple(ids), released=release, via_airflow=run)
    if release:
        done = release_held(contract, ids, by=officer, reason=reason)
        delivered = tuple(o.delivery_id for o in done.outcomes if o.verdict and o.verdict.released)
        return HoldDecision(
            dataset=contract.name, deliveries=tuple(ids), released=True, via_airflow=None, delivered=delivered
        )
    withhold_held(contract, ids, by=officer, reason=reason)
    return HoldDecision(dataset=contract.name, deliveries=tuple(ids), released=False, via_airflow=None)
