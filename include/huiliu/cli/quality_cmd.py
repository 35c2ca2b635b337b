"""``huiliu quality …``: suites, the gate by hand, freshness, scorecards and scoring."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

quality_app = typer.Typer(help="The quality gate (Great Expectations suites).", no_args_is_help=True)


class BatchRow(TypedDict):
    """One landing batch and the gate's verdict on it, as ``huiliu quality batches`` lists it."""

    batch_id: str
    landing: str
    rows: int
    landed_at: str | None
    quality: str
    rows_quarantined: int | None


@quality_app.command("suggest")
def suggest(
    dataset: str = typer.Argument(..., help="dataset name, e.g. resident_registry"),
    write: bool = typer.Option(
        False, "--write", help="write expectations/<suite>.json (refuses to overwrite)"
    ),
    sample_rows: int = typer.Option(100_000, help="rows of landed data to profile"),
) -> None:
    """Draft a suite from the contract and a profile of landed data, for review."""
    from huiliu.contracts import load_contract
    from huiliu.lake.catalog import lake_table
    from huiliu.quality.suggest import suggest_suite
    from huiliu.quality.suites import suite_path, write_suite

    try:
        contract = load_contract(dataset)
        try:
            profile = lake_table(contract.landing_table).scan(limit=sample_rows).to_arrow()
        except HuiliuError:
            profile = None
        body = suggest_suite(contract, profile)
    except HuiliuError as exc:
        fail(str(exc))
    if not write:
        print_json(body)
        return
    path = suite_path(contract)
    if path.exists():
        fail(f"{path} exists; review changes by printing the draft (without --write) and merge by hand")
    write_suite(path, body)
    console.print(f"draft written to {path} ({len(body['expectations'])} expectations); review it before use")


@quality_app.command("batches")
def batches(
    dataset: str = typer.Argument(..., help="dataset name"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Landing batches of a dataset with the gate's verdict on each (newest last)."""
    from huiliu.quality.records import quality_runs
    from huiliu.store.batches import batches_of

    verdicts = {r.batch_id: r for r in quality_runs(dataset)}
    rows: list[BatchRow] = [
        {
            "batch_id": b.batch_id,
            "landing": b.status,
            "rows": b.rows,
            "landed_at": b.finished_at.isoformat() if b.finished_at else None,
            "quality": verdicts[b.batch_id].status if b.batch_id in verdicts else "not gated",
            "rows_quarantined": verdicts[b.batch_id].rows_quarantined if b.batch_id in verdicts else None,
        }
        for b in batches_of(dataset)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{dataset} batches")
    for header in ("batch id", "landing", "rows", "quality", "quarantined"):
        table.add_column(header)
    for row in rows:
        quarantined = "—" if row["rows_quarantined"] is None else f"{row['rows_quarantined']:,}"
        table.add_row(row["batch_id"], row["landing"], f"{row['rows']:,}", row["quality"], quarantined)
    console.print(table)


def _batch_time(batch_id: str) -> datetime | None:
    """A scheduled batch's logical time from its run key (``<dataset>:YYYYMMDDTHHMMSS``)."""
    try:
        return datetime.strptime(batch_id.rsplit(":", 1)[-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _as_utc(moment: datetime) -> datetime:
    """An ``--as-of`` time as UTC; one written without an offset is Beijing time (the settings' zone),
    as every naive time in huiliu is."""
    from zoneinfo import ZoneInfo

    from huiliu.settings import get_settings

    zone = ZoneInfo(get_settings().timezone)
    return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)


@quality_app.command("run")
def run(
    dataset: str = typer.Argument(..., help="dataset name"),
    batch: str = typer.Option(
        ..., "--batch", help="landing batch id, e.g. resident_registry:20261101T000000"
    ),
    as_of: datetime | None = typer.Option(
        None,
        "--as-of",
        help="reference time of the checks (no offset: Beijing time); default the batch time, else now",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Gate one landed batch by hand (what the DAG's quality_gate task does); exit 3 when held."""
    from huiliu.contracts import load_contract
    from huiliu.errors import BatchHeldError
    from huiliu.quality.gate import run_gate

    reference = _as_utc(as_of) if as_of else _batch_time(batch)
    try:
        result = run_gate(load_contract(dataset), batch, as_of=reference)
    except BatchHeldError as exc:
        fail(str(exc), code=3)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(result.as_dict())
        return
    rate = "—" if result.pass_rate is None else f"{result.pass_rate:.2%}"
    console.print(
        f"{result.status}: {result.rows_curated:,} curated, {result.rows_quarantined:,} quarantined of "
        f"{result.rows_total:,} (pass rate {rate}); render Data Docs with `huiliu quality docs {dataset}`"
    )


@quality_app.command("docs")
def docs(dataset: str | None = typer.Argument(None, help="dataset name; every dataset when omitted")) -> None:
    """Render Great Expectations Data Docs from the gate's saved validation results."""
    from huiliu.contracts import load_contract, load_contracts
    from huiliu.quality.datadocs import build_data_docs

    try:
        contracts = [load_contract(dataset)] if dataset else list(load_contracts().values())
        for contract in contracts:
            console.print(f"{contract.name}: {build_data_docs(contract)}")
    except HuiliuError as exc:
        fail(str(exc))


@quality_app.command("freshness")
def freshness(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Has every source delivered within its contract's interval? Exit 1 when any is stale."""
    from huiliu.contracts import load_contracts
    from huiliu.quality.freshness import check_freshness

    results = [check_freshness(c) for _, c in sorted(load_contracts().items())]
    if as_json:
        print_json([r.as_dict() for r in results])
    else:
        table = Table(title="freshness 时效性")
        for header in ("dataset", "status", "last delivery (UTC)", "age h", "expected h"):
            table.add_column(header)
        for r in results:
            last = r.last_delivery_at.strftime("%Y-%m-%d %H:%M") if r.last_delivery_at else "—"
            age = "—" if r.age_hours is None else f"{r.age_hours:.1f}"
            table.add_row(r.dataset, r.status, last, age, str(r.expected_interval_hours or "—"))
        console.print(table)
    if any(r.stale for r in results):
        raise typer.Exit(1)


@quality_app.command("scorecard")
def scorecard(
    out: Path | None = typer.Option(None, help="folder for the report; default <home>/reports/quality"),
    as_json: bool = typer.Option(False, "--json", help="print the scorecard JSON"),
) -> None:
    """Write the quality scorecard per dataset and per owner department (HTML zh/en + JSON)."""
    from huiliu.quality.scorecard import build_scorecard, write_scorecard

    try:
        card = build_scorecard()
        files = write_scorecard(card, out)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(card)
        return
    console.print(f"scorecard: {files.zh_path} (English: {files.en_path}; data: {files.json_path})")


@quality_app.command("score")
def score(
    ground_truth: Path | None = typer.Option(None, help="ground_truth.json; default: the demo city's"),
) -> None:
    """Compare what the gate quarantined (and reconciliation flagged) with the city's planted defects."""
    from huiliu.contracts import load_contracts
    from huiliu.quality.score import score_city
    from huiliu.settings import get_settings

    path = ground_truth or get_settings().city_path / "ground_truth.json"
    if not path.is_file():
        fail(f"{path}: no ground truth; run `make demo` (or `huiliu city generate`) first")
    try:
        print_json(score_city(path, load_contracts()))
    except HuiliuError as exc:
        fail(str(exc))
