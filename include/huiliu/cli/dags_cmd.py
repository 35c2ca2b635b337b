"""``huiliu dags``: list and run huiliu's DAGs locally through Airflow."""

from __future__ import annotations

from datetime import datetime

import typer

from huiliu.cli.output import console, fail
from huiliu.errors import HuiliuError

dags_app = typer.Typer(help="Run huiliu's DAGs locally with Airflow's dag.test().", no_args_is_help=True)


@dags_app.command("run")
def run(
    dag_id: str = typer.Argument(..., help="e.g. ingest_resident_registry"),
    logical_date: datetime | None = typer.Option(
        None, help="logical date (ISO); the same date replaces its batch"
    ),
) -> None:
    """Migrate Airflow's metadata database if needed, then run one DAG once; exit 1 if it fails."""
    from huiliu.airflow.runner import migrate_metadata_db, run_dag

    migrate_metadata_db()
    if logical_date is not None and logical_date.tzinfo is None:
        from datetime import UTC

        logical_date = logical_date.replace(tzinfo=UTC)
    try:
        state = run_dag(dag_id, logical_date)
    except HuiliuError as exc:
        fail(str(exc))
    console.print(f"{dag_id}: {state}")
    if state != "success":
        raise typer.Exit(1)


@dags_app.command("list")
def list_dags() -> None:
    """The DAGs huiliu builds from its contracts: ingestion, and delivery of the returned datasets."""
    from huiliu.airflow.delivery_dag import returned_contracts
    from huiliu.contracts import load_contracts

    for name, contract in sorted(load_contracts().items()):
        console.print(f"ingest_{name}\t{contract.schedule or 'manual'}\t{contract.owner.department}")
    for contract in returned_contracts():
        console.print(f"deliver_{contract.name}\tcurated.{contract.name}\t{contract.owner.department}")
