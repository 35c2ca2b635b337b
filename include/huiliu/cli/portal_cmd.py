"""``huiliu portal`` (serve the pull API), ``huiliu portal audit`` (its access log) and
``huiliu units token create|list|revoke`` (the units' bearer tokens)."""

from __future__ import annotations

import re
from datetime import timedelta

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import ConfigurationError, HuiliuError

portal_app = typer.Typer(
    help="门户：基层单位拉取回流数据 The portal units pull their data from.",
    invoke_without_command=True,
)
token_app = typer.Typer(help="单位令牌 Bearer tokens of receiving units.", no_args_is_help=True)

ACTING_ACCOUNT = typer.Option(
    None, "--by", envvar="HUILIU_ACCOUNT", help="the bureau engineer you act as (or HUILIU_ACCOUNT)"
)
LIFETIME = re.compile(r"^(\d+)([dh])$")


def parse_lifetime(text: str) -> timedelta | None:
    """``90d``, ``12h`` or ``never``.

    Raises:
        ConfigurationError: anything else.
    """
    if text.strip().lower() == "never":
        return None
    shape = LIFETIME.match(text.strip().lower())
    if shape is None or int(shape.group(1)) == 0:
        raise ConfigurationError(
            "有效期写作 90d、12h 或 never / give the lifetime as 90d, 12h or never (--expires)"
        )
    amount = int(shape.group(1))
    return timedelta(days=amount) if shape.group(2) == "d" else timedelta(hours=amount)


@portal_app.callback()
def serve(
    context: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8765, "--port", help="port to listen on"),
    workers: int = typer.Option(1, "--workers", help="server processes (each counts failed attempts alone)"),
) -> None:
    """Serve the portal's API (OpenAPI at /openapi.json, health at /healthz and /readyz)."""
    if context.invoked_subcommand is not None:
        return
    import uvicorn

    from huiliu.settings import get_settings
    from huiliu.store.db import ensure_ready

    settings = get_settings()
    settings.ensure_home()
    try:
        ensure_ready()
    except HuiliuError as exc:
        fail(str(exc))
    console.print(f"门户 portal: http://{host}:{port}/api/v1/datasets  (OpenAPI: /docs)", highlight=False)
    uvicorn.run(
        "huiliu.portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        server_header=False,
    )


@portal_app.command("audit")
def audit_cmd(
    unit: str | None = typer.Option(None, "--unit", help="only pulls of this unit"),
    verify: bool = typer.Option(False, "--verify", help="recompute the chain and exit 1 if it is broken"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """The portal's access log: who pulled what, when, under which policy (chained by SHA-256)."""
    from huiliu.portal.audit import pulls, verify_log

    if verify:
        check = verify_log()
        if as_json:
            print_json({"records": check.records, "intact": check.intact, "broken_at": check.broken_at})
        if not check.intact:
            fail(
                f"访问日志在第 {check.broken_at} 条记录处断链：记录被改动或删除 / the access log's chain "
                f"breaks at record {check.broken_at}: a record was edited or removed"
            )
        if not as_json:
            console.print(f"访问日志完整，共 {check.records} 条 / the access log is intact ({check.records})")
        return
    logged = pulls(unit_code=unit)
    if as_json:
        print_json([{"id": p.id, "at": p.at.isoformat(), **p.record.__dict__} for p in logged])
        return
    table = Table(
        "id", "at 时间", "unit 单位", "dataset 数据集", "snapshot 快照", "format", "rows 行数", "policy"
    )
    for p in logged:
        r = p.record
        table.add_row(
            str(p.id),
            p.at.isoformat(timespec="seconds"),
            r.unit_code,
            r.dataset,
            str(r.snapshot_id),
            r.file_format,
            str(r.rows),
            r.policy_version,
        )
    console.print(table)


@token_app.command("create")
def create_cmd(
    unit: str = typer.Argument(..., help="the receiving unit's code, e.g. 520102016001"),
    expires: str = typer.Option("90d", "--expires", help="lifetime: 90d, 12h or never"),
    label: str = typer.Option("", "--label", help="what the token is for, e.g. 社区电脑"),
    account: str | None = typer.Option(
        None, "--account", help="a department steward of UNIT: the token opens the steward routes"
    ),
    by: str | None = ACTING_ACCOUNT,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Create a unit's token (or a steward's, with --account); it is shown this once and only its hash
    is kept."""
    from huiliu.portal.tokens import create_token

    try:
        issued = create_token(unit, by=by, expires_in=parse_lifetime(expires), label=label, account=account)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json({"token": issued.token, **issued.view.as_dict()})
        return
    expiry = issued.view.expires_at.isoformat(timespec="seconds") if issued.view.expires_at else "never"
    console.print(
        f"单位 {unit} 的令牌（只显示这一次，请妥善保存）/ the token of unit {unit} (shown once):\n"
        f"{issued.token}\n编号 id {issued.view.id}，有效期至 expires {expiry}",
        highlight=False,
        soft_wrap=True,
    )


@token_app.command("list")
def list_cmd(
    unit: str | None = typer.Option(None, "--unit", help="only this unit's tokens"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List tokens (prefix, state, expiry, last use; never the secret)."""
    from huiliu.portal.tokens import list_tokens

    tokens = list_tokens(unit_code=unit)
    if as_json:
        print_json([t.as_dict() for t in tokens])
        return
    table = Table(
        "id", "unit 单位", "prefix 前缀", "state 状态", "expires 到期", "last used 最近使用", "label"
    )
    for t in tokens:
        shown = t.as_dict()
        table.add_row(
            t.id,
            t.unit_code,
            t.prefix,
            str(shown["state"]),
            str(shown["expires_at"] or "never"),
            str(shown["last_used_at"] or "-"),
            t.label,
        )
    console.print(table)


@token_app.command("revoke")
def revoke_cmd(
    token_id: str = typer.Argument(..., help="the token's id (huiliu units token list)"),
    by: str | None = ACTING_ACCOUNT,
) -> None:
    """Revoke a token at once."""
    from huiliu.portal.tokens import revoke_token

    try:
        view = revoke_token(token_id, by=by)
    except HuiliuError as exc:
        fail(str(exc))
    console.print(f"已吊销令牌 {view.id}（单位 {view.unit_code}）/ token revoked", highlight=False)
