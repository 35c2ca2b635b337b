"""``huiliu demo``: build the small city and run every ingestion DAG through Airflow."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from huiliu.cli.output import console, fail
from huiliu.errors import HuiliuError


def demo(seed: int = typer.Option(7, help="seed of the synthetic city")) -> None:
    """Generate the small city (南明区), run every ingestion DAG once, print and save a summary."""
    from huiliu.airflow.demo import DatasetSummary, run_demo
    from huiliu.contracts import load_contracts

    steps = 4 + len(load_contracts())
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        bar = progress.add_task("starting", total=steps)

        def report(message: str) -> None:
            progress.update(bar, description=message, advance=1)

        def on_dataset(summary: DatasetSummary) -> None:
            mark = "✓" if summary.state == "success" else "✗"
            progress.console.print(f"{mark} {summary.name}: {summary.rows_landed} rows in {summary.seconds}s")

        try:
            datasets, path = run_demo(seed, report, on_dataset)
        except HuiliuError as exc:
            fail(str(exc))
        progress.update(bar, completed=steps, description="done")
    table = Table(title="huiliu demo 演示结果")
    table.add_column("dataset", no_wrap=True)
    table.add_column("owner 负责部门", overflow="fold", max_width=16)
    for header in ("state", "rows landed", "batches", "seconds"):
        table.add_column(header, justify="right")
    for d in datasets:
        table.add_row(d.name, d.owner, d.state, f"{d.rows_landed:,}", str(d.batches), f"{d.seconds:.1f}")
    console.print(table)
    console.print(f"summary written to {path}")
    if any(d.state != "success" for d in datasets):
        fail("some DAG runs failed; see the messages above")
