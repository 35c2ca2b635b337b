"""``huiliu grants request|approve|reject|revoke|list|show``: a unit's 申请 and its 审批."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from huiliu.cli.accounts_cmd import ACTING_ACCOUNT
from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError
from huiliu.policy.grant_rules import STATUS_NAMES_ZH, GrantStatus
from huiliu.policy.grants import GrantView

grants_app = typer.Typer(
    help="数据授权 Grants of datasets to units: request, approve, revoke.", no_args_is_help=True
)


def _expiry(text: str | None) -> datetime | None:
    """``2027-06-30`` (the end of that day, local time) or ``180d``; None for the default term."""
    from huiliu.settings import get_settings

    if not text:
        return None
    zone = ZoneInfo(get_settings().timezone)
    try:
        if text.endswith("d") and text[:-1].isdigit():
            return datetime.now(zone) + timedelta(days=int(text[:-1]))
        return datetime.combine(datetime.fromisoformat(text).date(), time.max, zone)
    except ValueError:
        fail(
            f"--expires {text!r}: 写作日期 2027-06-30 或天数 180d / write a date (2027-06-30) or days (180d)"
        )


def _local(moment: datetime) -> datetime:
    """A stored (UTC) time in the city's time zone, as people there read it."""
    from huiliu.settings import get_settings

    return moment.astimezone(ZoneInfo(get_settings().timezone))


def _show(grant: GrantView, as_json: bool, headline: str) -> None:
    if as_json:
        print_json(grant.as_dict())
        return
    console.print(headline, highlight=False)
    console.print(
        f"授权 {grant.id}：单位 {grant.unit_code} {grant.unit_name} · 数据集 {grant.dataset} · "
        f"状态 {STATUS_NAMES_ZH[grant.status]} ({grant.status.value}) · "
        f"到期 {_local(grant.expires_at):%Y-%m-%d %H:%M}",
        highlight=False,
    )
    console.print(f"用途 purpose: {grant.purpose}", highlight=False, soft_wrap=True)
    console.print(f"法律依据 legal basis: {grant.legal_basis}", highlight=False, soft_wrap=True)
    history = Table(title="审批记录 history")
    for header in ("时间 at", "动作 action", "账号 account", "角色 role", "理由 reason"):
        history.add_column(header, overflow="fold")
    for step in grant.history:
        history.add_row(
            f"{_local(step.at):%Y-%m-%d %H:%M}",
            step.action.value,
            step.account,
            step.role.value if step.role else "",
            step.reason or "",
        )
    console.print(history)


@grants_app.command("request")
def request_cmd(
    dataset: str = typer.Argument(..., help="the dataset, e.g. resident_registry"),
    purpose: str = typer.Option(..., "--purpose", help="what the unit will use it for"),
    legal_basis: str = typer.Option(..., "--legal-basis", help="the law or rule that allows it"),
    expires: str | None = typer.Option(None, "--expires", help="2027-06-30 or 180d; default one year"),
    by: str | None = ACTING_ACCOUNT,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Request a dataset for your unit (unit staff)."""
    from huiliu.contracts import load_contract
    from huiliu.policy.grants import request_grant

    try:
        grant = request_grant(
            load_contract(dataset),
            by=by or "",
            purpose=purpose,
            legal_basis=legal_basis,
            expires_at=_expiry(expires),
        )
    except HuiliuError as exc:
        fail(str(exc))
    needs = "数据专员和合规官" if grant.compliance_required else "数据专员"
    _show(grant, as_json, f"已提交申请，待{needs}审批 / requested; awaiting approval")


@grants_app.command("approve")
def approve_cmd(
    grant_id: str = typer.Argument(..., help="the grant id, e.g. G3f2a…"),
    reason: str | None = typer.Option(None, "--reason", help="a note for the record"),
    by: str | None = ACTING_ACCOUNT,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Approve a grant as the dataset's steward or as a compliance officer."""
    from huiliu.contracts import load_contract
    from huiliu.policy.grants import approve_grant

    try:
        grant = approve_grant(grant_id, load_contract, by=by or "", reason=reason)
    except HuiliuError as exc:
        fail(str(exc))
    if grant.status is GrantStatus.APPROVED:
        _show(grant, as_json, "授权已生效 / the grant is approved")
    else:
        _show(grant, as_json, "已审批，仍待另一项审批 / approved; another approval is still needed")


@grants_app.command("reject")
def reject_cmd(
    grant_id: str = typer.Argument(..., help="the grant id"),
    reason: str = typer.Option(..., "--reason", help="why (shown to the unit)"),
    by: str | None = ACTING_ACCOUNT,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Reject a pending request."""
    from huiliu.contracts import load_contract
    from huiliu.policy.grants import reject_grant

    try:
        grant = reject_grant(grant_id, load_contract, by=by or "", reason=reason)
    except HuiliuError as exc:
        fail(str(exc))
    _show(grant, as_json, "已驳回 / rejected")


@grants_app.command("revoke")
def revoke_cmd(
    grant_id: str = typer.Argument(..., help="the grant id"),
    reason: str = typer.Option(..., "--reason", help="why (recorded)"),
    by: str | None = ACTING_ACCOUNT,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Revoke an approved grant: the unit receives nothing more under it."""
    from huiliu.contracts import load_contract
    from huiliu.policy.grants import revoke_grant

    try:
        grant = revoke_grant(grant_id, load_contract, by=by or "", reason=reason)
    except HuiliuError as exc:
        fail(str(exc))
    _show(grant, as_json, "已撤销 / revoked")


@grants_app.command("list")
def list_cmd(
    unit: str | None = typer.Option(None, "--unit", help="only grants of this unit and the units below it"),
    dataset: str | None = typer.Option(None, "--dataset", help="only grants of this dataset"),
    status: GrantStatus | None = typer.Option(None, "--status", help="only grants in this status"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List grants, newest first."""
    from huiliu.policy.grants import list_grants

    try:
        grants = list_grants(unit_code=unit, dataset=dataset, status=status)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json([g.as_dict() for g in grants])
        return
    table = Table(title=f"数据授权 grants — {len(grants)}")
    for header in (
        "授权 grant",
        "单位 unit",
        "数据集 dataset",
        "状态 status",
        "到期 expires (UTC)",
        "申请人 by",
    ):
        table.add_column(header, overflow="fold")
    for g in grants:
        table.add_row(
            g.id,
            f"{g.unit_code} {g.unit_name}",
            g.dataset,
            f"{STATUS_NAMES_ZH[g.status]} {g.status.value}",
            f"{_local(g.expires_at):%Y-%m-%d}",
            g.requested_by,
        )
    console.print(table)


@grants_app.command("show")
def show_cmd(
    grant_id: str = typer.Argument(..., help="the grant id"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Show a grant: its terms, status and every step of its history."""
    from huiliu.policy.grants import get_grant

    try:
        grant = get_grant(grant_id)
    except HuiliuError as exc:
        fail(str(exc))
    _show(grant, as_json, f"授权 grant {grant.id}")
