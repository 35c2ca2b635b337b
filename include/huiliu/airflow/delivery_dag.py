"""One delivery DAG per returned dataset: push to every granted unit when its curated table changes.

``deliver_<dataset>`` is scheduled on the dataset's curated Asset (the quality gate's outlet). Its
``deliver`` task serves every active grant in one pass (:func:`huiliu.returnflow.push.deliver`) and
branches: when the re-identification guard held a unit's extract, ``release_approval`` asks a
compliance officer (Airflow human-in-the-loop: Release or Withhold, a required reason) with the
rare combinations shown as counts, never as rows; ``release_decision`` then delivers the released
extracts with every rare row suppressed, or records that they stay withheld.

Parsing stays cheap: the library is imported inside the tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import DAG, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from huiliu.airflow.dag_factory import (
    START_DATE,
    TASK_TIMEOUT,
    curated_asset,
    department_defaults,
    run_parent,
)
from huiliu.airflow.pii_tasks import REASON, RequiredFormOperator, reason_field
from huiliu.airflow.records import MULTIPLE_OUTPUTS, ReleaseOutcome
from huiliu.contracts import DatasetContract, load_contracts
from huiliu.contracts.model import SharingClass
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from airflow.providers.standard.triggers.hitl import HITLTriggerEventSuccessPayload

    from huiliu.policy.reidentification import RareCombination
    from huiliu.returnflow.delivery import UnitDelivery
    from huiliu.returnflow.service import DeliveryRunRecord

DAG_PREFIX = "deliver_"
DELIVER_TASK = "deliver"
APPROVAL_TASK = "release_approval"
DECISION_TASK = "release_decision"
RELEASE = "Release"
WITHHOLD = "Withhold"
RESULT_KEY = "delivery"
BODY_KEY = "release_body"


def returned_contracts(folder: Path | None = None) -> list[DatasetContract]:
    """The contracts whose data returns to units: a ``returns`` section and not 不予共享."""
    return [
        c
        for _, c in sorted(load_contracts(folder).items())
        if c.returns is not None and c.classification.sharing_class is not SharingClass.NONE
    ]


def _rare_lines(rare: Sequence[RareCombination]) -> list[str]:
    if not rare:
        return []
    columns = list(dict(rare[0].values))
    lines = ["| " + " | ".join(columns) + " | 行数 rows |", "|" + "---|" * (len(columns) + 1)]
    lines += ["| " + " | ".join(str(dict(r.values)[c]) for c in columns) + f" | {r.rows} |" for r in rare]
    return lines


def release_body(contract: DatasetContract, held: list[UnitDelivery]) -> str:
    """The Markdown the compliance officer reads: each held unit, its rows and rare combinations as counts."""
    lines = [
        f"- **数据集 Dataset:** {contract.title} / {contract.title_en} (`{contract.name}`)",
        f"- **责任部门 Owner:** {contract.owner.department} — {contract.owner.steward}",
        "",
    ]
    for delivery in held:
        verdict = delivery.verdict
        generalised = ", ".join(verdict.generalised if verdict else ()) or "—"
        lines += [
            f"### 单位 Unit `{delivery.plan.grant.unit_code}` — 交付 delivery `{delivery.delivery_id}`",
            "",
            f"{verdict.rows if verdict else 0} 行 rows; 已泛化 generalised: {generalised}",
            "",
            "稀有组合（只显示计数，不显示记录） / rare combinations (counts, never rows):",
            "",
            *_rare_lines(verdict.rare if verdict else ()),
            "",
        ]
    lines += [
        "放行（Release）：删除上述稀有组合的记录后交付其余记录，并记录审批人、时间与理由。"
        "扣留（Withhold）：本次不交付，下次运行重新评估。请填写理由。",
        "",
        "Release: the unit receives its extract without the rows of these rare combinations; who, when "
        "and why are recorded. Withhold: nothing is delivered now; the next run measures again. Give "
        "your reason.",
    ]
    return "\n".join(lines)


def deliver_task(contract_name: str) -> str:
    """Deliver to every active grant; follow ``release_approval`` when an extract was held."""
    from huiliu.contracts import load_contract
    from huiliu.returnflow.push import deliver
    from huiliu.returnflow.records import DeliveryStatus

    context = get_current_context()
    contract, dag_run = load_contract(contract_name), context["dag_run"]
    try:
        run = deliver(contract, parent=run_parent(context), dag_id=dag_run.dag_id, run_id=dag_run.run_id)
    except HuiliuError as exc:
        if not exc.retryable:
            raise AirflowFailException(str(exc)) from exc
        raise
    held = [o for o in run.outcomes if o.status is DeliveryStatus.HELD]
    ti = context["ti"]
    ti.xcom_push(key=RESULT_KEY, value=run.as_dict())
    ti.xcom_push(key=BODY_KEY, value=release_body(contract, held))
    return APPROVAL_TASK if held else DECISION_TASK


def release_operator(contract: DatasetContract) -> HITLOperator:
    """The compliance officer's decision on held extracts (Airflow HITL): Release or Withhold, a reason."""
    return RequiredFormOperator(
        task_id=APPROVAL_TASK,
        subject=f"回流扣留审核：{contract.title} / Held extracts: {contract.title_en}",
        body=f"{{{{ ti.xcom_pull(task_ids='{DELIVER_TASK}', key='{BODY_KEY}') }}}}",
        options=[RELEASE, WITHHOLD],
        multiple=False,
        form={REASON: reason_field()},
        retries=0,
    )


def release_decision_task(contract_name: str) -> ReleaseOutcome:
    """Act on the officer's answer: deliver the released extracts, or record that they stay withheld."""
    from huiliu.airflow.pii_tasks import responder
    from huiliu.contracts import load_contract
    from huiliu.returnflow.push import release_held, withhold_held

    context = get_current_context()
    ti, dag_run = context["ti"], context["dag_run"]
    result: DeliveryRunRecord | None = ti.xcom_pull(task_ids=DELIVER_TASK, key=RESULT_KEY)
    deliveries = result.get("deliveries", []) if result else []
    held = [d["delivery"] for d in deliveries if d["status"] == "held"]
    if not held:
        return {"dataset": contract_name, "decision": "not_required"}
    response: HITLTriggerEventSuccessPayload | None = ti.xcom_pull(task_ids=APPROVAL_TASK)
    if not isinstance(response, dict):
        raise AirflowFailException(f"{APPROVAL_TASK} gave no answer for the held extracts; re-run the DAG")
    by = responder(response)
    reason = str((response.get("params_input") or {}).get(REASON) or "")
    contract = load_contract(contract_name)
    try:
        if list(response.get("chosen_options") or []) == [RELEASE]:
            run = release_held(
                contract,
                held,
                by=by,
                reason=reason,
                parent=run_parent(context),
                dag_id=dag_run.dag_id,
                run_id=dag_run.run_id,
            )
            return {"dataset": contract_name, "decision": "released", "run": run.as_dict()}
        withhold_held(contract, held, by=by, reason=reason)
    except HuiliuError as exc:
        raise AirflowFailException(str(exc)) from exc
    return {"dataset": contract_name, "decision": "withheld", "deliveries": held}


def build_delivery_dag(contract: DatasetContract) -> DAG:
    """``deliver`` → (``release_approval`` when an extract is held) → ``release_decision``."""
    with DAG(
        dag_id=f"{DAG_PREFIX}{contract.name}",
        description=f"回流 {contract.title} ({contract.title_en}) → units' outboxes",
        schedule=[curated_asset(contract)],
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        doc_md=(
            f"### 数据回流 {contract.title} / Return of {contract.title_en}\n\n"
            "Delivers the current curated snapshot to every unit with an active grant, under the return "
            "policy in force; held extracts wait for a compliance officer."
        ),
        tags=["huiliu", "deliver", contract.owner.department_code, *contract.tags],
        default_args=department_defaults(contract),
    ) as dag:
        delivered = task.branch(task_id=DELIVER_TASK, execution_timeout=TASK_TIMEOUT)(deliver_task)(
            contract.name
        )
        approval = release_operator(contract)
        decided = task(
            task_id=DECISION_TASK,
            multiple_outputs=MULTIPLE_OUTPUTS,
            trigger_rule="none_failed_min_one_success",
            retries=0,
            execution_timeout=TASK_TIMEOUT,
        )(release_decision_task)(contract.name)
        delivered >> [approval, decided]
        approval >> decided
    return dag


def build_delivery_dags(folder: Path | None = None) -> dict[str, DAG]:
    """One delivery DAG per returned dataset."""
    return {f"{DAG_PREFIX}{c.name}": build_delivery_dag(c) for c in returned_contracts(folder)}
