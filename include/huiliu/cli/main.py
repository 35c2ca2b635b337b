"""``huiliu``: the command line of the data back-flow pipeline."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from huiliu.cli.output import console, err_console, fail, print_json
from huiliu.cli.termination import exit_on_sigterm
from huiliu.errors import FileRejectedError, HuiliuError

app = typer.Typer(help="回流 huiliu — collect, gate and return city data.", no_args_is_help=True)
db_app = typer.Typer(help="The governance store.", no_args_is_help=True)
units_app = typer.Typer(
    help="Administrative units (city > district > street > community > grid).", no_args_is_help=True
)
contracts_app = typer.Typer(help="Dataset contracts.", no_args_is_help=True)
lake_app = typer.Typer(help="The Iceberg lake.", no_args_is_help=True)


app.add_typer(db_app, name="db")
app.add_typer(units_app, name="units")
app.add_typer(contracts_app, name="contracts")
app.add_typer(lake_app, name="lake")


def _mount_optional() -> None:
    from huiliu.cli.accounts_cmd import accounts_app
    from huiliu.cli.city_cmd import city_app
    from huiliu.cli.corrections_cmd import corrections_app
    from huiliu.cli.dags_cmd import dags_app
    from huiliu.cli.deliveries_cmd import deliveries_app
    from huiliu.cli.demo_cmd import demo
    from huiliu.cli.grants_cmd import grants_app
    from huiliu.cli.lake_cmd import register as register_lake
    from huiliu.cli.pii_approval_cmd import register as register_pii_approvals
    from huiliu.cli.pii_cmd import pii_app
    from huiliu.cli.policy_cmd import policy_app
    from huiliu.cli.portal_cmd import portal_app, token_app
    from huiliu.cli.quality_cmd import quality_app
    from huiliu.cli.quarantine_cmd import quarantine_app
    from huiliu.cli.reconcile_cmd import reconcile_app

    app.add_typer(quality_app, name="quality")
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(reconcile_app, name="reconcile")
    app.add_typer(city_app, name="city")
    app.add_typer(dags_app, name="dags")
    app.command("demo")(demo)
    app.add_typer(pii_app, name="pii")
    register_pii_approvals(pii_app)
    register_lake(lake_app)
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(grants_app, name="grants")
    app.add_typer(deliveries_app, name="deliveries")
    app.add_typer(policy_app, name="policy")
    app.add_typer(portal_app, name="portal")
    app.add_typer(corrections_app, name="corrections")
    units_app.add_typer(token_app, name="token")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the governance store to the latest schema."""
    from huiliu.settings import get_settings
    from huiliu.store.db import current_revision, upgrade

    settings = get_settings()
    settings.ensure_home()
    try:
        upgrade()
    except HuiliuError as exc:
        fail(str(exc))
    console.print(f"governance store at revision [bold]{current_revision()}[/]")


@units_app.command("list")
def units_list(
    level: str = typer.Option("district", help="province, city, district, street, community or grid"),
    district: str | None = typer.Option(None, help="only units inside this 6-digit district code"),
    within: str | None = typer.Option(None, help="only units inside this unit code (any level)"),
    city: str | None = typer.Option(None, help="4-digit city code; default HUILIU_CITY_CODE"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """List administrative units, e.g. `huiliu units list --level street --district 520102`."""
    from huiliu.divisions import LEVELS, load_hierarchy
    from huiliu.settings import get_settings

    settings = get_settings()
    if level not in LEVELS:
        fail(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    try:
        tree = load_hierarchy(
            city or settings.city_code, [district] if district else None, settings.units_seed
        )
        units = tree.at_level(level, within)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(
            [{"code": u.code, "name": u.name, "level": u.level, "parent": u.parent_code} for u in units]
        )
        return
    table = Table("code 代码", "name 名称", "parent 上级", title=f"{len(units)} {level} units")
    for unit in units:
        table.add_row(unit.code, unit.name, unit.parent_code or "")
    console.print(table)


@units_app.command("sync")
def units_sync(city: str | None = typer.Option(None, help="4-digit city code")) -> None:
    """Store the city's hierarchy in the governance store."""
    from huiliu.divisions import load_hierarchy
    from huiliu.settings import get_settings
    from huiliu.store.units import count_units, sync_units

    settings = get_settings()
    sync_units(load_hierarchy(city or settings.city_code, None, settings.units_seed))
    print_json(count_units())


@contracts_app.command("check")
def contracts_check(
    paths: list[Path] = typer.Argument(None, help="contract files or folders; default include/contracts"),
    as_json: bool = typer.Option(False, "--json", help="print problems as JSON"),
) -> None:
    """Validate dataset contracts and their quality suites; exit 1 naming file, field and problem."""
    from huiliu.contracts import check_paths
    from huiliu.settings import get_settings

    targets = paths or [get_settings().contracts_dir]
    missing = [p for p in targets if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(map(str, missing))}")
    from huiliu.quality.suites import suite_contract_problems

    contracts, problems = check_paths(targets)
    problems += suite_contract_problems(contracts)
    if as_json:
        print_json({"valid": [c.name for c in contracts], "problems": [p.as_dict() for p in problems]})
    else:
        for problem in problems:
            err_console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
        console.print(f"{len(contracts)} valid contract(s), {len(problems)} problem(s)")
    if problems:
        raise typer.Exit(1)


@app.command("ingest-file")
def ingest_file(
    dataset: str = typer.Argument(..., help="dataset name, e.g. unemployment_benefit"),
    path: Path = typer.Argument(..., help="CSV or XLSX file to land"),
) -> None:
    """Land one dropped file into landing.<dataset>; exit 2 when the file is rejected."""
    from huiliu.contracts import load_contract
    from huiliu.ingest import land_file

    try:
        result = land_file(load_contract(dataset), path)
    except FileRejectedError as exc:
        from huiliu.sources.dropbox import message_zh

        err_console.print(message_zh(exc), highlight=False, soft_wrap=True)
        err_console.print(f"rejected: {exc}", highlight=False, soft_wrap=True)
        err_console.print(
            "文件已移至 rejected/ 目录并附拒收原因（reason 文件）。", highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    except HuiliuError as exc:
        fail(str(exc))
    print_json(result.as_dict())


@lake_app.command("stats")
def lake_stats_cmd() -> None:
    """Print row counts per Iceberg table as JSON."""
    from huiliu.lake.stats import lake_stats

    print_json(lake_stats())


_mount_optional()


def run() -> None:
    """The ``huiliu`` command: SIGTERM stops it promptly (see ``huiliu.cli.termination``)."""
    exit_on_sigterm()
    app()
