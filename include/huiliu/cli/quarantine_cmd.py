"""``huiliu quarantine list|show|release|discard``: review and decide quarantined rows."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any, TypedDict

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.contracts import DatasetContract

quarantine_app = typer.Typer(
    help="Quarantined rows: review, release corrected rows, discard.", no_args_is_help=True
)


class ReviewStep(TypedDict):
    """One decision on a quarantined row, as ``huiliu quarantine show`` prints it."""

    action: str
    actor: str
    reason: str
    at: str
    changes: dict[str, Any]


def _contract(dataset: str) -> DatasetContract:
    from huiliu.contracts import load_contract

    try:
        return load_contract(dataset)
    except HuiliuError as exc:
        fail(str(exc))


def _parse_changes(pairs: list[str]) -> dict[str, str | None]:
    changes: dict[str, str | None] = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep or not column.strip():
            fail("--set: write COLUMN=VALUE (COLUMN= sets it empty); one --set has no column name or no '='")
        changes[column.strip()] = value if value != "" else None
    return changes


@quarantine_app.command("list")
def list_cmd(
    dataset: str = typer.Argument(..., help="dataset name"),
    batch: str | None = typer.Option(None, "--batch", help="only rows of this batch id"),
    state: str = typer.Option("pending", help="pending, released, discarded or all"),
    limit: int = typer.Option(50, help="rows to show (JSON lists all)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List quarantined rows with the rules they failed (values are shown only by `show --values`)."""
    from huiliu.quality.quarantine import list_rows

    contract = _contract(dataset)
    try:
        rows = list_rows(contract, batch_id=batch, state=None if state == "all" else state)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table(title=f"quarantine.{dataset} — {len(rows)} row(s) {state}")
    for header in ("quarantine id", "state", "held", "failed rules", "why · 原因"):
        table.add_column(header, overflow="fold")
    for row in rows[:limit]:
        why = "\n".join(f["message"] for f in row.failures if "message" in f)
        table.add_row(row.quarantine_id, row.state, "yes" if row.held else "", row.failed_rules, why)
    console.print(table)


@quarantine_app.command("show")
def show(
    dataset: str = typer.Argument(..., help="dataset name"),
    quarantine_id: str = typer.Argument(..., help="the row's quarantine id"),
    values: bool = typer.Option(False, "--values", help="also print the row's values (personal data)"),
) -> None:
    """One quarantined row: its failures, state and decision history (JSON)."""
    from huiliu.quality.quarantine import show_row
    from huiliu.quality.records import actions_of

    contract = _contract(dataset)
    try:
        row = show_row(contract, quarantine_id)
    except HuiliuError as exc:
        fail(str(exc))
    body = row.as_dict(with_values=values)
    history: list[ReviewStep] = [
        {
            "action": a.action,
            "actor": a.actor,
            "reason": a.reason,
            "at": a.at.isoformat(),
            "changes": a.changes,
        }
        for a in actions_of(dataset, quarantine_id)
    ]
    print_json({**body, "history": history})


@quarantine_app.command("release")
def release_cmd(
    dataset: str = typer.Argument(..., help="dataset name"),
    ids: list[str] = typer.Argument(..., help="quarantine ids to release"),
    reason: str = typer.Option(..., "--reason", help="why the rows may now be returned (kept for audit)"),
    by: str = typer.Option(getpass.getuser(), "--by", help="who decides"),
    set_: list[str] = typer.Option(
        [], "--set", help="COLUMN=VALUE correction applied to the rows (repeatable)"
    ),
) -> None:
    """Re-validate (corrected) rows and move those that pass into curated; exit 4 if any still fails."""
    from huiliu.quality.quarantine import release

    contract = _contract(dataset)
    try:
        outcome = release(contract, ids, actor=by, reason=reason, changes=_parse_changes(set_))
    except HuiliuError as exc:
        fail(str(exc))
    for qid in outcome.released:
        console.print(f"✓ released {qid} → curated.{dataset} ({outcome.release_batch_id})")
    for qid, rules in outcome.still_failing.items():
        console.print(f"✗ {qid} still fails: {'; '.join(rules)} — correct it with --set and try again")
    if outcome.still_failing:
        raise typer.Exit(4)


@quarantine_app.command("discard")
def discard_cmd(
    dataset: str = typer.Argument(..., help="dataset name"),
    ids: list[str] = typer.Argument(..., help="quarantine ids to discard"),
    reason: str = typer.Option(..., "--reason", help="why the rows are dropped (kept for audit)"),
    by: str = typer.Option(getpass.getuser(), "--by", help="who decides"),
) -> None:
    """Record that rows will never be returned; they stay in quarantine as evidence."""
    from huiliu.quality.quarantine import discard

    contract = _contract(dataset)
    try:
        done = discard(contract, ids, actor=by, reason=reason)
    except HuiliuError as exc:
        fail(str(exc))
    console.print(f"discarded {len(done)} row(s) of quarantine.{dataset}")
