"""The quality gate: validate one landed batch and route its rows to curated or quarantine.

Steps: read the batch from ``landing.<dataset>``; resolve primary-key duplicates by the contract's
rule; run the dataset's Great Expectations suite chunk by chunk (Data Docs built for each run);
decide per row and per batch (see ``huiliu.quality.verdict``); write ``quarantine.<dataset>`` then
``curated.<dataset>``, each replacing that batch id's rows; record the verdict and emit lineage.
A held batch raises ``BatchHeldError`` after its rows are safely in quarantine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
from openlineage.client.facet_v2 import data_quality_metrics_input_dataset as dqm
from pyiceberg.expressions import EqualTo

from huiliu.contracts.model import DatasetContract
from huiliu.errors import BatchHeldError
from huiliu.lake.catalog import lake_table
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import output_statistics_facet
from huiliu.lineage.naming import DatasetRef, job_name, lake_dataset
from huiliu.quality import records, zones
from huiliu.quality.duplicates import resolve_duplicates
from huiliu.quality.freshness import Freshness, check_freshness
from huiliu.quality.suites import load_checked_suite
from huiliu.quality.validation import ExpectationOutcome, SuiteRunner
from huiliu.quality.verdict import Verdict, combine, decide, duplicate_rule
from huiliu.settings import Settings, get_settings
from huiliu.store.batches import register_dataset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateResult:
    """What the gate did with one batch."""

    dataset: str
    batch_id: str
    status: str
    rows_total: int
    rows_curated: int
    rows_quarantined: int
    pass_rate: float | None
    held_reasons: list[str]
    rules: list[dict[str, Any]]
    freshness: dict[str, Any]
    docs: str | None
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def run_parameters(contract: DatasetContract, as_of: datetime, settings: Settings) -> dict[str, Any]:
    """Suite parameters the gate supplies (``{"$PARAMETER": name}`` in suite files)."""
    window = contract.freshness.record_window_days if contract.freshness else None
    return {
        "as_of": as_of.astimezone(UTC).isoformat(),
        "max_record_age_days": window,
        "jurisdiction": contract.jurisdiction,
        "city_code": settings.city_code,
        "id_regions": settings.id_regions,
    }


def read_batch(contract: DatasetContract, batch_id: str, settings: Settings) -> pa.Table:
    """The landed rows of one batch (empty when the batch landed nothing)."""
    table = lake_table(contract.landing_table, settings=settings)
    return table.scan(row_filter=EqualTo("_batch_id", batch_id)).to_arrow()


def _frames(contract: DatasetContract, batch: pa.Table, chunk_rows: int) -> Any:
    import pandas as pd

    data = batch.select([c.name for c in contract.columns])
    for offset in range(0, data.num_rows, chunk_rows):
        frame = data.slice(offset, chunk_rows).to_pandas(date_as_object=False)
        frame.index = pd.RangeIndex(offset, offset + len(frame))
        yield offset, frame


def validate_batch(
    contract: DatasetContract, batch: pa.Table, batch_id: str, as_of: datetime, settings: Settings
) -> tuple[Verdict, Path | None]:
    """Run duplicates resolution and the suite over the batch; return the verdict and Data Docs."""
    document = load_checked_suite(contract, settings)
    key = contract.schema_.primary_key
    order_column = contract.duplicate_order_column
    resolution = resolve_duplicates(
        batch.select(key), batch.column(order_column) if order_column else None, contract.quality.duplicates
    )
    docs_dir = settings.reports_path / "quality" / "docs" / contract.name
    runner = SuiteRunner(document, contract.name, docs_dir)
    parameters = run_parameters(contract, as_of, settings)
    chunks: list[list[ExpectationOutcome]] = []
    parts = max(1, -(-batch.num_rows // settings.quality_chunk_rows))
    for number, (_, frame) in enumerate(_frames(contract, batch, settings.quality_chunk_rows), start=1):
        run_name = batch_id if parts == 1 else f"{batch_id} part {number} of {parts}"
        chunks.append(runner.validate(frame, parameters, run_name))
    rules = [*combine(chunks), duplicate_rule(resolution, key, batch.num_rows)]
    return decide(rules, batch.num_rows, contract.quality.max_failing_share), runner.docs_index


def _assertions(verdict: Verdict) -> dqa.DataQualityAssertionsDatasetFacet:
    return dqa.DataQualityAssertionsDatasetFacet(
        assertions=[
            dqa.Assertion(
                assertion=r.type,
                success=r.success,
                column=r.columns[0] if len(r.columns) == 1 else None,
                severity=r.severity,
                actual=str(r.unexpected_count),
            )
            for r in verdict.rules
        ]
    )


def _input_ref(contract: DatasetContract, settings: Settings, verdict: Verdict | None) -> DatasetRef:
    ref = lake_dataset(contract.landing_table, settings)
    if verdict is None:
        return ref
    return ref.with_facets(
        dataQualityAssertions=_assertions(verdict),
        dataQualityMetrics=dqm.DataQualityMetricsInputDatasetFacet(
            columnMetrics={}, rowCount=verdict.rows_total
        ),
    )


def _write(contract: DatasetContract, batch: pa.Table, batch_id: str, verdict: Verdict, settings: Settings):
    summary = {"huiliu.quality-status": verdict.status}
    held = zones.quarantine_rows(contract, batch, batch_id, verdict)
    quarantined = zones.write_zone(
        contract.quarantine_table, zones.quarantine_schema(contract), batch_id, held, settings, summary
    )
    passed = zones.curated_rows(contract, batch, verdict)
    curated = zones.write_zone(
        contract.curated_table, zones.curated_schema(contract), batch_id, passed, settings, summary
    )
    return curated, quarantined


def _record(
    contract: DatasetContract,
    batch_id: str,
    verdict: Verdict,
    fresh: Freshness,
    docs: Path | None,
    started: datetime,
) -> None:
    records.save_quality_run(
        batch_id,
        contract.name,
        {
            "suite": contract.quality_suite,
            "status": verdict.status,
            "rows_total": verdict.rows_total,
            "rows_curated": verdict.rows_curated,
            "rows_quarantined": verdict.rows_quarantined,
            "pass_rate": verdict.pass_rate,
            "held_reason": "; ".join(verdict.held_reasons) or None,
            "expectations": [r.as_dict() for r in verdict.rules],
            "freshness": fresh.as_dict(),
            "docs_path": str(docs) if docs else None,
        },
        started,
    )


def run_gate(
    contract: DatasetContract,
    batch_id: str,
    *,
    as_of: datetime | None = None,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
) -> GateResult:
    """Gate one landed batch.

    Args:
        contract: the dataset's contract.
        batch_id: the landing batch to gate.
        as_of: the reference time for freshness and "not in the future" checks (the run's
            logical time); now when omitted.
        settings: settings; the process-wide ones when omitted.
        emitter: where lineage goes.
        parent: ``(namespace, job, run id)`` of the Airflow DAG run.

    Raises:
        BatchHeldError: the batch was held; its rows are in quarantine, none in curated.
        SuiteError: the suite is missing or broken (nothing is written).
    """
    settings = settings or get_settings()
    as_of = as_of or datetime.now(UTC)
    started, clock = datetime.now(UTC), time.perf_counter()
    register_dataset(contract)
    load_checked_suite(contract, settings)
    with track_run(
        emitter or LineageEmitter(),
        job=job_name(contract.name, "quality_gate"),
        namespace=settings.lineage_namespace,
        inputs=[_input_ref(contract, settings, None)],
        parent=parent,
    ) as run:
        batch = read_batch(contract, batch_id, settings)
        verdict, docs = validate_batch(contract, batch, batch_id, as_of, settings)
        curated, quarantined = _write(contract, batch, batch_id, verdict, settings)
        run.add_input(_input_ref(contract, settings, verdict))
        for table, committed in ((contract.curated_table, curated), (contract.quarantine_table, quarantined)):
            run.add_output(
                lake_dataset(table, settings).with_facets(
                    outputStatistics=output_statistics_facet(committed.rows, committed.bytes)
                )
            )
        fresh = check_freshness(contract, as_of, settings)
        _record(contract, batch_id, verdict, fresh, docs, started)
    result = GateResult(
        dataset=contract.name,
        batch_id=batch_id,
        status=verdict.status,
        rows_total=verdict.rows_total,
        rows_curated=verdict.rows_curated,
        rows_quarantined=verdict.rows_quarantined,
        pass_rate=verdict.pass_rate,
        held_reasons=verdict.held_reasons,
        rules=[r.as_dict() for r in verdict.rules],
        freshness=fresh.as_dict(),
        docs=str(docs) if docs else None,
        seconds=round(time.perf_counter() - clock, 3),
    )
    log.info("dataset %s batch %s: %s", contract.name, batch_id, _summary(result))
    if verdict.held:
        raise BatchHeldError(
            f"dataset {contract.name} batch {batch_id} is held in quarantine.{contract.name}: "
            f"{'; '.join(verdict.held_reasons)}. Nothing of it reached curated. Review it with "
            f"`huiliu quarantine list {contract.name} --batch '{batch_id}'`, fix the source and re-run, "
            "or release corrected rows."
        )
    return result


def _summary(result: GateResult) -> str:
    rate = "n/a" if result.pass_rate is None else f"{result.pass_rate:.2%}"
    return (
        f"{result.status}: {result.rows_curated} curated, {result.rows_quarantined} quarantined "
        f"of {result.rows_total} (pass rate {rate})"
    )
