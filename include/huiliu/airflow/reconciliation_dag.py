"""The cross-department reconciliation DAG ``reconcile_city``.

It runs whenever a new curated batch of any dataset the checks read arrives (their curated assets,
updated by each ingestion DAG's quality gate), and daily as a fallback. Parsing stays cheap: only
the checks file and the contracts are read here; the lake, DuckDB, the store and lineage are
imported inside the task.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, AssetAny, AssetOrTimeSchedule, CronTriggerTimetable, get_current_context, task

from huiliu.airflow.dag_factory import START_DATE, _fail_terminal, _run_identity, curated_asset
from huiliu.airflow.records import MULTIPLE_OUTPUTS
from huiliu.contracts import load_contracts
from huiliu.errors import HuiliuError
from huiliu.reconciliation.spec import ReconciliationSpec, load_spec

DAG_ID = "reconcile_city"
DAILY_FALLBACK = "0 3 * * *"
"""Run at 03:00 city time even when no curated batch arrived (the registry may change alone)."""
OWNER = "data_bureau"


def reconcile_task(spec_path: str | None = None) -> dict[str, Any]:
    """Run every reconciliation check once (runs inside an Airflow task); return the run's summary."""
    from huiliu.reconciliation.runner import run_reconciliation

    run_key, parent = _run_identity(get_current_context())
    try:
        outcome = run_reconciliation(run_key, parent=parent, spec_path=Path(spec_path) if spec_path else None)
    except HuiliuError as exc:
        _fail_terminal(exc)
        raise
    return outcome.summary()


def _doc(spec: ReconciliationSpec) -> str:
    lines = [f"- `{c.name}` ({c.kind}): {c.title.zh} / {c.title.en}" for c in spec.checks]
    return (
        "### 跨部门核对 / Cross-department reconciliation\n\n"
        "Checks from `include/checks/reconciliation.yaml`; the report is written to "
        "`reports/reconciliation/` and flagged records are listed by `huiliu reconcile flags`.\n\n"
        + "\n".join(lines)
    )


def build_reconciliation_dag(spec_path: Path | None = None) -> DAG:
    """The ``reconcile_city`` DAG: one ``reconcile`` task, on new curated data or daily.

    Args:
        spec_path: The checks file; ``include/checks/reconciliation.yaml`` when omitted.

    Raises:
        ReconciliationSpecError: The checks file is invalid (an import error naming file and field).
    """
    from huiliu.settings import get_settings

    contracts = load_contracts()
    spec = load_spec(spec_path, contracts)
    assets = [curated_asset(contracts[name]) for name in spec.datasets]
    schedule = AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(DAILY_FALLBACK, timezone=get_settings().timezone),
        assets=AssetAny(*assets),
    )
    with DAG(
        dag_id=DAG_ID,
        description="跨部门核对: recipients in the resident registry, community counts, known places",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        doc_md=_doc(spec),
        tags=["huiliu", "reconciliation"],
        default_args={
            "owner": OWNER,
            "retries": 1,
            "retry_delay": timedelta(minutes=5),
            "execution_timeout": timedelta(hours=3),
        },
    ) as dag:
        task(task_id="reconcile", multiple_outputs=MULTIPLE_OUTPUTS)(reconcile_task)(
            str(spec_path) if spec_path else None
        )
    return dag
