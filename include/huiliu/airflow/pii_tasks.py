"""Airflow tasks of the PII step: the gate (a branch), the compliance officer's approval, the decision.

``pii_gate`` runs the PII gate on every landed batch and branches: to ``pii_approval`` when a
batch needs a compliance officer, else straight to ``pii_decision``. ``pii_approval`` is Airflow's
human-in-the-loop operator (options Approve / Reject, a required reason); it waits until someone
answers in the Required Actions UI, through the REST API or with ``huiliu pii approve|reject``, and
asks again when an answer leaves the reason blank.
``pii_decision`` records who answered, when and why (or that no approval was needed) in the
governance store, and rewrites the PII reports; the quality gate then holds a rejected batch.

Library calls are imported inside the tasks so that parsing a DAG file stays cheap.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, get_current_context
from airflow.sdk.exceptions import AirflowFailException, ParamValidationError

from huiliu.airflow.quality_tasks import landed_batch_ids
from huiliu.airflow.records import LandOutcome, PiiDecisions
from huiliu.contracts.model import DatasetContract
from huiliu.errors import HuiliuError
from huiliu.store.statuses import DecisionStatus, PiiStatus

if TYPE_CHECKING:
    from airflow.providers.standard.triggers.hitl import HITLTriggerEventSuccessPayload
    from airflow.sdk import Context

    from huiliu.pii.decisions import DecisionRecord
    from huiliu.pii.gate import GateResultRecord
    from huiliu.pii.policy import PolicyFindingRecord

GATE_TASK = "pii_gate"
APPROVAL_TASK = "pii_approval"
DECISION_TASK = "pii_decision"
APPROVE = "Approve"
REJECT = "Reject"
REASON = "reason"
BODY_KEY = "approval_body"
RESULTS_KEY = "pii_results"


def batches_to_check(contract_name: str, landed: LandOutcome | None) -> list[str]:
    """The batches landed by this run, and earlier ones the quality gate has not gated yet (unless a
    compliance officer already decided on them): the batches the quality gate will look at."""
    from huiliu.pii.decisions import latest_decision
    from huiliu.quality.records import ungated_batches

    landed_now = landed_batch_ids(landed)
    decided = (DecisionStatus.APPROVED, DecisionStatus.REJECTED)
    earlier = [
        b
        for b in ungated_batches(contract_name)
        if b not in landed_now and getattr(latest_decision(b), "status", None) not in decided
    ]
    return [*landed_now, *earlier]


def _unchecked(contract_name: str, batch_id: str, error: HuiliuError, run: tuple[str, str]) -> str:
    """Keep a batch the gate could not check out of curated: a pending decision saying why."""
    from huiliu.pii.decisions import request_decision

    finding: PolicyFindingRecord = {
        "column": "*",
        "entity_type": "*",
        "rule": "pii_gate_incomplete",
        "holds": True,
        "message_zh": f"个人信息闸门未能检查该批次：{error}；请排除故障后重新运行。",
        "message_en": f"the PII gate could not check this batch: {error}; fix the cause and re-run",
    }
    request_decision(contract_name, batch_id, True, [finding], run)
    return f"batch {batch_id}: {error}"


def pii_gate_task(contract_name: str, landed: LandOutcome | None = None) -> str:
    """Run the PII gate on every batch to check; follow ``pii_approval`` if any needs approval.

    Runs even when ``land`` failed (the good files of a drop are checked). A batch the gate cannot
    check is left pending, so the quality gate does not curate it, and the task fails naming it.
    """
    from huiliu.airflow.dag_factory import run_parent
    from huiliu.contracts import load_contract
    from huiliu.pii.gate import run_pii_gate

    context = get_current_context()
    contract, dag_run = load_contract(contract_name), context["dag_run"]
    run = (dag_run.dag_id, dag_run.run_id)
    results: list[GateResultRecord] = []
    problems: list[str] = []
    for batch_id in batches_to_check(contract_name, landed):
        try:
            results.append(
                run_pii_gate(contract, batch_id, parent=run_parent(context), airflow_run=run).as_dict()
            )
        except HuiliuError as exc:
            problems.append(_unchecked(contract_name, batch_id, exc, run))
    if problems:
        raise AirflowFailException(" | ".join(problems))
    ti = context["ti"]
    ti.xcom_push(key=RESULTS_KEY, value=results)
    ti.xcom_push(key=BODY_KEY, value=approval_body(contract, results))
    return APPROVAL_TASK if any(r["status"] == PiiStatus.NEEDS_APPROVAL for r in results) else DECISION_TASK


def _finding_lines(result: GateResultRecord) -> list[str]:
    lines = ["| 字段 Column | 类型 Entity type | 规则 Rule |", "|---|---|---|"]
    held = [f for f in result["findings"] if f["holds"]]
    lines += [f"| `{f['column']}` | {f['entity_type']} | {f['rule']} |" for f in held]
    lines.append("")
    for f in held:
        lines += [f"- {f['message_zh']}", f"  {f['message_en']}"]
    return lines


def _report_links(result: GateResultRecord) -> str:
    zh = result["report"]
    en = zh[: -len(".html")] + ".en.html" if zh and zh.endswith(".html") else zh
    if not zh:
        return ""
    return f"[个人信息识别报告（中文）](file://{zh}) · [PII report (English)](file://{en})"


def approval_body(contract: DatasetContract, results: list[GateResultRecord]) -> str:
    """The Markdown shown to the compliance officer: what holds each batch, in Chinese and English."""
    lines = [
        f"- **数据集 Dataset:** {contract.title} / {contract.title_en} (`{contract.name}`)",
        f"- **责任部门 Owner:** {contract.owner.department} — {contract.owner.steward}",
        f"- **分级 Grade:** {contract.classification.sensitivity.value} · "
        f"**共享类别 Sharing class:** {contract.classification.sharing_class.value}",
        "",
    ]
    for result in results:
        if result["status"] != PiiStatus.NEEDS_APPROVAL:
            continue
        lines += [f"### 批次 Batch `{result['batch_id']}` — {result['rows']} 行 rows", ""]
        lines += _finding_lines(result)
        lines += ["", _report_links(result), ""]
    lines += [
        "批准（Approve）：批次继续进入质量闸门，并记录审批人、时间与理由。"
        "驳回（Reject）：整个批次进入隔离区，不进入 curated。请填写理由。",
        "",
        "Approve: the batch goes on to the quality gate, and who, when and why are recorded. "
        "Reject: the whole batch goes to quarantine, none of it to curated. Give your reason.",
    ]
    return "\n".join(lines)


def reason_field() -> Param:
    """The approval form's reason: text holding at least one character that is not whitespace."""
    return Param(
        None,
        type="string",
        minLength=1,
        pattern=r"\S",
        title="理由 Reason",
        description="审批或驳回的理由（必填） / why you approve or reject (required)",
    )


def _unanswered(field: Param) -> Param:
    """The field as a task param: empty until someone answers (``null`` allowed)."""
    schema = dict(field.schema)
    schema["type"] = ["null", schema["type"]]
    return Param(None, field.description, schema=schema)


class RequiredFormOperator(HITLOperator):
    """Airflow's human-in-the-loop operator whose form fields must all be answered validly.

    ``form`` declares each field as it must be filled (the reason: ``type: string``, ``minLength``
    1, a ``pattern`` needing a non-whitespace character). The Required Actions UI shows that schema
    and marks the fields required, and every answer is checked against it with Airflow's own
    ``Param`` validation when the task resumes, however it was sent (UI, REST API, ``huiliu pii``).
    An answer that fails it is refused: the request is written again, the task waits for input
    again, and the batch stays pending.

    The task's ``params`` hold the same fields allowing ``null``: Airflow validates a task's params
    when it starts, before anyone could have answered.
    """

    def __init__(self, *, form: dict[str, Param], **kwargs: Any) -> None:
        super().__init__(params={name: _unanswered(field) for name, field in form.items()}, **kwargs)
        self.form = form

    @property
    def serialized_params(self) -> dict[str, dict[str, Any]]:
        return {name: {**field.serialize(), "source": "task"} for name, field in self.form.items()}

    def validate_params_input(self, params_input: Mapping[str, Any]) -> None:
        """Refuse an answer that leaves out a field or fails its schema.

        Raises:
            ParamValidationError: naming the field and what is wrong with it.
        """
        if set(params_input) != set(self.form):
            raise ParamValidationError(
                f"the answer must give exactly the fields {', '.join(sorted(self.form))}, "
                f"not {', '.join(sorted(params_input)) or 'none'}"
            )
        for name, field in self.form.items():
            try:
                copy.copy(field).resolve(value=params_input[name])
            except ParamValidationError as exc:
                raise ParamValidationError(f"Invalid input for param {name}: {exc}") from None
        super().validate_params_input(params_input)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if "error" not in event:
            try:
                self.validate_params_input(event.get("params_input") or {})
            except ParamValidationError as exc:
                self.log.warning("answer refused, asking again: %s", str(exc).splitlines()[0])
                return self.execute(context)
        return super().execute_complete(context, event)


def pii_approval_operator(contract: DatasetContract) -> HITLOperator:
    """The compliance officer's approval task (Airflow HITL): Approve or Reject, with a reason."""
    return RequiredFormOperator(
        task_id=APPROVAL_TASK,
        subject=f"个人信息审批：{contract.title} / PII approval: {contract.title_en}",
        body=f"{{{{ ti.xcom_pull(task_ids='{GATE_TASK}', key='{BODY_KEY}') }}}}",
        options=[APPROVE, REJECT],
        multiple=False,
        form={REASON: reason_field()},
        retries=0,
    )


def responder(response: HITLTriggerEventSuccessPayload) -> str:
    """Who answered a HITL task: the responding user's name, else id."""
    user = response.get("responded_by_user")
    if not user:
        return ""
    return str(user.get("name") or user.get("id") or "")


def _responded_at(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return datetime.fromtimestamp(value.timestamp(), UTC)


def _record(batch_id: str, response: HITLTriggerEventSuccessPayload | None) -> DecisionRecord:
    """Record the officer's answer on one pending batch (who, when, why from the HITL result)."""
    from huiliu.pii.decisions import record_decision

    if response is None:
        raise AirflowFailException(
            f"batch {batch_id} needs a PII approval but {APPROVAL_TASK} gave no response; re-run the DAG"
        )
    chosen = list(response.get("chosen_options") or [])
    reason = str((response.get("params_input") or {}).get(REASON) or "")
    decision = record_decision(
        batch_id,
        chosen == [APPROVE],
        responder(response),
        reason,
        _responded_at(response.get("responded_at")),
    )
    return decision.as_dict()


def _approval_response() -> HITLTriggerEventSuccessPayload | None:
    """The HITL result of ``pii_approval`` (pulled only when a batch waited for it)."""
    response: HITLTriggerEventSuccessPayload | None = get_current_context()["ti"].xcom_pull(
        task_ids=APPROVAL_TASK
    )
    return response if isinstance(response, dict) else None


def pii_decision_task(contract_name: str) -> PiiDecisions:
    """Record the decision of every batch the PII gate checked, and rewrite its PII report.

    A batch that waited for approval gets the officer's answer from ``pii_approval``'s result
    (``responded_by_user``, ``responded_at``, ``chosen_options``, ``params_input``); a batch that
    needed none keeps its ``not_required`` decision.
    """
    from huiliu.contracts import load_contract
    from huiliu.pii.decisions import latest_decision
    from huiliu.pii.report import write_batch_report

    context = get_current_context()
    contract = load_contract(contract_name)
    checked: list[GateResultRecord] = context["ti"].xcom_pull(task_ids=GATE_TASK, key=RESULTS_KEY) or []
    out: list[DecisionRecord] = []
    try:
        for batch_id in [r["batch_id"] for r in checked]:
            decision = latest_decision(batch_id)
            if decision is not None and decision.status == DecisionStatus.PENDING:
                out.append(_record(batch_id, _approval_response()))
                write_batch_report(contract, batch_id)
            elif decision is not None:
                out.append(decision.as_dict())
    except HuiliuError as exc:
        raise AirflowFailException(str(exc)) from exc
    return {"dataset": contract_name, "decisions": out}
