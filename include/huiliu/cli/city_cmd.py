"""``huiliu city``: generate the synthetic city's department sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from huiliu.cli.output import console, fail
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.city.generator import Scale

city_app = typer.Typer(
    help="The synthetic city: department databases and file drops with planted defects.", no_args_is_help=True
)

SCALES: tuple[Scale, ...] = ("small", "medium", "large")
STEP_TITLES = {
    "population": "人口 population",
    "resident_registry": "公安 resident_registry",
    "subsistence_allowance": "民政 subsistence_allowance",
    "disability_registry": "残联 disability_registry",
    "elderly_care_services": "民政 elderly_care_services",
    "hotline_tickets": "城运 hotline_tickets",
    "grid_events": "网格 grid_events",
    "business_registrations": "市场监管 business_registrations",
    "unemployment_benefit": "人社 unemployment_benefit (GBK CSV)",
    "volunteer_points": "社区 volunteer_points (XLSX)",
    "ground_truth": "ground_truth.json",
}


@city_app.callback()
def city() -> None:
    """The synthetic city: department databases and file drops with planted defects."""


def parse_targets(values: list[str]) -> dict[str, str]:
    """``NAME=URL`` options as a mapping.

    Raises:
        typer.BadParameter: a value is not ``NAME=URL``.
    """
    targets: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise typer.BadParameter(
                f"{value!r} is not NAME=URL, e.g. gongan=postgresql+psycopg2://postgres@127.0.0.1:5432/huiliu_src"
            )
        targets[name.strip()] = url.strip()
    return targets


def connection_hint(error: OperationalError) -> str:
    """A message for a database error that escaped the generator's own checks."""
    return (
        f"a target database could not be reached ({type(error.orig).__name__}); check that the server is "
        "running and that the --target URL's host, port, user and password are right"
    )


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@city_app.command("generate")
def generate(
    city: str = typer.Option("5201", "--city", help="4-digit city code (5201 = 贵阳市)"),
    districts: str | None = typer.Option(
        None, "--districts", help="comma-separated 6-digit district codes, e.g. 520102,520103"
    ),
    scale: str = typer.Option(
        "small", "--scale", help="small (~50k residents), medium (~300k) or large (1.2M)"
    ),
    seed: int = typer.Option(7, "--seed", help="random seed; the same seed gives the same city"),
    target: list[str] | None = typer.Option(
        None, "--target", help="NAME=URL: write connection NAME's tables to that database (repeatable)"
    ),
    out: Path | None = typer.Option(None, "--out", help="output folder; default: the settings' city_path"),
    residents: int | None = typer.Option(
        None, "--residents", help="override the scale's number of residents"
    ),
) -> None:
    """Generate department databases, file drops and ground_truth.json (e.g. --scale small)."""
    from huiliu.city import generate_city
    from huiliu.city.generator import city_contracts
    from huiliu.settings import get_settings

    if scale not in SCALES:
        fail(f"unknown scale {scale!r}; use small, medium or large")
    try:
        targets = parse_targets(target or [])
    except typer.BadParameter as exc:
        fail(str(exc))
    district_list = [d.strip() for d in districts.split(",") if d.strip()] if districts else None
    folder = out or get_settings().city_path
    with _progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(STEP_TITLES.get(step, step), total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))

        try:
            manifest = generate_city(
                folder,
                city,
                district_list,
                scale,
                seed,
                targets,
                progress,
                residents=residents,
            )
        except HuiliuError as exc:
            bar.stop()
            fail(str(exc))
        except OperationalError as exc:
            bar.stop()
            fail(connection_hint(exc))
    where = {name: contract.source.connection for name, contract in city_contracts().items()}
    table = Table(
        "dataset", "rows", "defects", "connection", title=f"synthetic city 合成城市 ({scale}, seed {seed})"
    )
    for name, rows in manifest.counts.items():
        table.add_row(name, f"{rows:,}", f"{manifest.defects.get(name, 0):,}", where.get(name, ""))
    console.print(table)
    console.print(f"ground truth: {manifest.ground_truth}")
    console.print(f"connections:  {manifest.out_dir / 'connections.json'}")
