"""``huiliu corrections list|show|accept|reject``: the owning department's steward decides units'
corrections; an accepted one is applied to every delivery from then on."""

from __future__ import annotations

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

corrections_app = typer.Typer(help="纠错 Corrections units sent back.", no_args_is_help=True)

ACTING_ACCOUNT = typer.Option(
    None, "--by", envvar="HUILIU_ACCOUNT", help="the steward you act as (or HUILIU_ACCOUNT)"
)


@corrections_app.command("list")
def list_cmd(
    dataset: str | None = typer.Option(None, "--dataset", help="only this dataset's corrections"),
    unit: str | None = typer.Option(None, "--unit", help="only those this unit filed"),
    status: str | None = typer.Option(
        None, "--status", help="submitted, rejected, applied, confirmed, contradicted or retired"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List corrections, newest first."""
    from huiliu.returnflow.corrections import CorrectionStatus, list_corrections

    try:
        wanted = CorrectionStatus(status) if status else None
    except ValueError:
        fail(f"未知状态 / unknown status; use one of {', '.join(CorrectionStatus)}")
    found = list_corrections(dataset=dataset, unit_code=unit, status=wanted)
    if as_json:
        print_json([c.as_dict() for c in found])
        return
    table = Table("id", "dataset 数据集", "unit 单位", "delivery 交付", "row 行", "field 字段", "status 状态")
    for c in found:
        table.add_row(c.id, c.dataset, c.unit_code, c.delivery_id, str(c.row), c.field, c.status.value)
    console.print(table)


@corrections_app.command("show")
def show_cmd(
    correction_id: str = typer.Argument(..., help="the correction's id"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """One correction: the record as the unit named it, the proposed value, the reason, its steps."""
    from huiliu.returnflow.corrections import get_correction

    try:
        found = get_correction(correction_id)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(found.as_dict())
        return
    console.print(
        f"{found.id}  {found.dataset}  单位 {found.unit_code}  交付 {found.delivery_id} 第 {found.row} 行\n"
        f"字段 {found.field} → {found.proposed_value}\n理由 {found.reason}\n状态 {found.status.value}",
        highlight=False,
        markup=False,
    )
    if found.attachment:
        from huiliu.returnflow.corrections import attachment_path
        from huiliu.settings import get_settings

        where = attachment_path(get_settings(), found.attachment.sha256)
        kind = found.attachment.media_type
        console.print(f"附件 attachment ({kind}): {where}", highlight=False, markup=False)
    for step in found.history:
        note = f" — {step.note}" if step.note else ""
        console.print(f"  {step.at:%Y-%m-%d %H:%M} {step.action.value} {step.actor}{note}", markup=False)


def _decide(decision: str, correction_id: str, *, by: str | None, reason: str) -> str:
    """Carry out a steward's decision; the correction's id, or a failure with the reason."""
    from huiliu.contracts import load_contract
    from huiliu.returnflow.corrections import decide_correction

    try:
        return decide_correction(decision, correction_id, load_contract, by=by, reason=reason).id
    except HuiliuError as exc:
        fail(str(exc))


@corrections_app.command("accept")
def accept_cmd(
    correction_id: str = typer.Argument(..., help="the correction's id"),
    reason: str = typer.Option("", "--reason", help="a note kept with the decision"),
    by: str | None = ACTING_ACCOUNT,
) -> None:
    """Accept a correction: it is applied to every delivery and pull from now on."""
    done = _decide("accept", correction_id, by=by, reason=reason)
    console.print(f"已采纳并生效 {done} / accepted and applied", highlight=False)


@corrections_app.command("reject")
def reject_cmd(
    correction_id: str = typer.Argument(..., help="the correction's id"),
    reason: str = typer.Option(..., "--reason", help="why (the unit reads it)"),
    by: str | None = ACTING_ACCOUNT,
) -> None:
    """Reject a correction, with the reason its unit will read."""
    done = _decide("reject", correction_id, by=by, reason=reason)
    console.print(f"已驳回 {done} / rejected", highlight=False)


@corrections_app.command("retire")
def retire_cmd(
    correction_id: str = typer.Argument(..., help="the correction's id"),
    reason: str = typer.Option(..., "--reason", help="why it is withdrawn"),
    by: str | None = ACTING_ACCOUNT,
) -> None:
    """Withdraw a correction in force (applied or contradicted): the source's value is returned again."""
    done = _decide("retire", correction_id, by=by, reason=reason)
    console.print(f"已撤回 {done} / retired", highlight=False)


@corrections_app.command("intake")
def intake_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """File the workbooks units dropped in their inbox folders (<inbox>/<unit_code>/*.xlsx)."""
    from huiliu.contracts import load_contract
    from huiliu.returnflow.corrections_inbox import take_in
    from huiliu.settings import get_settings

    settings = get_settings()
    try:
        intake = take_in(settings, load_contract)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(intake.as_dict())
        return
    for path, filed in intake.filed.items():
        console.print(f"已收 filed {len(filed)} 条 corrections: {path}", highlight=False, markup=False)
    for path in intake.refused:
        console.print(f"已退回 refused: {path} (见 see .problems.json)", highlight=False, markup=False)
    if not intake.filed and not intake.refused:
        console.print(f"收件夹为空 / nothing waiting in {settings.inbox_path}", highlight=False)
