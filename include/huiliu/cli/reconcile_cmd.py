"""``huiliu reconcile run|flags``: cross-department reconciliation and the records it flagged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.reconciliation.store import StoredFlag

reconcile_app = typer.Typer(
    help="Cross-department reconciliation (跨部门核对): run the checks, list flagged records.",
    no_args_is_help=True,
)


class FlagRow(TypedDict):
    """A flagged record as ``huiliu reconcile flags`` lists it, its record key masked."""

    check: str
    dataset: str
    record_key: str
    detail: str


def _default_run_key() -> str:
    return "manual-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


@reconcile_app.command("run")
def run_cmd(
    run_key: str | None = typer.Option(
        None, "--run-key", help="identifies the run; re-using a key replaces its report and flags"
    ),
    spec: Path | None = typer.Option(
        None, "--spec", help="checks file; default include/checks/reconciliation.yaml"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the run's summary as JSON"),
) -> None:
    """Run every reconciliation check on the curated data; write the report and flag records."""
    from huiliu.reconciliation.runner import run_reconciliation

    try:
        outcome = run_reconciliation(run_key or _default_run_key(), spec_path=spec)
    except HuiliuError as exc:
        fail(str(exc))
    summary = outcome.summary()
    if as_json:
        print_json(summary)
        return
    console.print(_summary_table(summary))
    console.print(
        f"{summary['flagged']} record(s) flagged — report: {outcome.report.zh_path}", soft_wrap=True
    )


def _summary_table(summary: dict[str, Any]) -> Table:
    from huiliu.reports import percent

    table = Table(title=f"reconciliation {summary['run_key']}: {summary['status']}")
    for header in ("check 核对项", "compared 比对", "mismatches 不一致", "rate 比例", "passed 通过"):
        table.add_column(header, justify="left" if header.startswith("check") else "right", overflow="fold")
    for check in summary["checks"]:
        passed = {"passed": "✓", "failed": "✗"}.get(check["status"], f"skipped: {check['reason']}")
        table.add_row(
            check["name"],
            f"{check['rows_compared']:,}",
            f"{check['mismatches']:,}",
            percent(check["mismatch_rate"]),
            passed,
        )
    return table


@reconcile_app.command("flags")
def flags_cmd(
    dataset: str | None = typer.Option(None, "--dataset", help="only records of this dataset"),
    check: str | None = typer.Option(None, "--check", help="only records flagged by this check"),
    limit: int = typer.Option(100, help="rows to show (JSON lists all)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List the records the latest run flagged; record keys holding personal data are masked."""
    from huiliu.reconciliation.store import flags_for, latest_run

    latest = latest_run()
    if latest is None:
        fail("no reconciliation run yet; run `huiliu reconcile run` first")
    rows = _masked(flags_for(dataset, check=check))
    if as_json:
        print_json({"run_key": latest.run_key, "run_id": latest.run_id, "flags": rows})
        return
    table = Table(title=f"{len(rows)} flagged record(s) — run {latest.run_key}")
    for header in ("check", "dataset", "record key", "detail"):
        table.add_column(header, overflow="fold")
    for row in rows[:limit]:
        table.add_row(row["check"], row["dataset"], row["record_key"], row["detail"])
    console.print(table)


def _masked(flags: list[StoredFlag]) -> list[FlagRow]:
    """Flags as plain dicts with their record keys masked by their dataset's contract."""
    from huiliu.contracts import load_contracts
    from huiliu.reconciliation.masking import display_key

    try:
        contracts = load_contracts()
    except HuiliuError as exc:
        fail(str(exc))
    return [
        {
            "check": f.check,
            "dataset": f.dataset,
            "record_key": display_key(f.record_key, contracts.get(f.dataset)),
            "detail": f.detail,
        }
        for f in flags
    ]
