"""Build one ingestion DAG per dataset contract.

Parsing stays cheap: this module imports only the contract models; the lake, the sources,
Great Expectations, Presidio and lineage are imported inside the tasks. The gates are further
tasks of the same DAG, fed by the ``land`` task's result: the PII gate first (with a compliance
officer's approval when it needs one), then the quality gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, XComArg, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from huiliu.airflow.pii_tasks import (
    DECISION_TASK,
    GATE_TASK,
    pii_approval_operator,
    pii_decision_task,
    pii_gate_task,
)
from huiliu.airflow.quality_tasks import data_docs_task, freshness_task, quality_gate_task
from huiliu.airflow.records import MULTIPLE_OUTPUTS, LandedFiles, LandOutcome
from huiliu.contracts import DatasetContract, load_contracts
from huiliu.contracts.model import FileSource
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from airflow.sdk import Context

    from huiliu.ingest.landing import LandingRecord

START_DATE = datetime(2026, 1, 1)
# every task but the compliance officer's approval (which waits for a person, not for work) is
# bounded: a stalled source or lake cannot hold a worker slot for ever
TASK_TIMEOUT = timedelta(hours=3)
SHORT = timedelta(minutes=30)
DAG_PREFIX = "ingest_"


def landing_asset(contract: DatasetContract) -> Asset:
    """The Airflow asset other DAGs can schedule on: the dataset's landing table."""
    return Asset(name=contract.landing_table, uri=f"iceberg://huiliu/landing/{contract.name}", group="huiliu")


def curated_asset(contract: DatasetContract) -> Asset:
    """The asset of the dataset's curated table, updated when the quality gate passes rows."""
    return Asset(name=contract.curated_table, uri=f"iceberg://huiliu/curated/{contract.name}", group="huiliu")


def department_defaults(contract: DatasetContract) -> dict[str, Any]:
    """Task defaults of a dataset's DAGs: owned by its department, retried with backoff."""
    return {
        "owner": contract.owner.department_code,
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
    }


def run_parent(context: Context) -> tuple[str, str, str]:
    """The lineage parent (namespace, job, run id) of this DAG run."""
    from huiliu.settings import get_settings

    dag_run = context["dag_run"]
    parent_run = str(uuid.uuid5(uuid.NAMESPACE_URL, f"airflow/{dag_run.dag_id}/{dag_run.run_id}"))
    return get_settings().lineage_namespace, dag_run.dag_id, parent_run


def _run_identity(context: Context) -> tuple[str, tuple[str, str, str]]:
    """The batch run key and the lineage parent (namespace, job, run id) of this DAG run."""
    logical_date = context.get("logical_date")
    run_key = logical_date.strftime("%Y%m%dT%H%M%S") if logical_date else context["dag_run"].run_id
    return run_key, run_parent(context)


def _fail_terminal(exc: HuiliuError) -> None:
    """Errors that retrying cannot fix fail the task at once, without burning retries."""
    if not exc.retryable:
        raise AirflowFailException(str(exc)) from exc
    raise exc


def land_task(contract_name: str) -> LandingRecord:
    """Land one batch of a SQL-sourced dataset (runs inside an Airflow task)."""
    from huiliu.contracts import load_contract
    from huiliu.ingest import land_dataset

    context = get_current_context()
    run_key, parent = _run_identity(context)
    try:
        result = land_dataset(
            load_contract(contract_name), run_key, parent=parent, until=context.get("data_interval_end")
        )
    except HuiliuError as exc:
        _fail_terminal(exc)
        raise
    return result.as_dict()


def land_files_task(contract_name: str) -> LandedFiles:
    """Land every pending dropped file of a file-drop dataset; fail if any was rejected."""
    from huiliu.contracts import load_contract
    from huiliu.ingest import land_drop_folder

    _, parent = _run_identity(get_current_context())
    try:
        outcome = land_drop_folder(load_contract(contract_name), parent=parent)
    except HuiliuError as exc:
        _fail_terminal(exc)
        raise
    if outcome.rejected:
        reasons = "; ".join(str(e) for e in outcome.rejected)
        raise AirflowFailException(
            f"dataset {contract_name}: {len(outcome.rejected)} file(s) rejected and moved to rejected/ "
            f"({len(outcome.landed)} landed): {reasons}"
        )
    rows = sum(r.rows for r in outcome.landed)
    return {
        "dataset": contract_name,
        "files": len(outcome.landed),
        "rows": rows,
        "batches": [r.as_dict() for r in outcome.landed],
    }


def _doc(contract: DatasetContract) -> str:
    pi = ", ".join(f"`{p.column}` ({p.entity_type})" for p in contract.personal_information) or "none"
    return (
        f"### {contract.title} / {contract.title_en}\n\n"
        f"Owner: {contract.owner.department} — steward: {contract.owner.steward}\n\n"
        f"Sharing class: {contract.classification.sharing_class.value}; "
        f"sensitivity: {contract.classification.sensitivity.value}\n\n"
        f"Personal information: {pi}\n\nPurpose: {contract.purpose}\n\nLegal basis: {contract.legal_basis}"
    )


def _pii_step(contract: DatasetContract, landed: XComArg) -> XComArg:
    """``pii_gate`` → (``pii_approval`` when a batch needs it) → ``pii_decision``; returns the decision.

    ``pii_gate`` runs whatever ``land`` did (as the quality gate does): it checks the batches that
    landed and earlier ones not gated yet. A batch it could not check, or that waits for approval,
    is refused by the quality gate.
    """
    gate = task.branch(task_id=GATE_TASK, trigger_rule="all_done", execution_timeout=TASK_TIMEOUT)(
        pii_gate_task
    )(contract.name, landed)  # type: ignore[arg-type]  # Airflow's Task type wants the value, not its XComArg
    approval = pii_approval_operator(contract)
    decision = task(
        task_id=DECISION_TASK,
        multiple_outputs=MULTIPLE_OUTPUTS,
        trigger_rule="none_failed_min_one_success",
        retries=0,
        execution_timeout=TASK_TIMEOUT,
    )(pii_decision_task)
    decided = decision(contract.name)
    gate >> [approval, decided]
    approval >> decided
    return decided


def build_ingestion_dag(contract: DatasetContract) -> DAG:
    """One contract's DAG: ``land`` → ``pii_gate`` → [``pii_approval``] → ``pii_decision`` →
    ``quality_gate`` → ``data_docs``, and ``freshness`` after ``land``."""
    is_file = isinstance(contract.source, FileSource)
    with DAG(
        dag_id=f"{DAG_PREFIX}{contract.name}",
        description=f"{contract.title} ({contract.title_en}) → landing.{contract.name}",
        schedule=contract.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        doc_md=_doc(contract),
        tags=["huiliu", "ingest", contract.owner.department_code, *contract.tags],
        default_args=department_defaults(contract),
    ) as dag:
        callable_: Callable[[str], LandOutcome] = land_files_task if is_file else land_task
        landed = task(
            task_id="land",
            multiple_outputs=MULTIPLE_OUTPUTS,
            outlets=[landing_asset(contract)],
            execution_timeout=TASK_TIMEOUT,
        )(callable_)(contract.name)
        decided = _pii_step(contract, landed)
        gate = task(
            task_id="quality_gate",
            multiple_outputs=MULTIPLE_OUTPUTS,
            outlets=[curated_asset(contract)],
            trigger_rule="all_done",
            execution_timeout=TASK_TIMEOUT,
        )(quality_gate_task)
        gated = gate(contract.name, landed)  # type: ignore[arg-type]  # Airflow's Task type wants the value, not its XComArg
        decided >> gated
        docs = task(task_id="data_docs", trigger_rule="all_done", retries=0, execution_timeout=SHORT)(
            data_docs_task
        )(contract.name)
        gated >> docs
        fresh = task(
            task_id="freshness",
            multiple_outputs=MULTIPLE_OUTPUTS,
            trigger_rule="all_done",
            retries=0,
            execution_timeout=SHORT,
        )(freshness_task)(contract.name)
        landed >> fresh
        _outcome_leaf(dag)
    return dag


def _outcome_leaf(dag: DAG) -> None:
    """A last task that fails (upstream_failed) when any task failed, so the run's state says so.

    Several tasks run whatever happened before them (``all_done``: the gate still gates the good
    files of a drop with a rejected file; Data Docs and freshness are always reported), and a run's
    state follows its leaf tasks.
    """
    others = list(dag.tasks)
    done = EmptyOperator(task_id="outcome", trigger_rule="none_failed", execution_timeout=SHORT)
    others >> done


def build_ingestion_dags(folder: Path | None = None) -> dict[str, DAG]:
    """One DAG per contract; a broken contract, or a quality suite that is missing or broken,
    raises at parse time, naming the file and the problem (checked without importing GX)."""
    from huiliu.quality.suites import load_checked_suite

    contracts = sorted(load_contracts(folder).items())
    for _, contract in contracts:
        load_checked_suite(contract)
    return {f"{DAG_PREFIX}{name}": build_ingestion_dag(c) for name, c in contracts}
