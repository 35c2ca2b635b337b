"""``huiliu pii approvals|approve|reject``: compliance officers answer PII approvals from a terminal.

The answer goes through Airflow's own human-in-the-loop response path (the same handler as the
Required Actions UI and the REST API), so the waiting DAG run resumes and its ``pii_decision``
task records who decided, when and why.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from huiliu.cli.output import console, fail, print_json
from huiliu.errors import HuiliuError

BY_OPTION = typer.Option(..., "--by", help="your name, recorded as who decided, e.g. 张科长")
REASON_OPTION = typer.Option(..., "--reason", help="why, recorded with the decision")
BATCH_OPTION = typer.Option(None, "--batch", help="the batch id; needed when several runs wait")


def approvals(
    dataset: str | None = typer.Argument(None, help="only this dataset"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """List batches waiting for a compliance officer: dataset, batch, what holds it, since when."""
    from huiliu.airflow.pii_approvals import pending_approvals, waiting_for

    try:
        pending = pending_approvals(dataset)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json([p.as_dict() for p in pending])
        return
    now = datetime.now(UTC)
    table = Table(
        "dataset 数据集", "batch 批次", "findings 待审事项", "waiting 等待", title="PII approvals 待审批"
    )
    for p in pending:
        findings = "\n".join(f"{f['column']}: {f['entity_type']} ({f['rule']})" for f in p.decision.findings)
        state = waiting_for(p, now) + ("" if p.awaiting_input else " (run not waiting)")
        table.add_row(p.decision.dataset, p.decision.batch_id, findings, state)
    console.print(table)


def _answer(dataset: str, batch: str | None, approve: bool, by: str, reason: str) -> None:
    from huiliu.airflow.pii_approvals import respond

    try:
        covered = respond(dataset, batch, approve, by, reason)
    except HuiliuError as exc:
        fail(str(exc))
    verb = "approved 已批准" if approve else "rejected 已驳回"
    for decision in covered:
        console.print(
            f"{verb}: {decision.dataset} batch {decision.batch_id} by {by.strip()}", highlight=False
        )
    console.print(f"the run {covered[0].run_id} resumes; pii_decision records the decision", highlight=False)


def approve(
    dataset: str = typer.Argument(..., help="e.g. resident_registry"),
    batch: str | None = BATCH_OPTION,
    by: str = BY_OPTION,
    reason: str = REASON_OPTION,
) -> None:
    """Approve the personal information of a held batch: the run goes on to the quality gate."""
    _answer(dataset, batch, True, by, reason)


def reject(
    dataset: str = typer.Argument(..., help="e.g. resident_registry"),
    batch: str | None = BATCH_OPTION,
    by: str = BY_OPTION,
    reason: str = REASON_OPTION,
) -> None:
    """Reject the personal information of a held batch: the whole batch goes to quarantine."""
    _answer(dataset, batch, False, by, reason)


def register(pii_app: typer.Typer) -> None:
    """Add ``approvals``, ``approve`` and ``reject`` to the ``huiliu pii`` commands."""
    pii_app.command("approvals")(approvals)
    pii_app.command("approve")(approve)
    pii_app.command("reject")(reject)
