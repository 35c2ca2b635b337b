"""Airflow tasks of the quality step: gate each landed batch, and check the source's freshness.

Library calls are imported inside the tasks so that parsing a DAG file stays cheap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException

from huiliu.airflow.records import LandOutcome, QualityGateOutcome
from huiliu.errors import HuiliuError, StaleSourceError, TransientError

if TYPE_CHECKING:
    from airflow.sdk import Context

    from huiliu.quality.freshness import FreshnessRecord
    from huiliu.quality.gate import GateRecord


def landed_batch_ids(landed: LandOutcome | None) -> list[str]:
    """Batch ids from the ``land`` task's result (one SQL batch, or one per landed file)."""
    if not landed:
        return []
    if "batch_id" in landed:
        return [landed["batch_id"]]
    return [b["batch_id"] for b in landed.get("batches", [])]


def reference_time(context: Context) -> datetime:
    """The time a run checks against: its logical date, or now for runs without one."""
    logical = context.get("logical_date")
    # a plain datetime: Airflow hands out pendulum instances
    return datetime.fromtimestamp(logical.timestamp(), UTC) if logical else datetime.now(UTC)


def quality_gate_task(contract_name: str, landed: LandOutcome | None = None) -> QualityGateOutcome:
    """Gate every batch landed by this run, and any earlier batch left ungated.

    It runs even when ``land`` failed (a rejected file does not stop the good files of the same
    drop from being gated). Every batch is tried; the task fails at the end if any was held or
    could not be gated, naming each.
    """
    from huiliu.airflow.dag_factory import run_parent
    from huiliu.contracts import load_contract
    from huiliu.errors import BatchHeldError
    from huiliu.quality.gate import run_gate
    from huiliu.quality.records import ungated_batches

    context = get_current_context()
    contract = load_contract(contract_name)
    batches = list(dict.fromkeys([*landed_batch_ids(landed), *ungated_batches(contract_name)]))
    results: list[GateRecord] = []
    problems: list[str] = []
    retry = False
    for batch_id in batches:
        try:
            gate = run_gate(contract, batch_id, as_of=reference_time(context), parent=run_parent(context))
            results.append(gate.as_dict())
        except BatchHeldError as exc:
            problems.append(str(exc))
        except HuiliuError as exc:
            problems.append(f"batch {batch_id}: {exc}")
            retry = retry or exc.retryable
    if problems and retry:
        raise TransientError(" | ".join(problems))  # Airflow retries the task
    if problems:
        raise AirflowFailException(" | ".join(problems))
    return {"dataset": contract_name, "batches": results}


def freshness_task(contract_name: str) -> FreshnessRecord:
    """Fail (and so mark the DAG run) when the source has not delivered within its interval; the
    check is a lineage run on the landing table (FAIL, with the message, when stale)."""
    from huiliu.airflow.dag_factory import run_parent
    from huiliu.contracts import load_contract
    from huiliu.lineage.emitter import LineageEmitter, track_run
    from huiliu.lineage.naming import job_name, lake_dataset
    from huiliu.quality.freshness import check_freshness
    from huiliu.settings import get_settings

    context, contract, settings = get_current_context(), load_contract(contract_name), get_settings()
    try:
        with track_run(
            LineageEmitter(),
            job=job_name(contract.name, "freshness"),
            namespace=settings.lineage_namespace,
            inputs=[lake_dataset(contract.landing_table, settings)],
            parent=run_parent(context),
        ):
            freshness = check_freshness(contract, reference_time(context))
            if freshness.stale:
                raise StaleSourceError(f"stale source — {freshness.message()}; ask the steward to deliver")
    except StaleSourceError as exc:
        raise AirflowFailException(str(exc)) from exc
    return freshness.as_dict()


def data_docs_task(contract_name: str) -> str:
    """Render the dataset's Great Expectations Data Docs, including the run just gated (or held);
    a lineage run whose output is the site's index page."""
    from huiliu.airflow.dag_factory import run_parent
    from huiliu.contracts import load_contract
    from huiliu.lineage.emitter import LineageEmitter, track_run
    from huiliu.lineage.naming import file_dataset, job_name
    from huiliu.quality.datadocs import build_data_docs, docs_dir, results_dir
    from huiliu.settings import get_settings

    contract, settings = load_contract(contract_name), get_settings()
    try:
        with track_run(
            LineageEmitter(),
            job=job_name(contract.name, "data_docs"),
            namespace=settings.lineage_namespace,
            inputs=[file_dataset(results_dir(contract, settings))],
            outputs=lambda: [file_dataset(docs_dir(contract, settings) / "index.html")],
            parent=run_parent(get_current_context()),
        ):
            return str(build_data_docs(contract))
    except HuiliuError as exc:
        raise AirflowFailException(str(exc)) from exc
