"""Run every configured reconciliation check on the current curated data.

One run: open the curated tables the checks need (a missing one skips its checks, with the reason);
read only the needed columns and keep each record's current version; run the checks; write the
report; store the run and its flags (replacing an earlier run of the same run key); and emit one
OpenLineage run whose inputs are the curated tables read, each with the checks' assertions, and
whose output is the report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
from pyiceberg.table import Table

from huiliu.contracts import DatasetContract, load_contracts
from huiliu.divisions import Level, load_hierarchy
from huiliu.errors import LakeError
from huiliu.lake.catalog import lake_table
from huiliu.lineage.emitter import LineageEmitter, RunHandle, track_run
from huiliu.lineage.events import new_run_id
from huiliu.lineage.naming import file_dataset, job_name, lake_dataset
from huiliu.quality.records import curated_row_filter
from huiliu.reconciliation import store
from huiliu.reconciliation.checks import (
    CheckResult,
    DatasetRows,
    check_community_counts,
    check_community_exists,
    check_recipients_in_registry,
    current_versions,
    skipped,
)
from huiliu.reconciliation.masking import personal_key_columns
from huiliu.reconciliation.report import report_data, write_reconciliation_report
from huiliu.reconciliation.results import CheckStatus, RunStatus
from huiliu.reconciliation.spec import (
    CheckSpec,
    CommunityCounts,
    CommunityExists,
    RecipientsInRegistry,
    ReconciliationSpec,
    load_spec,
)
from huiliu.reports import ReportFiles
from huiliu.settings import Settings, get_settings

log = logging.getLogger(__name__)

JOB = job_name("city", "check", pipeline="reconcile")
"""The lineage job of a reconciliation run: ``reconcile.city.check``."""
INGESTED_AT = "_ingested_at"


@dataclass(frozen=True)
class ReconciliationOutcome:
    """What one reconciliation run found and where it wrote it."""

    run_id: str
    run_key: str
    status: RunStatus
    results: tuple[CheckResult, ...]
    report: ReportFiles
    flags: int
    started_at: datetime
    finished_at: datetime

    def summary(self) -> dict[str, Any]:
        """A small JSON-able summary (per check counts, no samples), e.g. for an Airflow XCom."""
        keep = ("name", "status", "rows_compared", "mismatches", "mismatch_rate", "tolerance", "flagged")
        return {
            "run_id": self.run_id,
            "run_key": self.run_key,
            "status": self.status,
            "flagged": self.flags,
            "report": str(self.report.json_path),
            "checks": [{k: r.as_dict()[k] for k in keep} | {"reason": r.reason} for r in self.results],
        }


@dataclass(frozen=True)
class _Inputs:
    """What the checks of one run read: the spec, each dataset's current rows (or why there are
    none), and the hierarchy's codes per level."""

    spec: ReconciliationSpec
    rows: Mapping[str, DatasetRows]
    reasons: Mapping[str, str]
    known_codes: Callable[[Level], frozenset[str]]


def run_reconciliation(
    run_key: str,
    *,
    parent: tuple[str, str, str] | None = None,
    spec_path: Path | None = None,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
) -> ReconciliationOutcome:
    """Run every configured check on the current curated data; report, store and trace the run.

    Args:
        run_key: Identifies the run (the Airflow logical date or run id); a re-run of the same key
            replaces its report and its flags.
        parent: ``(namespace, job, run id)`` of the Airflow DAG run, for lineage.
        spec_path: The checks file; ``include/checks/reconciliation.yaml`` when omitted.
        settings: Settings; the process-wide ones when omitted.
        emitter: Where lineage goes; a default emitter when omitted.

    Raises:
        ReconciliationSpecError: The checks file is invalid (nothing is run).
    """
    settings = settings or get_settings()
    contracts = load_contracts(settings.contracts_dir)
    spec = load_spec(spec_path, contracts)
    tables, reasons = _open_tables(spec, contracts, settings)
    run_id, started = new_run_id(), datetime.now(UTC)
    inputs = [lake_dataset(contracts[name].curated_table, settings) for name in tables]
    with track_run(
        emitter or LineageEmitter(),
        job=JOB,
        inputs=inputs,
        run_id=run_id,
        parent=parent,
        namespace=settings.lineage_namespace,
    ) as run:
        rows = {name: _current_rows(spec, contracts[name], table) for name, table in tables.items()}
        context = _Inputs(spec, rows, reasons, _hierarchy_codes(settings))
        results = tuple(_run_check(check, context) for check in spec.checks)
        outcome = _finish(run_id, run_key, started, results, settings)
        _trace(run, results, spec, contracts, settings, outcome.report)
    log.info("reconciliation %s: %s, %d record(s) flagged", run_key, outcome.status, outcome.flags)
    return outcome


def run_status(results: tuple[CheckResult, ...]) -> RunStatus:
    """``failed`` when a check failed, else ``skipped`` (all), ``partial`` (some) or ``passed``."""
    statuses = {r.status for r in results}
    if CheckStatus.FAILED in statuses:
        return RunStatus.FAILED
    if statuses == {CheckStatus.SKIPPED}:
        return RunStatus.SKIPPED
    return RunStatus.PARTIAL if CheckStatus.SKIPPED in statuses else RunStatus.PASSED


def needed_columns(spec: ReconciliationSpec, contract: DatasetContract) -> list[str]:
    """The columns of a dataset the checks read, with its key and the columns that order versions."""
    wanted = {c for check in spec.checks if check.dataset == contract.name for c in check.columns().values()}
    if contract.name == spec.registry.dataset:
        wanted |= set(spec.registry.columns().values())
    wanted |= {*contract.schema_.primary_key, *_order_columns(contract)}
    return sorted(wanted)


def _order_columns(contract: DatasetContract) -> list[str]:
    cursor = contract.duplicate_order_column
    return [INGESTED_AT, cursor] if cursor else [INGESTED_AT]


def _open_tables(
    spec: ReconciliationSpec, contracts: Mapping[str, DatasetContract], settings: Settings
) -> tuple[dict[str, Table], dict[str, str]]:
    """The curated tables the checks read, and for each one that cannot be read, why not."""
    tables: dict[str, Table] = {}
    reasons: dict[str, str] = {}
    for name in spec.datasets:
        contract = contracts[name]
        try:
            table = lake_table(contract.curated_table, settings=settings)
        except LakeError:
            reasons[name] = (
                f"{contract.curated_table} does not exist yet; land {name} and pass it through "
                f"the quality gate (DAG ingest_{name}) first"
            )
            continue
        missing = sorted(set(needed_columns(spec, contract)) - set(table.schema().column_names))
        if missing:
            reasons[name] = (
                f"{contract.curated_table} lacks column(s) {', '.join(missing)}; "
                f"re-run ingest_{name} with the current contract"
            )
        else:
            tables[name] = table
    return tables, reasons


def _with_quarantined(contract: DatasetContract, data: pa.Table, columns: list[str]) -> pa.Table:
    """Registry rows plus the registry's quarantined rows: a person whose registry row failed a
    quality rule (a bad phone, say) is still a registered person, not "absent from the registry"."""
    try:
        held = lake_table(contract.quarantine_table)
    except LakeError:
        return data
    if not set(columns) <= set(held.schema().column_names):
        return data
    rows = held.scan(selected_fields=tuple(columns)).to_arrow()
    return pa.concat_tables([data, rows.cast(data.schema)]) if rows.num_rows else data


def _current_rows(spec: ReconciliationSpec, contract: DatasetContract, table: Table) -> DatasetRows:
    """The dataset's current version of each record (per ID number for the registry), needed columns only."""
    columns = needed_columns(spec, contract)
    data = table.scan(row_filter=curated_row_filter(contract.name), selected_fields=tuple(columns)).to_arrow()
    if contract.name == spec.registry.dataset:
        data = _with_quarantined(contract, data, columns)
    key = (
        [spec.registry.id_column] if contract.name == spec.registry.dataset else contract.schema_.primary_key
    )
    current = current_versions(data, key, _order_columns(contract))
    return DatasetRows(
        contract.name, current, tuple(contract.schema_.primary_key), personal_key_columns(contract)
    )


def _hierarchy_codes(settings: Settings) -> Callable[[Level], frozenset[str]]:
    """Codes of one hierarchy level, loading the city's hierarchy on first use only."""

    @cache
    def codes(level: Level) -> frozenset[str]:
        tree = load_hierarchy(settings.city_code, None, settings.units_seed)
        return frozenset(unit.code for unit in tree.at_level(level))

    return codes


def _run_check(check: CheckSpec, inputs: _Inputs) -> CheckResult:
    """Run one check, or report it skipped when a dataset it reads is not available or has no rows."""
    datasets = inputs.spec.datasets_of(check)
    reasons = [inputs.reasons[name] for name in datasets if name in inputs.reasons]
    reasons += [
        f"{name} has no rows in curated yet: nothing to compare; pass a batch of it through the "
        f"quality gate (DAG ingest_{name}) first"
        for name in datasets
        if name not in inputs.reasons and inputs.rows[name].rows.num_rows == 0
    ]
    if reasons:
        return skipped(check, datasets, "; ".join(dict.fromkeys(reasons)))
    return _KINDS[check.kind_name](check, inputs)


def _recipients(check: RecipientsInRegistry, inputs: _Inputs) -> CheckResult:
    spec = inputs.spec
    registry = inputs.rows[spec.registry.dataset]
    size = spec.samples_of(check)
    return check_recipients_in_registry(check, spec.registry, inputs.rows[check.dataset], registry.rows, size)


def _community_counts(check: CommunityCounts, inputs: _Inputs) -> CheckResult:
    spec = inputs.spec
    registry = inputs.rows[spec.registry.dataset]
    size = spec.samples_of(check)
    return check_community_counts(check, spec.registry, inputs.rows[check.dataset], registry.rows, size)


def _community_exists(check: CommunityExists, inputs: _Inputs) -> CheckResult:
    known = inputs.known_codes(check.level)
    return check_community_exists(check, inputs.rows[check.dataset], known, inputs.spec.samples_of(check))


_KINDS: dict[str, Callable[[Any, _Inputs], CheckResult]] = {  # each takes the spec class of its kind
    "recipients_in_registry": _recipients,
    "community_counts": _community_counts,
    "community_exists": _community_exists,
}
"""How each kind of check named in the spec is run."""


def _finish(
    run_id: str, run_key: str, started: datetime, results: tuple[CheckResult, ...], settings: Settings
) -> ReconciliationOutcome:
    """Write the report, then store the run and its flags."""
    finished, status = datetime.now(UTC), run_status(results)
    data = report_data(
        run_id=run_id,
        run_key=run_key,
        status=status,
        started_at=started,
        finished_at=finished,
        results=results,
    )
    files = write_reconciliation_report(settings.reports_path / "reconciliation", data)
    summary = [{k: v for k, v in r.as_dict().items() if k != "samples"} for r in results]
    stored = store.StoredRun(run_id, run_key, status, summary, str(files.json_path), started, finished)
    flags = store.save_run(stored, results)
    return ReconciliationOutcome(run_id, run_key, status, results, files, flags, started, finished)


def _trace(
    run: RunHandle,
    results: tuple[CheckResult, ...],
    spec: ReconciliationSpec,
    contracts: Mapping[str, DatasetContract],
    settings: Settings,
    report: ReportFiles,
) -> None:
    """Put each check's outcome on the datasets it read, and the report as the run's output."""
    for name in {ref for r in results if r.status != CheckStatus.SKIPPED for ref in r.datasets}:
        assertions = [
            _assertion(r, spec, name)
            for r in results
            if r.status != CheckStatus.SKIPPED and name in r.datasets
        ]
        ref = lake_dataset(contracts[name].curated_table, settings)
        run.add_input(
            ref.with_facets(dataQualityAssertions=dqa.DataQualityAssertionsDatasetFacet(assertions))
        )
    run.add_output(file_dataset(report.json_path))


def _assertion(result: CheckResult, spec: ReconciliationSpec, dataset: str) -> dqa.Assertion:
    check = next(c for c in spec.checks if c.name == result.name)
    columns = list(check.columns().values()) if dataset == check.dataset else [spec.registry.id_column]
    return dqa.Assertion(
        assertion=result.name, success=bool(result.passed), column=columns[0], actual=str(result.mismatches)
    )
