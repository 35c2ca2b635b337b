"""``huiliu demo``: build the small city and run every ingestion DAG through Airflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from huiliu.cli.deliveries_cmd import STATUS_ZH
from huiliu.cli.output import console, fail
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.airflow.demo import ReconciliationResult
    from huiliu.airflow.demo_portal import PortalRecord
    from huiliu.airflow.demo_returns import ReturnsRecord


def demo(seed: int = typer.Option(7, help="seed of the synthetic city")) -> None:
    """Generate the small city (南明区), run every ingestion DAG once, print and save a summary."""
    from huiliu.airflow.demo import DatasetSummary, run_demo
    from huiliu.contracts import load_contracts

    steps = 10 + len(load_contracts())
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        bar = progress.add_task("starting", total=steps)

        def report(message: str) -> None:
            progress.update(bar, description=message, advance=1)

        def on_dataset(summary: DatasetSummary) -> None:
            mark = "✓" if summary.state == "success" else "✗"
            progress.console.print(
                f"{mark} {summary.name}: {summary.rows_landed} landed, {summary.rows_curated} curated, "
                f"{summary.rows_quarantined} quarantined in {summary.seconds}s"
            )

        try:
            outcome = run_demo(seed, report, on_dataset)
        except HuiliuError as exc:
            fail(str(exc))
        progress.update(bar, completed=steps, description="done")
    table = Table(title="huiliu demo 演示结果")
    table.add_column("dataset", no_wrap=True)
    table.add_column("owner 负责部门", overflow="fold", max_width=12)
    headers = ("state", "rows_landed", "rows_curated", "rows_quarantined", "pass_rate")
    for header in (*headers, "pii_columns", "pii_findings", "seconds"):
        table.add_column(header, justify="right")
    datasets = outcome.datasets
    for d in datasets:
        rate = "—" if d.pass_rate is None else f"{d.pass_rate:.2%}"
        table.add_row(
            d.name,
            d.owner,
            d.state,
            f"{d.rows_landed:,}",
            f"{d.rows_curated:,}",
            f"{d.rows_quarantined:,}",
            rate,
            str(d.pii_columns),
            f"{d.pii_findings:,}",
            f"{d.seconds:.1f}",
        )
    console.print(table)
    _print_reconciliation(outcome.reconciliation)
    _print_deliveries(outcome.deliveries)
    if outcome.portal:
        _print_portal(outcome.portal)
    for name, where in outcome.reports.items():
        console.print(f"{name}: {where}")
    console.print(f"summary written to {outcome.summary_path}")
    failed_deliveries = [r["dag"] for r in outcome.deliveries["runs"] if r["state"] != "success"]
    for run in (r for r in outcome.deliveries["runs"] if r["state"] != "success"):
        console.print(f"✗ {run['dag']}: {run.get('output', '')}", highlight=False)
    if (
        any(d.state != "success" for d in datasets)
        or outcome.reconciliation["state"] != "success"
        or failed_deliveries
    ):
        fail("some DAG runs failed; see the messages above")


def _print_reconciliation(reconciliation: ReconciliationResult) -> None:
    table = Table(title=f"reconciliation 跨部门核对 — {reconciliation['status']}")
    table.add_column("check", no_wrap=True)
    for header in ("status", "compared", "mismatches"):
        table.add_column(header, justify="right")
    for check in reconciliation["checks"]:
        compared = check.get("rows_compared")
        table.add_row(
            check["name"],
            str(check["status"]),
            "—" if compared is None else f"{compared:,}",
            f"{check.get('mismatches') or 0:,}",
        )
    console.print(table)
    flagged = sum(check.get("mismatches") or 0 for check in reconciliation["checks"])
    if reconciliation["state"] == "success" and flagged:
        console.print(
            f"核对发现 {flagged:,} 处跨部门不一致（演示城市故意埋设的矛盾，如已死亡仍领取补贴）；"
            "“failed”表示存在需退回部门核实的记录，不是运行出错。\n"
            f"The checks found {flagged:,} records that disagree across departments (the demo city "
            "plants such conflicts on purpose, e.g. allowances paid after a death); "
            "'failed' means records to send back to the departments, not a broken run. "
            "List them with `huiliu reconcile flags` (personal keys masked).",
            highlight=False,
        )


def _print_portal(portal: PortalRecord) -> None:
    console.print(
        f"门户 portal: 社区 {portal['unit']} 拉取 pulled {portal['pulled_rows']:,} 行 rows "
        f"({', '.join(portal['datasets_listed'])})",
        highlight=False,
    )
    for c in portal["corrections"]:
        reason = f" — {c['decision_reason']}" if c["decision_reason"] else ""
        console.print(
            f"纠错 correction {c['id']} ({c['via']}): 第 {c['row']} 行 {c['field']} · {c['status']}{reason}",
            highlight=False,
        )
    console.print(
        f"下一次交付 next delivery {portal['next_delivery'] or '—'}: "
        f"{portal['notices_in_next_delivery']} 条更正通知 notices",
        highlight=False,
    )


def _print_deliveries(deliveries: ReturnsRecord) -> None:
    units, files = len(deliveries["units"]), deliveries["files"]
    table = Table(
        title=f"数据回流 deliveries — {units} 个单位 units, {files} 个文件 files, "
        f"{deliveries['rows']:,} 行 rows, {deliveries['held_extracts']} 次扣留 held"
    )
    headers = ("交付 delivery", "单位 unit", "数据集 dataset", "运行 run", "状态 status", "行数 rows")
    for header in (*headers, "抑制 suppressed"):
        table.add_column(header, overflow="fold")
    for d in deliveries["deliveries"]:  # oldest first: a unit's later runs below its first
        status = f"{STATUS_ZH[d['status']]} {d['status']}"
        cells = (d["id"], d["unit"], d["dataset"], d["run_id"] or "—", status, f"{d['rows']:,}")
        table.add_row(*cells, str(d["suppressed"]))
    console.print(table)
    for grant in deliveries["grants"]:
        console.print(
            f"授权 grant {grant['grant']}: {grant['unit_name']} ({grant['unit']}) · {grant['dataset']} · "
            f"{grant['status']} · {', '.join(grant['approved_by'])}",
            highlight=False,
        )
    for refusal in deliveries["refused"]:
        console.print(f"已拒绝 refused — {refusal['case']}: {refusal['message']}", highlight=False)
