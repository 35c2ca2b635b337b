"""``huiliu deliveries list|show``: what each unit received, when, under which policy, and what was held."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from huiliu.cli.accounts_cmd import ACTING_ACCOUNT
from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.contracts import DatasetContract

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
        _print_rare(guard)


def _contract(dataset: str) -> DatasetContract:
    from huiliu.contracts import load_contracts

    contracts = load_contracts()
    if dataset not in contracts:
        known = ", ".join(sorted(contracts))
        fail(f"没有数据集 {dataset}（已有：{known}） / no dataset {dataset} (known: {known})")
    return contracts[dataset]


@deliveries_app.command("run")
def run_cmd(
    dataset: str = typer.Argument(..., help="the dataset to deliver"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Deliver the dataset's current curated snapshot to every unit with an active grant, now.

    The delivery DAG does this when the curated table changes; this runs the same delivery by hand.
    """
    from huiliu.returnflow.push import deliver
    from huiliu.store.models import utcnow

    contract = _contract(dataset)
    by_hand = f"cli__{utcnow().isoformat(timespec='seconds')}"  # recorded as the run that made them
    try:
        with console.status(f"交付 delivering {dataset} …"):
            run = deliver(contract, run_id=by_hand)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(run.as_dict())
        return
    table = Table(title=f"{contract.title} {dataset} — 快照 snapshot {run.snapshot_id}")
    for header in ("单位 unit", "状态 status", "行数 rows", "抑制 suppressed", "交付 delivery"):
        table.add_column(header, overflow="fold")
    for o in run.outcomes:
        suppressed = o.verdict.suppressed if o.verdict else 0
        status = f"{STATUS_ZH[o.status.value]} {o.status.value}"
        table.add_row(o.plan.grant.unit_code, status, str(o.rows), str(suppressed), o.delivery_id)
    console.print(table)
    if run.withdrawn:
        console.print(f"已撤回 withdrawn: {', '.join(d.id for d in run.withdrawn)}", highlight=False)
    if any(o.status.value == "held" for o in run.outcomes):
        console.print(
            "有交付被扣留，请合规官用 huiliu deliveries release|withhold 决定 / held extracts wait for a "
            "compliance officer: huiliu deliveries release|withhold",
            highlight=False,
        )


@deliveries_app.command("held")
def held_cmd(
    dataset: str = typer.Argument(..., help="the dataset"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Held extracts of a dataset waiting for a compliance officer, with their rare combinations as counts."""
    from huiliu.returnflow.push import held_deliveries

    _contract(dataset)
    waiting = held_deliveries(dataset)
    if as_json:
        print_json([d.as_dict() for d in waiting])
        return
    if not waiting:
        console.print(f"{dataset} 没有待审核的扣留交付 / no held extract waiting", highlight=False)
    for d in waiting:
        console.print(
            f"交付 {d.id} · 单位 {d.unit_code} · {d.guard.get('rows', 0)} 行 rows · "
            f"泛化 generalised: {', '.join(d.guard.get('generalised', [])) or '—'}",
            highlight=False,
        )
        _print_rare(d.guard)


def _decide(dataset: str, delivery: list[str] | None, release: bool, by: str | None, reason: str) -> None:
    from huiliu.airflow.delivery_holds import decide

    contract = _contract(dataset)
    try:
        done = decide(contract, delivery, release=release, by=by or "", reason=reason)
    except HuiliuError as exc:
        fail(str(exc))
    verb = "放行 released" if release else "扣留 withheld"
    where = (
        f"（已答复 Airflow 运行 {done.via_airflow[1]} / answered Airflow run {done.via_airflow[1]}）"
        if done.via_airflow
        else ""
    )
    console.print(f"{verb}: {', '.join(done.deliveries)}{where}", highlight=False)


@deliveries_app.command("release")
def release_cmd(
    dataset: str = typer.Argument(..., help="the dataset"),
    delivery: list[str] | None = typer.Option(
        None, "--delivery", help="a held delivery (repeat; default: every held extract waiting)"
    ),
    by: str | None = ACTING_ACCOUNT,
    reason: str = typer.Option(..., "--reason", help="why the extract may go out without its rare rows"),
) -> None:
    """Release held extracts: each unit receives its extract without the rows of its rare combinations."""
    _decide(dataset, delivery, True, by, reason)


@deliveries_app.command("withhold")
def withhold_cmd(
    dataset: str = typer.Argument(..., help="the dataset"),
    delivery: list[str] | None = typer.Option(
        None, "--delivery", help="a held delivery (repeat; default: every held extract waiting)"
    ),
    by: str | None = ACTING_ACCOUNT,
    reason: str = typer.Option(..., "--reason", help="why the extract stays withheld"),
) -> None:
    """Keep held extracts withheld: nothing is delivered; the next run measures again."""
    _decide(dataset, delivery, False, by, reason)


def _print_rare(guard: Mapping[str, Any]) -> None:
    """A held extract's rare combinations, one line each (counts, never rows), never wrapped."""
    for rare in guard.get("rare", []):
        values = ", ".join(f"{k}={v}" for k, v in rare["values"].items())
        console.print(f"  稀有组合 rare: {values} — {rare['rows']} 行 rows", highlight=False, soft_wrap=True)
