"""The quality gate: one landed batch validated, its rows routed to curated or quarantine, recorded.

:func:`run_gate` is the entry point: under the dataset's lease it refuses a batch that is not
landed or waits for a PII approval, streams and routes the batch (:mod:`~huiliu.quality.gate_routing`),
holds it when it must (:mod:`~huiliu.quality.gate_holding`), commits ``quarantine.<dataset>`` and
``curated.<dataset>`` in one catalog transaction (curated gets nothing of a held batch), and records
the run and its lineage (:mod:`~huiliu.quality.gate_records`). A held batch raises
``BatchHeldError`` once its rows are safely in quarantine.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

from huiliu import faults
from huiliu.contracts.model import DatasetContract
from huiliu.errors import BatchHeldError, ConfigurationError
from huiliu.lake.atomic_catalog import commit_together
from huiliu.lake.catalog import lake_table
from huiliu.lake.writer import CommittedBatch, StagedBatchWriter
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import output_statistics_facet
from huiliu.lineage.naming import job_name, lake_dataset
from huiliu.pii.decisions import Decision, check_not_pending, pii_rejection
from huiliu.quality import zones
from huiliu.quality.batch_stream import BatchScan
from huiliu.quality.datadocs import docs_dir
from huiliu.quality.freshness import FreshnessRecord, check_freshness
from huiliu.quality.gate_holding import keep_decided, pii_rejected, write_failing, write_whole_batch
from huiliu.quality.gate_records import input_ref, record_run
from huiliu.quality.gate_routing import GATE_THREADS, BatchRouter, run_parameters
from huiliu.quality.quarantine import settle_releases
from huiliu.quality.suites import load_checked_suite
from huiliu.quality.verdict import RuleRecord, Verdict
from huiliu.settings import Settings, get_settings
from huiliu.store.batches import register_dataset
from huiliu.store.leases import dataset_lease
from huiliu.store.statuses import BatchStatus, QualityStatus

__all__ = [
    "GATE_RUN_PROPERTY",
    "GateRecord",
    "GateResult",
    "GatedBatch",
    "gate_batch",
    "require_landed",
    "run_gate",
    "run_parameters",
]

log = logging.getLogger(__name__)
GATE_RUN_PROPERTY = "huiliu.gate-run"  # snapshot property: the gate run that made the commit


class GateRecord(TypedDict):
    """A ``GateResult`` as the ``quality_gate`` task returns it and ``quality run --json`` prints it."""

    dataset: str
    batch_id: str
    status: QualityStatus
    rows_total: int
    rows_curated: int
    rows_quarantined: int
    pass_rate: float | None
    held_reasons: list[str]
    rules: list[RuleRecord]
    freshness: FreshnessRecord
    docs: str
    validation_result: str | None
    seconds: float


@dataclass(frozen=True)
class GateResult:
    """What the gate did with one batch."""

    dataset: str
    batch_id: str
    status: QualityStatus
    rows_total: int
    rows_curated: int
    rows_quarantined: int
    pass_rate: float | None
    held_reasons: list[str]
    rules: list[RuleRecord]
    freshness: FreshnessRecord
    docs: str
    validation_result: str | None
    seconds: float

    def as_dict(self) -> GateRecord:
        return {
            "dataset": self.dataset,
            "batch_id": self.batch_id,
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_curated": self.rows_curated,
            "rows_quarantined": self.rows_quarantined,
            "pass_rate": self.pass_rate,
            "held_reasons": self.held_reasons,
            "rules": self.rules,
            "freshness": self.freshness,
            "docs": self.docs,
            "validation_result": self.validation_result,
            "seconds": self.seconds,
        }


@dataclass(frozen=True, kw_only=True)
class GatedBatch:
    """A batch the gate has committed: its verdict, the suite's saved result and both zones' commits."""

    verdict: Verdict
    validation_result: Path | None
    curated: CommittedBatch
    quarantined: CommittedBatch


def _commit_zones(
    curated: StagedBatchWriter,
    held: StagedBatchWriter,
    summary: dict[str, str],
    *,
    verdict: Verdict,
    validation_result: Path | None,
) -> GatedBatch:
    """Commit quarantine and curated in one catalog transaction (readers see both change at once)."""
    faults.crash_point("gate.files_written")
    with commit_together(curated.table, held.table):
        quarantined = held.commit(summary)
        faults.crash_point("gate.between_zone_commits")
        committed = curated.commit(summary)
    faults.crash_point("gate.lake_committed")
    return GatedBatch(
        verdict=verdict, validation_result=validation_result, curated=committed, quarantined=quarantined
    )


def _hold_pii_rejected(
    contract: DatasetContract, batch_id: str, settings: Settings, rejection: Decision
) -> GatedBatch:
    """The whole batch to quarantine (rule ``huiliu_pii_rejected``), none to curated, unvalidated."""
    scan = BatchScan(contract, batch_id, settings)
    key, order = contract.schema_.primary_key, contract.duplicate_order_column
    ranks = zones.row_ranks(scan.columns([*key, *([order] if order else [])]), key, order)
    rejected = pii_rejected(contract, len(ranks), rejection)
    verdict = rejected.verdict
    summary = {"huiliu.quality-status": QualityStatus.HELD.value, GATE_RUN_PROPERTY: uuid.uuid4().hex}
    schema, schema_q = zones.curated_schema(contract), zones.quarantine_schema(contract)
    with (
        StagedBatchWriter(lake_table(contract.curated_table, schema, settings), batch_id, schema) as curated,
        StagedBatchWriter(
            lake_table(contract.quarantine_table, schema_q, settings), batch_id, schema_q
        ) as held,
    ):
        write_whole_batch(
            held, contract, scan, verdict=verdict, ranks=ranks, settings=settings, marks=rejected.marks
        )
        return _commit_zones(curated, held, summary, verdict=verdict, validation_result=None)


def require_landed(contract: DatasetContract, batch_id: str) -> None:
    """Refuse a batch id that names no committed landing batch of the dataset."""
    from huiliu.store.batches import get_batch

    batch = get_batch(batch_id)
    if batch is None or batch.dataset != contract.name or batch.status != BatchStatus.COMMITTED:
        state = "does not exist" if batch is None else f"is {batch.status}"
        raise ConfigurationError(
            f"dataset {contract.name}: landing batch {batch_id!r} {state}; list the batches with "
            f"`huiliu quality batches {contract.name}`"
        )


def gate_batch(contract: DatasetContract, batch_id: str, as_of: datetime, settings: Settings) -> GatedBatch:
    """Validate and route one batch; commit quarantine and curated (empty when held) at once.

    A batch whose personal information a compliance officer rejected is not validated: every row
    goes to quarantine under ``huiliu_pii_rejected``, with who rejected it, when and why.
    """
    rejection = pii_rejection(batch_id)
    if rejection is not None:
        return _hold_pii_rejected(contract, batch_id, settings, rejection)
    router = BatchRouter(contract, batch_id, as_of, settings)
    schema, schema_q = zones.curated_schema(contract), zones.quarantine_schema(contract)
    with (
        StagedBatchWriter(lake_table(contract.curated_table, schema, settings), batch_id, schema) as curated,
        ThreadPoolExecutor(max_workers=GATE_THREADS, thread_name_prefix="huiliu-gate") as pool,
    ):
        routed = router.route(curated, pool)
        verdict, ranks = routed.verdict, routed.keys.ranks
        summary = {"huiliu.quality-status": verdict.status, GATE_RUN_PROPERTY: uuid.uuid4().hex}
        table_q = lake_table(contract.quarantine_table, schema_q, settings)
        with StagedBatchWriter(table_q, batch_id, schema_q) as held:
            decided = router.decided
            keep_decided(held, contract, decided)
            if verdict.held:  # while the last curated files are written
                write_whole_batch(
                    held,
                    contract,
                    router.scan,
                    verdict=verdict,
                    ranks=ranks,
                    settings=settings,
                    decided=decided,
                )
            else:
                failing, positions = routed.routing.failing_rows()
                write_failing(
                    held,
                    contract,
                    failing,
                    positions,
                    verdict=verdict,
                    ranks=ranks,
                    batch_id=batch_id,
                    decided=decided,
                )
            for future in routed.routing.staged:
                future.result()
            if verdict.held:
                curated.abort()
            saved = router.runner.saved[-1] if router.runner.saved else None
            return _commit_zones(curated, held, summary, verdict=verdict, validation_result=saved)


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
        PiiDecisionError: the batch waits for a PII approval (nothing is written).
        SuiteError: the suite is missing or broken (nothing is written).
    """
    settings = settings or get_settings()
    as_of = as_of or datetime.now(UTC)
    started, clock = datetime.now(UTC), time.perf_counter()
    register_dataset(contract)
    with dataset_lease(contract.name, "gating"):
        return _gate_leased(contract, batch_id, as_of, settings, emitter, parent, started, clock)


def _gate_leased(
    contract: DatasetContract,
    batch_id: str,
    as_of: datetime,
    settings: Settings,
    emitter: LineageEmitter | None,
    parent: tuple[str, str, str] | None,
    started: datetime,
    clock: float,
) -> GateResult:
    settle_releases(contract, settings)
    with track_run(
        emitter or LineageEmitter(),
        job=job_name(contract.name, "quality_gate"),
        namespace=settings.lineage_namespace,
        inputs=[input_ref(contract, settings, None)],
        parent=parent,
    ) as run:  # a refusal or a held batch is a FAIL event with its message, as the task fails
        require_landed(contract, batch_id)
        check_not_pending(contract.name, batch_id)
        load_checked_suite(contract, settings)
        gated = gate_batch(contract, batch_id, as_of, settings)
        verdict, saved = gated.verdict, gated.validation_result
        docs = docs_dir(contract, settings) / "index.html"
        run.add_input(input_ref(contract, settings, verdict))
        outputs = ((contract.curated_table, gated.curated), (contract.quarantine_table, gated.quarantined))
        for table, committed in outputs:
            run.add_output(
                lake_dataset(table, settings).with_facets(
                    outputStatistics=output_statistics_facet(committed.rows, committed.bytes)
                )
            )
        fresh = check_freshness(contract, as_of, settings)
        record_run(contract, batch_id, verdict, fresh, docs, started)
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
            docs=str(docs),
            validation_result=str(saved) if saved else None,
            seconds=round(time.perf_counter() - clock, 3),
        )
        log.info("dataset %s batch %s: %s", contract.name, batch_id, _summary(result))
        if verdict.held:
            raise BatchHeldError(
                f"dataset {contract.name} batch {batch_id} is held in quarantine.{contract.name}: "
                f"{'; '.join(verdict.held_reasons)}. Nothing of it reached curated. Review it with "
                f"`huiliu quarantine list {contract.name} --batch '{batch_id}'`, fix the source and "
                "re-run, or release corrected rows."
            )
    return result


def _summary(result: GateResult) -> str:
    rate = "n/a" if result.pass_rate is None else f"{result.pass_rate:.2%}"
    return (
        f"{result.status}: {result.rows_curated} curated, {result.rows_quarantined} quarantined "
        f"of {result.rows_total} (pass rate {rate})"
    )
