"""``huiliu deliveries list|show``: what each unit received, when, under which policy, and what was held."""

from __future__ import annotations

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

deliveries_app = typer.Typer(help="数据回流交付 Deliveries to units.", no_args_is_help=True)

STATUS_ZH = {
    "delivered": "已交付",
    "unchanged": "无变化",
    "held": "待合规审核",
    "empty": "无数据",
    "withdrawn": "已撤回",
}


@deliveries_app.command("list")
def list_cmd(
    unit: str | None = typer.Option(
        None, "--unit", help="only deliveries to this unit and the units below it"
    ),
    dataset: str | None = typer.Option(None, "--dataset", help="only deliveries of this dataset"),
    grant: str | None = typer.Option(None, "--grant", help="only deliveries under this grant"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List deliveries, newest first."""
    from huiliu.returnflow.records import deliveries

    try:
        found = deliveries(grant_id=grant, unit_code=unit, dataset=dataset)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json([d.as_dict() for d in found])
        return
    table = Table(title=f"交付记录 deliveries — {len(found)}")
    for header in (
        "交付 delivery",
        "单位 unit",
        "数据集 dataset",
        "状态 status",
        "行数 rows",
        "策略 policy",
        "时间 at",
    ):
        table.add_column(header, overflow="fold")
    for d in found:
        table.add_row(
            d.id,
            d.unit_code,
            d.dataset,
            f"{STATUS_ZH[d.status.value]} {d.status.value}",
            str(d.rows),
            d.policy_version,
            f"{d.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@deliveries_app.command("show")
def show_cmd(
    delivery: str = typer.Argument(..., help="the delivery id"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """One delivery: its grant, snapshot, policy, files and the guard's verdict (counts only)."""
    from huiliu.returnflow.records import get_delivery

    try:
        found = get_delivery(delivery)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(found.as_dict())
        return
    console.print(
        f"交付 {found.id}：单位 {found.unit_code} · 数据集 {found.dataset} · 授权 {found.grant_id} · "
        f"{STATUS_ZH[found.status.value]} ({found.status.value}) · {found.rows} 行 · "
        f"快照 {found.snapshot_id} · 策略 {found.policy_version}",
        highlight=False,
    )
    if found.outbox_path:
        console.print(f"文件 files: {found.outbox_path}", highlight=False)
    guard = found.guard
    if guard:
        console.print(
            f"再识别防护 guard: 泛化 {guard.get('steps', 0)} 步 {', '.join(guard.get('generalised', []))}；"
            f"抑制 {guard.get('suppressed', 0)} 行；最小组 {guard.get('smallest_group', 0)}"
            + ("；待合规审核 held" if guard.get("held") else ""),
            highlight=False,
        )
        for rare in guard.get("rare", []):
            values = ", ".join(f"{k}={v}" for k, v in rare["values"].items())
            console.print(f"  稀有组合 rare: {values} — {rare['rows']} 行 rows", highlight=False)
