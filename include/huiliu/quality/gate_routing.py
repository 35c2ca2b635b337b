"""Streaming and routing one landed batch: validate it chunk by chunk and stage its passing rows.

The batch is read in chunks (only the columns its suite reads, and the key); each chunk is
validated with the dataset's Great Expectations suite while the keys are ranked and checked for
duplicates on a worker thread. :func:`route_chunk` then decides, without side effects, which rows
of a chunk pass and which fail; the passing rows are staged in curated on the same bounded pool
(a landing file whose rows all pass is copied as it is), and failing rows are kept aside for
quarantine until the batch is surely held.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts.model import DatasetContract
from huiliu.lake.schema import conform, landing_schema
from huiliu.lake.writer import StagedBatchWriter
from huiliu.quality import zones
from huiliu.quality.batch_stream import BatchScan, OtherColumns, check_same_rows, data_frame
from huiliu.quality.datadocs import results_dir
from huiliu.quality.decided import DecidedRows
from huiliu.quality.duplicates import DuplicateResolution, resolve_duplicates
from huiliu.quality.file_copies import ChunkRoute, FileCopies, PieceRows, split_rows
from huiliu.quality.suites import columns_looked_at, load_checked_suite
from huiliu.quality.validation import ExpectationOutcome, SuiteRunner
from huiliu.quality.verdict import ROW_SEVERITIES, Verdict, combine, decide, duplicate_rule
from huiliu.settings import Settings
from huiliu.sources.prefetch import prefetch

CURATED_WRITERS = 2
"""Threads writing a chunk's passing rows, each to files of its own."""
GATE_THREADS = CURATED_WRITERS + 2
"""The gate's one pool: the curated writers, the key ranking, and a piece being completed with its
unread columns while both writers write."""


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


@dataclass(frozen=True, kw_only=True)
class BatchKeys:
    """The batch's keys in batch order, its duplicate resolution and each row's rank by key."""

    table: pa.Table
    resolution: DuplicateResolution
    ranks: npt.NDArray[np.int64]


@dataclass(frozen=True, kw_only=True)
class ChunkDecision:
    """Where one validated chunk's rows go.

    Attributes:
        keep: per row of the chunk, whether it goes to curated.
        failing: batch positions of the failing rows that go to quarantine (rows a steward
            already decided on an earlier run are left where they are).
        failed: per row of the chunk, whether it is one of ``failing``.
        counted: failing rows of the chunk, decided ones included (they count toward the hold).
    """

    keep: npt.NDArray[np.bool_]
    failing: npt.NDArray[np.int64]
    failed: npt.NDArray[np.bool_]
    counted: int


def route_chunk(
    rows: pa.Table,
    offset: int,
    outcomes: list[ExpectationOutcome],
    losers: npt.NDArray[np.int64],
    decided: npt.NDArray[np.bool_] | None,
) -> ChunkDecision:
    """Which rows of one validated chunk (batch positions from ``offset``) pass and which fail.

    A row fails with a row-level failure of the suite or when it lost its primary-key duplicate.
    Rows whose key a steward decided on an earlier run (``decided``) neither pass nor go to
    quarantine again: a released row is in curated under its release batch id already, a discarded
    one is never returned, and both keep their quarantine rows as they were.
    """
    stop = offset + rows.num_rows
    parts = [o.unexpected_rows for o in outcomes if o.severity in ROW_SEVERITIES]
    parts.append(losers[(losers >= offset) & (losers < stop)])
    failing = np.unique(np.concatenate(parts)).astype(np.int64)
    counted = len(failing)
    keep = np.ones(rows.num_rows, dtype=bool)
    keep[failing - offset] = False
    if decided is not None:
        keep &= ~decided
        failing = failing[~decided[failing - offset]]
    failed = np.zeros(rows.num_rows, dtype=bool)
    failed[failing - offset] = True
    return ChunkDecision(keep=keep, failing=failing, failed=failed, counted=counted)


@dataclass
class Routing:
    """What streaming the batch produced: per chunk outcomes, failing rows and staged writes.

    Once more rows failed than the contract's hold share allows (``surely_held``) the batch will
    be held: it then goes to quarantine whole, read again chunk by chunk, so no failing rows are
    kept aside any longer.
    """

    outcomes: list[list[ExpectationOutcome]] = field(default_factory=list)
    failing: list[Future[pa.Table | None]] = field(default_factory=list)
    positions: list[npt.NDArray[np.int64]] = field(default_factory=list)
    staged: list[Future[Any]] = field(default_factory=list)
    rows: int = 0
    failed: int = 0
    hold_above: float = float("inf")

    @property
    def surely_held(self) -> bool:
        return self.failed > self.hold_above

    def add(self, outcomes: list[ExpectationOutcome], decision: ChunkDecision, rows: int) -> None:
        self.outcomes.append(outcomes)
        self.positions.append(decision.failing)
        self.failed += decision.counted
        self.rows += rows
        if self.surely_held:
            self.failing.clear()

    def failing_rows(self) -> tuple[list[pa.Table], npt.NDArray[np.int64]]:
        """The failing rows kept aside (waiting for their pieces to be read) and their batch positions."""
        tables = [t for t in (f.result() for f in self.failing) if t is not None]
        positions = np.concatenate(self.positions) if self.positions else np.empty(0, dtype=np.int64)
        return tables, positions

    def wait_for_writes(self, keep: int) -> None:
        """Wait until at most ``keep`` staged writes are unfinished (oldest first)."""
        for future in self.staged[: max(0, len(self.staged) - keep)]:
            future.result()


@dataclass(frozen=True, kw_only=True)
class RoutedBatch:
    """A streamed batch: the verdict on it, what streaming produced and its ranked keys."""

    verdict: Verdict
    routing: Routing
    keys: BatchKeys


@dataclass(frozen=True, kw_only=True)
class StagedChunk:
    """A chunk's curated writes on the pool; ``failing`` (some of them) return its failing rows."""

    writes: list[Future[Any]]
    failing: list[Future[pa.Table | None]]


class CuratedWrites:
    """Stages a chunk's curated files on the gate's pool: copies of passing landing files, and the
    kept rows of the other pieces completed with the columns the chunk was read without (their
    failing rows are kept for quarantine). Each file's place in curated is reserved when it is
    staged, so curated's row order does not depend on which write finishes first."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        writer: StagedBatchWriter,
        other: OtherColumns,
        contract: DatasetContract,
    ) -> None:
        self.pool, self.writer, self.other = pool, writer, other
        self.schema = zones.curated_schema(contract)
        self._completing = threading.Lock()  # the other columns' file cache is read one piece at a time

    def stage(self, route: ChunkRoute) -> StagedChunk:
        """Submit the route's files: every write, and in chunk order the failing rows' futures."""
        staged: list[Future[Any]] = [
            self.pool.submit(self.writer.copy_file, path, rows, self.writer.reserve())
            for path, rows in route.copy
        ]
        failing = [
            self.pool.submit(self._complete_and_write, run, self.writer.reserve())
            for run in split_rows(route.write, CURATED_WRITERS)  # side by side, each to files of its own
        ]
        return StagedChunk(writes=staged + failing, failing=failing)

    def _complete_and_write(self, pieces: list[PieceRows], slot: int) -> pa.Table | None:
        """Complete the pieces, write their kept rows at ``slot``; return their failing rows."""
        with self._completing:
            full = [self.other.complete(p.rows, p.piece) for p in pieces]
        failed = [
            rows.filter(pa.array(p.failed))
            for rows, p in zip(full, pieces, strict=True)
            if p.failed is not None
        ]
        keep = np.concatenate([p.kept for p in pieces])
        self.writer.write_file(conform(pa.concat_tables(full), self.schema), keep=keep, slot=slot)
        return pa.concat_tables(failed) if failed else None


class BatchRouter:
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

    def keys(self) -> BatchKeys:
        """The batch's keys, ranked, and its duplicates resolved by the contract's rule."""
        order = self.contract.duplicate_order_column
        keys = self.scan.columns([*self.key, *([order] if order else [])])
        column = keys.column(order) if order else None
        key_columns = keys.select(self.key)
        by_key = pc.sort_indices(key_columns, sort_keys=[(name, "ascending") for name in self.key])
        resolution = resolve_duplicates(key_columns, column, self.contract.quality.duplicates, by_key)
        # distinct, non-null keys order the rows alone; otherwise ties are broken as row_order says
        distinct = resolution.duplicated_keys == 0 and not any(c.null_count for c in key_columns.columns)
        sorted_rows = by_key if distinct else zones.row_order(keys, self.key, order)
        return BatchKeys(table=keys, resolution=resolution, ranks=zones.ranks_of(sorted_rows))

    def _validate(self, chunk: pa.Table, offset: int, name: str) -> list[ExpectationOutcome]:
        frame = data_frame(self.contract, chunk, offset, self.unread)
        return self.runner.validate(frame, self.parameters, name)

    def route(self, curated: StagedBatchWriter, pool: ThreadPoolExecutor) -> RoutedBatch:
        """Validate chunk by chunk and stage passing rows on ``pool`` while the next chunk is read
        and validated (the last chunk's files may still be being written on return: ``staged``).

        The keys are ranked on the pool while the first chunk is read and validated; a chunk is
        routed once both are done.
        """
        routing = Routing()
        copies = FileCopies(curated)
        chunk_rows = self.settings.quality_chunk_rows
        planned = self.scan.planned_rows()  # never fewer than the batch's rows
        parts = max(1, -(-planned // chunk_rows))
        routing.hold_above = self.contract.quality.max_failing_share * planned
        writes = CuratedWrites(pool, curated, OtherColumns(self.scan, self.read_columns), self.contract)
        pending = pool.submit(self.keys)
        with closing(prefetch(self.scan.file_chunks(chunk_rows, self.read_columns))) as chunks:
            from huiliu.quality.expectations import load_reference_tables  # imports GX: not at DAG parse

            kinds = [e.get("type", "") for e in self.runner.document.expectations]
            load_reference_tables(kinds, self.settings.city_code)  # while the first chunk is read
            for number, chunk in enumerate(chunks, start=1):
                name = self.batch_id if parts == 1 else f"{self.batch_id} part {number} of {parts}"
                outcomes = self._validate(chunk.rows, routing.rows, name)
                keys = pending.result()
                check_same_rows(chunk.rows, keys.table, routing.rows, self.key)
                decided = self.decided.mask(chunk.rows)
                decision = route_chunk(chunk.rows, routing.rows, outcomes, keys.resolution.losers, decided)
                routing.add(outcomes, decision, chunk.rows.num_rows)
                route = copies.route(chunk, decision.keep, None if routing.surely_held else decision.failed)
                routing.wait_for_writes(keep=CURATED_WRITERS)  # memory: a chunk being written
                staged = writes.stage(route)
                routing.staged += staged.writes
                if not routing.surely_held:
                    routing.failing += staged.failing
        keys = pending.result()
        rules = [
            *combine(routing.outcomes, self.parameters),
            duplicate_rule(keys.resolution, self.key, routing.rows),
        ]
        verdict = decide(rules, routing.rows, self.contract.quality.max_failing_share)
        return RoutedBatch(verdict=verdict, routing=routing, keys=keys)
