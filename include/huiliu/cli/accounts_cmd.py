"""``huiliu accounts add|list|disable``: the people who request, approve and receive returned data."""

from __future__ import annotations

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

accounts_app = typer.Typer(help="账号与角色 Accounts and their roles.", no_args_is_help=True)

ACTING_ACCOUNT = typer.Option(
    None, "--by", envvar="HUILIU_ACCOUNT", help="the account you act as (or HUILIU_ACCOUNT)"
)


@accounts_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="login name, e.g. wang.fang"),
    unit: str = typer.Option(..., "--unit", help="the unit code the account belongs to"),
    role: list[str] = typer.Option(
        ...,
        "--role",
        help="bureau_engineer, compliance_officer, unit_staff or department_steward:DEPT (repeatable)",
    ),
    display_name: str | None = typer.Option(None, "--display-name", help="the person's name, e.g. 王芳"),
    by: str | None = ACTING_ACCOUNT,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Create an account in a unit with its roles."""
    from huiliu.contracts import load_contracts
    from huiliu.policy.accounts import RoleGrant, add_account
    from huiliu.policy.grants import known_departments

    try:
        roles = [RoleGrant.parse(r) for r in role]
        account = add_account(
            name,
            unit_code=unit,
            roles=roles,
            departments=known_departments(load_contracts()),
            display_name=display_name,
            created_by=by,
        )
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(account.as_dict())
        return
    console.print(
        f"已创建账号 {account.name}（{account.display_name}），单位 {account.unit_code} {account.unit_name}，"
        f"角色 {', '.join(map(str, account.roles))} / account created",
        highlight=False,
    )


@accounts_app.command("list")
def list_cmd(
    unit: str | None = typer.Option(None, "--unit", help="only accounts of this unit and the units below it"),
    include_disabled: bool = typer.Option(False, "--all", help="also disabled accounts"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List accounts with their unit and roles."""
    from huiliu.policy.accounts import list_accounts

    try:
        accounts = list_accounts(unit_code=unit, include_disabled=include_disabled)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json([a.as_dict() for a in accounts])
        return
    table = Table(title=f"账号 accounts — {len(accounts)}")
    for header in ("账号 account", "姓名 name", "单位 unit", "角色 roles", "状态 state"):
        table.add_column(header, overflow="fold")
    for a in accounts:
        table.add_row(
            a.name,
            a.display_name,
            f"{a.unit_code} {a.unit_name}",
            ", ".join(map(str, a.roles)),
            "已停用 disabled" if a.disabled else "正常 active",
        )
    console.print(table)


@accounts_app.command("disable")
def disable_cmd(
    name: str = typer.Argument(..., help="the account to disable"),
    reason: str = typer.Option(..., "--reason", help="why (recorded)"),
    by: str | None = ACTING_ACCOUNT,
) -> None:
    """Disable an account (a bureau engineer's act); what it decided stays attributed to it."""
    from huiliu.policy.accounts import disable_account

    try:
        account = disable_account(name, by=by or "", reason=reason)
    except HuiliuError as exc:
        fail(str(exc))
    console.print(f"已停用账号 {account.name} / account {account.name} disabled", highlight=False)
