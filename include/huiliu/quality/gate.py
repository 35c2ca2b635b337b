"""The quality gate: validate one landed batch and route its rows to curated or quarantine.

Steps, overlapped on threads: read the batch's keys from ``landing.<dataset>``, rank them and
resolve primary-key duplicates by the contract's rule; meanwhile stream the batch in chunks (only
the columns the suite reads and the key) and run the dataset's Great Expectations suite on each
(its result saved for Data Docs) while the next chunk is read; route each validated chunk once the
keys are known, and stage its passing rows in curated on two writer threads while the next chunk is
validated: a landing file whose rows all pass is copied as it is, the others are completed with
their other columns and written without their failing rows. Then decide per row
and per batch (see ``huiliu.quality.verdict``), stage the quarantine rows while the last curated
files are written, and commit ``quarantine.<dataset>`` and ``curated.<dataset>`` together (one
catalog transaction) once every file is written, each replacing that batch id's rows (curated gets
nothing of a held batch). Memory holds
a few chunks, whatever the size of the batch or of the table. A held batch raises
``BatchHeldError`` after its rows are safely in quarantine.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
from openlineage.client.facet_v2 import data_quality_metrics_input_dataset as dqm

from huiliu import faults
from huiliu.contracts.model import DatasetContract
from huiliu.errors import BatchHeldError, ConfigurationError
from huiliu.lake.atomic_catalog import commit_together
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import conform, landing_schema
from huiliu.lake.writer import CommittedBatch, StagedBatchWriter
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import output_statistics_facet
from huiliu.lineage.naming import DatasetRef, job_name, lake_dataset
from huiliu.pii.decisions import Decision, check_not_pending, pii_rejection
from huiliu.quality import records, zones
from huiliu.quality.batch_stream import BatchScan, Chunk, OtherColumns, check_same_rows, data_frame
from huiliu.quality.datadocs import docs_dir, results_dir
from huiliu.quality.decided import DecidedRows
from huiliu.quality.duplicates import DuplicateResolution, resolve_duplicates
from huiliu.quality.file_copies import ChunkRoute, FileCopies, PieceRows, split_rows
from huiliu.quality.freshness import Freshness, check_freshness
from huiliu.quality.quarantine import settle_releases
from huiliu.quality.suites import columns_looked_at, load_checked_suite
from huiliu.quality.validation import ExpectationOutcome, SuiteRunner
from huiliu.quality.verdict import ROW_SEVERITIES, RuleResult, Verdict, combine, decide, duplicate_rule
from huiliu.settings import Settings, get_settings
from huiliu.sources.prefetch import prefetch
from huiliu.store.batches import register_dataset
from huiliu.store.leases import dataset_lease
from huiliu.store.statuses import BatchStatus, QualityStatus

log = logging.getLogger(__name__)
GATE_RUN_PROPERTY = "huiliu.gate-run"  # snapshot property: the gate run that made the commit


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
    docs: str
    validation_result: str | None
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


@dataclass
class _Routed:
    """Rows routed while streaming: failing rows kept aside, passing rows staged for curated."""

    outcomes: list[list[ExpectationOutcome]] = field(default_factory=list)
    failing: list[Future[pa.Table | None]] = field(default_factory=list)  # see _CuratedWrites
    positions: list[np.ndarray] = field(default_factory=list)
    rows: int = 0
    staged: list[Future[None]] = field(default_factory=list)  # curated files being written
    failed: int = 0  # rows failing so far
    hold_above: float = float("inf")  # failing rows beyond which the batch is surely held


def _row_failures(
    outcomes: list[ExpectationOutcome], losers: np.ndarray, start: int, stop: int
) -> np.ndarray:
    """Batch positions in ``[start, stop)`` with a row-level failure or a lost duplicate."""
    parts = [o.unexpected_rows for o in outcomes if o.severity in ROW_SEVERITIES]
    parts.append(losers[(losers >= start) & (losers < stop)])
    return np.unique(np.concatenate(parts)).astype(np.int64)


@dataclass(frozen=True)
class _Keys:
    """The batch's keys in batch order, its duplicate resolution and each row's rank by key."""

    table: pa.Table
    resolution: DuplicateResolution
    ranks: np.ndarray


class _GateRun:
    """One streaming pass of the gate over a landed batch."""

    def __init__(self, contract: DatasetContract, batch_id: str, as_of: datetime, settings: Settings) -> None:
        self.contract, self.batch_id, self.settings = contract, batch_id, settings
        self.scan = BatchScan(contract, batch_id, settings)
        self.key = contract.schema_.primary_key
        self.parameters = run_parameters(contract, as_of, settings)
        self.runner = SuiteRunner(
            load_checked_suite(contract, settings), contract.name, results_dir(contract, settings)
        )
        self.decided = DecidedRows.of_batch(contract, batch_id, settings)
        self.read_columns = self._read_columns()
        self.unread = self._unread()

    def _read_columns(self) -> list[str] | None:
        """The columns chunks are read with: those the suite reads values of, and the key (all
        when the suite may look at any); the others are read only for rows that are written."""
        looked_at = columns_looked_at(self.runner.document)
        if looked_at is None:
            return None
        order = self.contract.duplicate_order_column
        wanted = looked_at | set(self.key) | ({order} if order else set())
        names = self.scan.table.schema().column_names
        read = [n for n in names if n in wanted]
        return None if len(read) == len(names) else read

    def _unread(self) -> pa.Schema:
        """The contract's columns in the table that chunks are read without (see ``data_frame``)."""
        if self.read_columns is None:
            return pa.schema([])
        names, landing = set(self.scan.table.schema().column_names), landing_schema(self.contract)
        return pa.schema(
            [
                landing.field(c.name)
                for c in self.contract.columns
                if c.name in names and c.name not in self.read_columns
            ]
        )

    def _keys(self) -> _Keys:
        order = self.contract.duplicate_order_column
        keys = self.scan.columns([*self.key, *([order] if order else [])])
        column = keys.column(order) if order else None
        key_columns = keys.select(self.key)
        by_key = pc.sort_indices(key_columns, sort_keys=[(name, "ascending") for name in self.key])
        resolution = resolve_duplicates(key_columns, column, self.contract.quality.duplicates, by_key)
        # distinct, non-null keys order the rows alone; otherwise ties are broken as row_order says
        distinct = resolution.duplicated_keys == 0 and not any(c.null_count for c in key_columns.columns)
        sorted_rows = by_key if distinct else zones.row_order(keys, self.key, order)
        return _Keys(keys, resolution, zones.ranks_of(sorted_rows))

    def _validate(self, chunk: pa.Table, offset: int, name: str) -> list[ExpectationOutcome]:
        frame = data_frame(self.contract, chunk, offset, self.unread)
        return self.runner.validate(frame, self.parameters, name)

    def _route_chunk(
        self, chunk: Chunk, outcomes: list[ExpectationOutcome], keys: _Keys, routed: _Routed
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Which of one validated chunk's rows pass, and which failing rows to keep aside for
        quarantine (``None`` once the batch is surely held: it goes to quarantine whole, read
        again chunk by chunk, so no rows are kept).

        Rows whose key a steward decided on an earlier run (see ``DecidedRows``) neither pass nor go
        to quarantine again: a released row is in curated under its release batch id already, a
        discarded one is never returned, and both keep their quarantine rows as they were.
        """
        rows, offset = chunk.rows, routed.rows
        check_same_rows(rows, keys.table, offset, self.key)
        failing = _row_failures(outcomes, keys.resolution.losers, offset, offset + rows.num_rows)
        keep = np.ones(rows.num_rows, dtype=bool)
        keep[failing - offset] = False
        decided = self.decided.mask(rows)
        if decided is not None:
            keep &= ~decided
        routed.outcomes.append(outcomes)
        routed.failed += len(failing)
        if decided is not None:
            failing = failing[~decided[failing - offset]]
        routed.positions.append(failing)
        routed.rows += rows.num_rows
        if routed.failed > routed.hold_above:
            routed.failing.clear()
            return keep, None
        failed = np.zeros(rows.num_rows, dtype=bool)
        failed[failing - offset] = True
        return keep, failed

    def route(self, curated: StagedBatchWriter, pool: ThreadPoolExecutor) -> tuple[Verdict, _Routed, _Keys]:
        """Validate chunk by chunk; stage passing rows in ``pool`` while the next chunk is read and
        validated. The last chunk's files may still be being written on return (``routed.staged``).
        A landing file whose rows all pass is copied as it is (see ``FileCopies``).

        The keys are read, ranked and checked for duplicates in a thread of their own while the
        first chunk is read and validated; a chunk is routed once both are done.
        """
        routed = _Routed()
        copies = FileCopies(curated)
        other = OtherColumns(self.scan, self.read_columns)
        chunk_rows = self.settings.quality_chunk_rows
        planned = self.scan.planned_rows()  # never fewer than the batch's rows
        parts = max(1, -(-planned // chunk_rows))
        routed.hold_above = self.contract.quality.max_failing_share * planned
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiliu-keys") as keys_pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiliu-complete") as completer,
            closing(prefetch(self.scan.file_chunks(chunk_rows, self.read_columns))) as chunks,
        ):
            writes = _CuratedWrites(pool, completer, curated, other, self.contract)
            pending = keys_pool.submit(self._keys)
            from huiliu.quality.expectations import load_reference_tables  # imports GX: not at DAG parse

            kinds = [e.get("type", "") for e in self.runner.document.expectations]
            load_reference_tables(kinds, self.settings.city_code)  # while the first chunk is read
            for number, chunk in enumerate(chunks, start=1):
                name = self.batch_id if parts == 1 else f"{self.batch_id} part {number} of {parts}"
                outcomes = self._validate(chunk.rows, routed.rows, name)
                keep, failed = self._route_chunk(chunk, outcomes, pending.result(), routed)
                route = copies.route(chunk, keep, failed)
                _wait_for_writes(routed.staged, keep=CURATED_WRITERS)  # memory: a chunk being written
                staged, failing = writes.stage(route)
                routed.staged += staged
                routed.failing += failing
            keys = pending.result()
        rules = [*combine(routed.outcomes), duplicate_rule(keys.resolution, self.key, routed.rows)]
        return decide(rules, routed.rows, self.contract.quality.max_failing_share), routed, keys

    def stage_quarantine(
        self, verdict: Verdict, routed: _Routed, keys: _Keys, writer: StagedBatchWriter
    ) -> None:
        """Write the quarantine rows to ``writer``: the failing ones, or, when the batch is held,
        every row, read again chunk by chunk (memory stays a chunk, however big the delivery)."""
        if self.decided.rows.num_rows:
            writer.write_file(conform(self.decided.rows, zones.quarantine_schema(self.contract)))
        if verdict.held:
            offset = 0
            for chunk in self.scan.chunks(self.settings.quality_chunk_rows):
                positions = np.arange(offset, offset + chunk.num_rows)
                offset += chunk.num_rows
                decided = self.decided.mask(chunk)
                if decided is not None:
                    chunk, positions = chunk.filter(pa.array(~decided)), positions[~decided]
                writer.write_file(self._quarantine_rows(chunk, positions, verdict, keys))
            return
        schema = landing_schema(self.contract)
        failing = [t for t in (f.result() for f in routed.failing) if t is not None]
        rows = pa.concat_tables([conform(t, schema) for t in failing]) if failing else schema.empty_table()
        positions = np.concatenate(routed.positions) if routed.positions else np.empty(0, dtype=np.int64)
        writer.write_file(self._quarantine_rows(rows, positions, verdict, keys))

    def _quarantine_rows(
        self, rows: pa.Table, positions: np.ndarray, verdict: Verdict, keys: _Keys
    ) -> pa.Table:
        return zones.quarantine_rows(
            self.contract, rows, positions, keys.ranks, self.batch_id, verdict, taken=self.decided.ids
        )


CURATED_WRITERS = 2  # threads writing a chunk's passing rows, each to files of its own


def _wait_for_writes(staged: list[Future[None]], keep: int) -> None:
    """Wait until at most ``keep`` of the staged writes are unfinished (oldest first)."""
    for future in staged[: max(0, len(staged) - keep)]:
        future.result()


class _CuratedWrites:
    """Stages a chunk's curated files: copies of passing landing files, and the kept rows of the
    other pieces, completed with the columns the chunk was read without (the failing rows among
    them too, for quarantine). Pieces are completed in order on a thread of their own, so that a
    chunk's reading overlaps the previous chunk's writing, then written on the writer threads."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        completer: ThreadPoolExecutor,
        writer: StagedBatchWriter,
        other: OtherColumns,
        contract: DatasetContract,
    ) -> None:
        self.pool, self.completer, self.writer, self.other = pool, completer, writer, other
        self.schema = zones.curated_schema(contract)

    def stage(self, route: ChunkRoute) -> tuple[list[Future[None]], list[Future[pa.Table | None]]]:
        """Submit the route's files; return the writes and, in chunk order, each write's failing rows."""
        # places in curated's file order are reserved here, in chunk order, whichever write starts first
        staged: list[Future[None]] = [
            self.pool.submit(self.writer.copy_file, path, rows, self.writer.reserve())
            for path, rows in route.copy
        ]
        failing: list[Future[pa.Table | None]] = []
        for run in split_rows(route.write, CURATED_WRITERS):  # side by side, each to files of its own
            found: Future[pa.Table | None] = Future()
            written: Future[None] = Future()
            self.completer.submit(self._complete, run, self.writer.reserve(), found, written)
            staged.append(written)
            failing.append(found)
        return staged, failing

    def _complete(
        self, pieces: list[PieceRows], slot: int, failing: Future[pa.Table | None], written: Future[None]
    ) -> None:
        """Complete the pieces, hand their failing rows to ``failing``, and submit the write of their
        kept rows (its outcome goes to ``written``)."""
        try:
            full = [self.other.complete(p.rows, p.piece) for p in pieces]
            failed = [
                rows.filter(pa.array(p.failed))
                for rows, p in zip(full, pieces, strict=True)
                if p.failed is not None
            ]
            failing.set_result(pa.concat_tables(failed) if failed else None)
            rows = conform(pa.concat_tables(full), self.schema)
            keep = np.concatenate([p.kept for p in pieces])
            _chain(self.pool.submit(self.writer.write_file, rows, keep=keep, slot=slot), written)
        except BaseException as exc:
            for future in (failing, written):
                if not future.done():
                    future.set_exception(exc)


def _chain(inner: Future[None], outer: Future[None]) -> None:
    """Settle ``outer`` as ``inner`` settles."""

    def settle(done: Future[None]) -> None:
        error = done.exception()
        if error is None:
            outer.set_result(done.result())
        else:
            outer.set_exception(error)

    inner.add_done_callback(settle)


def _hold_pii_rejected(
    contract: DatasetContract, batch_id: str, settings: Settings, rejection: Decision
) -> tuple[Verdict, None, CommittedBatch, CommittedBatch]:
    """The whole batch to quarantine (rule ``huiliu_pii_rejected``), none to curated, unvalidated;
    read and written chunk by chunk."""
    scan = BatchScan(contract, batch_id, settings)
    key, order = contract.schema_.primary_key, contract.duplicate_order_column
    ranks = zones.row_ranks(scan.columns([*key, *([order] if order else [])]), key, order)
    count = len(ranks)
    reason = (  # the officer's own words stay with the decision (PII report, quarantine rows)
        f"personal information rejected by {rejection.decided_by} at "
        f"{rejection.decided_at:%Y-%m-%d %H:%M} UTC; the reason is recorded with the decision "
        f"(PII report of {contract.name})"
    )
    rule = RuleResult(
        zones.PII_REJECTED_RULE, zones.PII_REJECTED_RULE, (), "critical", success=False, element_count=count
    )
    rule.unexpected_count = count
    verdict = Verdict(count, np.arange(count), {}, [rule], True, [reason])
    failure = {"rule": zones.PII_REJECTED_RULE, "severity": "critical", "values": {}, **rejection.as_dict()}
    marks = {"_failed_rules": zones.PII_REJECTED_RULE, "_failures": json.dumps([failure], ensure_ascii=False)}
    summary = {"huiliu.quality-status": QualityStatus.HELD.value, GATE_RUN_PROPERTY: uuid.uuid4().hex}
    schema_q = zones.quarantine_schema(contract)
    with StagedBatchWriter(
        lake_table(contract.quarantine_table, schema_q, settings), batch_id, schema_q
    ) as held:
        offset = 0
        for chunk in scan.chunks(settings.quality_chunk_rows):
            positions = np.arange(offset, offset + chunk.num_rows)
            rows = zones.quarantine_rows(contract, chunk, positions, ranks, batch_id, verdict)
            for name, value in marks.items():
                column = pa.array([value] * chunk.num_rows, pa.string())
                rows = rows.set_column(rows.schema.get_field_index(name), name, column)
            held.write_file(rows)
            offset += chunk.num_rows
        schema = zones.curated_schema(contract)
        faults.crash_point("gate.files_written")
        with commit_together(held.table):
            quarantined = held.commit(summary)
            faults.crash_point("gate.between_zone_commits")
            curated = zones.write_zone(
                contract.curated_table, schema, batch_id, schema.empty_table(), settings, summary
            )
        faults.crash_point("gate.lake_committed")
    return verdict, None, curated, quarantined


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


def gate_batch(
    contract: DatasetContract, batch_id: str, as_of: datetime, settings: Settings
) -> tuple[Verdict, Path | None, CommittedBatch, CommittedBatch]:
    """Validate and route one batch; commit quarantine and curated (empty when held) at once.

    A batch whose personal information a compliance officer rejected is not validated: every row
    goes to quarantine under ``huiliu_pii_rejected``, with who rejected it, when and why.
    """
    rejection = pii_rejection(batch_id)
    if rejection is not None:
        return _hold_pii_rejected(contract, batch_id, settings, rejection)
    run = _GateRun(contract, batch_id, as_of, settings)
    schema = zones.curated_schema(contract)
    table = lake_table(contract.curated_table, schema, settings)
    with (
        StagedBatchWriter(table, batch_id, schema) as curated,
        ThreadPoolExecutor(max_workers=CURATED_WRITERS, thread_name_prefix="huiliu-curated") as pool,
    ):
        verdict, routed, keys = run.route(curated, pool)
        summary = {"huiliu.quality-status": verdict.status, GATE_RUN_PROPERTY: uuid.uuid4().hex}
        schema_q = zones.quarantine_schema(contract)
        table_q = lake_table(contract.quarantine_table, schema_q, settings)
        with StagedBatchWriter(table_q, batch_id, schema_q) as held:
            run.stage_quarantine(verdict, routed, keys, held)  # while the last curated files are written
            for future in routed.staged:
                future.result()
            if verdict.held:
                curated.abort()
            faults.crash_point("gate.files_written")
            with commit_together(table, table_q):  # readers see both zones change at once
                quarantined = held.commit(summary)
                faults.crash_point("gate.between_zone_commits")
                committed = curated.commit(summary)
            faults.crash_point("gate.lake_committed")
    return verdict, run.runner.saved[-1] if run.runner.saved else None, committed, quarantined


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
        inputs=[_input_ref(contract, settings, None)],
        parent=parent,
    ) as run:  # a refusal or a held batch is a FAIL event with its message, as the task fails
        require_landed(contract, batch_id)
        check_not_pending(contract.name, batch_id)
        load_checked_suite(contract, settings)
        verdict, saved, curated, quarantined = gate_batch(contract, batch_id, as_of, settings)
        docs = docs_dir(contract, settings) / "index.html"
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
