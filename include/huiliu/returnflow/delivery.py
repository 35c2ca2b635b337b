"""One delivery run of a dataset: every active grant served in one partitioned pass over curated.

A first, narrow read takes the unit column, the record keys and the quasi-identifiers; it marks the
current version of each record, scopes rows to the granted units tier by tier and lets the
re-identification guard decide each unit's generalisation, suppressions or hold. A second read
streams every row once, in chunks of up to :data:`CHUNK_ROWS` sorted by unit code, so that each
unit's subtree is one run of rows at every tier; per tier a chunk is masked by the tier's policy
once and generalised once for each number of ladder steps the guard chose, and each unit's run is
then hashed under its grant's own key (when the policy hashes) and written to that unit's outbox
delivery in one write, by a few writer threads, while the main thread prepares the next chunk.
Deliveries are opened, sealed and published by a wider pool of outbox threads, which mostly wait
for fsync.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiliu import row_passes
from huiliu.arrow_text import is_plain_text, text_buffers
from huiliu.contracts.model import DatasetContract, ReturnSpec
from huiliu.memory import give_back_memory
from huiliu.open_files import ensure_open_files
from huiliu.policy.grants import GrantView
from huiliu.policy.reidentification import (
    EncodedColumn,
    GuardAssessment,
    GuardRows,
    GuardRule,
    UnitVerdict,
    assess_rows,
    generalise,
)
from huiliu.returnflow.lineage import ColumnAction
from huiliu.returnflow.records import DeliveryStatus
from huiliu.returnflow.scope import TierScope, UnitRuns, partition, tiers
from huiliu.returnflow.snapshot import CuratedSnapshot

T = TypeVar("T")

CHUNK_ROWS = 1 << 18
"""Curated rows gathered into one chunk of the streaming pass (each unit gets one write per chunk)."""
WRITERS = min(4, os.cpu_count() or 1)
"""Threads writing units' rows at once (PyArrow's writers release the GIL)."""
FILES_PER_DELIVERY = 8
"""Files an open delivery may hold at once (its data and fingerprint files, the XLSX writer's
scratch file and its locked folder: six in the outbox), with room to spare."""
TIERS_AT_ONCE = 2
"""Tiers the guard measures side by side (a street and a community tier, usually all there are):
each holds its rows' codes and groupings, a few bytes a row, while it is measured."""
OUTBOX_THREADS = 16
"""Threads opening, sealing and publishing units' deliveries at once: they mostly wait for fsync,
which the file system serves together (one journal commit for many files)."""


@dataclass(frozen=True, kw_only=True)
class ExtractPlan:
    """How one grant's rows become what its unit receives.

    Attributes:
        grant: the active grant.
        columns: the delivered columns, in order, with the policy's action on each.
        project: curated rows → the delivered columns with every action of the policy applied but
            the grant's keyed hash; given only some curated columns it returns the delivered columns
            computable from them. Plans of one tier share it, so a pass applies it once per tier.
        keyed: the grant's own keyed hashing of projected rows (None: the policy hashes nothing).
        quasi_identifiers: delivered columns the guard measures.
        sensitive: the delivered sensitive column for ℓ-diversity, if any.
        guard: k, ℓ, suppression share and the generalisation ladder (on delivered columns).
        policy_version: the version of the policy the plan comes from.
        withheld: the columns the policy does not return, with why (for the unit's 说明 sheet).
    """

    grant: GrantView
    columns: tuple[ColumnAction, ...]
    project: Callable[[pa.Table], pa.Table]
    keyed: Callable[[pa.Table], pa.Table] | None = None
    quasi_identifiers: tuple[str, ...]
    sensitive: str | None
    guard: GuardRule
    policy_version: str
    withheld: tuple[ColumnAction, ...] = ()

    def deliverable(self, rows: pa.Table) -> pa.Table:
        """Curated rows as the grant's unit receives them (before the guard's generalisation)."""
        projected = self.project(rows)
        return projected if self.keyed is None else self.keyed(projected)


class ExtractWriter(Protocol):
    """An open delivery in a unit's outbox: rows go in batch by batch, then it is published or dropped."""

    def write(self, rows: pa.Table, fingerprints: pa.Array) -> None: ...

    def seal(self) -> str | None:
        """Finish writing; return the content digest (equal for the same rows in the same order)."""
        ...

    def publish(self) -> tuple[str, str]:
        """Make the delivery visible; return its folder and the manifest's SHA-256."""
        ...

    def discard(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class ExtractOpening:
    """What the outbox is told when a unit's delivery opens (its rows follow).

    Attributes:
        plan: the grant's extract plan.
        delivery_id: the new delivery's id.
        schema: the schema of the delivered rows.
        verdict: the guard's verdict on the unit's extract (its extra generalisation steps).
        snapshot_id: the curated snapshot delivered.
        snapshot_committed_at: when that snapshot was committed.
    """

    plan: ExtractPlan
    delivery_id: str
    schema: pa.Schema
    verdict: UnitVerdict | None
    snapshot_id: int
    snapshot_committed_at: datetime | None


OpenWriter = Callable[[ExtractOpening], ExtractWriter]
"""Opens a unit's delivery in its outbox."""


@dataclass(frozen=True, kw_only=True)
class UnitDelivery:
    """What one grant's unit got from the run (or why it got nothing)."""

    plan: ExtractPlan
    delivery_id: str
    status: DeliveryStatus
    rows: int
    verdict: UnitVerdict | None
    content_sha256: str | None = None
    outbox_path: str | None = None
    manifest_sha256: str | None = None


def _tier_plans(
    plans: Sequence[ExtractPlan], levels: dict[str, str]
) -> list[tuple[TierScope, dict[str, ExtractPlan]]]:
    """The plans grouped by tier: each tier's scope and its plans by unit code."""
    scopes = tiers((p.grant.unit_code, levels[p.grant.unit_code]) for p in plans)
    return [
        (scope, {p.grant.unit_code: p for p in plans if p.grant.unit_code in scope.units}) for scope in scopes
    ]


def fingerprint(keys: pa.Table, key: bytes) -> pa.Array:
    """Keyed 64-bit fingerprints of the rows' primary keys: pandas' ``hash_pandas_object`` of the
    key columns as text (SipHash-2-4 under the key's first 16 bytes, in hex), without an index.

    "Who received record X" is then a lookup of X's fingerprint in the deliveries' fingerprint files;
    without the key a fingerprint says nothing about the record. A text column without nulls is
    hashed straight from its Arrow buffers by a compiled pass (the same numbers pandas gives); any
    other column through pandas, each value as its ``str``.
    """
    import pandas as pd

    if len(key) < 16:
        raise ValueError("the fingerprint key must hold at least 16 bytes")
    from pandas.core.util.hashing import combine_hash_arrays

    hash_key = key[:16].hex()[:16]
    hashed = (
        _text_fingerprints(values.combine_chunks(), hash_key)
        if is_plain_text(values.type) and not values.null_count
        else pd.util.hash_array(_as_text(values), hash_key=hash_key, categorize=False)
        for values in keys.columns
    )
    return pa.array(combine_hash_arrays(hashed, keys.num_columns, keys.num_rows))


def _text_fingerprints(values: pa.Array, hash_key: str) -> np.ndarray:
    """pandas' ``hash_array`` of a text column without nulls: each text's SipHash-2-4, then spread."""
    hashed = np.empty(len(values), dtype=np.uint64)
    if len(values):
        halves = np.frombuffer(hash_key.encode("utf-8"), dtype="<u8")
        offsets, data = text_buffers(values)
        row_passes.siphash_texts(offsets, data, halves[0], halves[1], hashed)
    hashed ^= hashed >> np.uint64(30)
    hashed *= np.uint64(0xBF58476D1CE4E5B9)
    hashed ^= hashed >> np.uint64(27)
    hashed *= np.uint64(0x94D049BB133111EB)
    hashed ^= hashed >> np.uint64(31)
    return hashed


def _as_text(values: pa.ChunkedArray) -> np.ndarray:
    """Key values as Python text, as the fingerprints hash them (``str`` of each value)."""
    if is_plain_text(values.type):
        return np.asarray(values.to_numpy(), dtype=object)
    return np.array([str(v) for v in values.to_pylist()], dtype=object)


def assess_units(
    snapshot: CuratedSnapshot,
    contract: DatasetContract,
    plans: Sequence[ExtractPlan],
    levels: dict[str, str],
    released: frozenset[str] = frozenset(),
) -> tuple[np.ndarray, list[tuple[TierScope, dict[str, ExtractPlan], GuardAssessment]]]:
    """The first, narrow pass: current versions, row scope and the guard's verdicts per tier.

    ``released`` names grants whose held extract a compliance officer released.

    Returns:
        Which rows are current versions, and per tier its scope, plans and assessment.
    """
    returns = contract.returns
    if returns is None:
        raise ValueError(f"dataset {contract.name} has no returns section")
    wanted = list(dict.fromkeys([returns.unit_column, *returns.quasi_identifiers]))
    if returns.sensitive_column:
        wanted.append(returns.sensitive_column)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiliu-current") as reading:
        together = snapshot.columns_and_current(wanted, dictionaries=wanted, worker=reading)
        if together is not None:  # the keys are hashed (or their hashes taken) as the columns are read
            read, _, finding = together
        else:  # the keys are read beside the guard's columns
            finding = reading.submit(snapshot.current)
            read = snapshot.columns(wanted, dictionaries=wanted)
        # each column read is encoded once, beside the current versions (four bytes a row per column)
        encoded = {name: EncodedColumn.of(read.column(name)) for name in read.column_names}
        del read
        current = finding.result()
    # the memory the key hashes held is kept for the tiers' measures (given back, it would be faulted
    # in again at once); the caller gives it back after the narrow pass
    with ThreadPoolExecutor(max_workers=TIERS_AT_ONCE, thread_name_prefix="huiliu-guard") as measuring:
        measures: list[Future[GuardAssessment]] = []
        tiered = _tier_plans(plans, levels)
        for scope, by_unit in tiered:
            if len(measures) >= TIERS_AT_ONCE:  # no more tiers' rows held at once than are measured
                measures[-TIERS_AT_ONCE].result()
            plan = next(iter(by_unit.values()))
            # the policy projects the tier's columns on this thread; only the measures run side by side
            rows = _guard_rows(scope, plan, encoded, returns).only(current)
            lifted = frozenset(u for u, p in by_unit.items() if p.grant.id in released)
            measures.append(measuring.submit(assess_rows, rows, plan.guard, released=lifted))
            del rows
        return current, [
            (scope, by_unit, measure.result())
            for (scope, by_unit), measure in zip(tiered, measures, strict=True)
        ]


def _guard_rows(
    scope: TierScope, plan: ExtractPlan, encoded: dict[str, EncodedColumn], returns: ReturnSpec
) -> GuardRows:
    """A tier's measured rows (whether current or not), each in its unit of the tier: the
    quasi-identifiers as the tier's policy delivers them (and the sensitive column, for ℓ-diversity).

    Every action of a policy is a function of one value, so each column read is projected alone, on
    its distinct values only, and spread over the rows by its codes; a column the projection leaves
    as it is keeps the codes read.
    """
    sensitive = plan.sensitive if plan.guard.l > 1 else None
    measured = {*plan.quasi_identifiers, *([sensitive] if sensitive else [])}
    delivered: dict[str, EncodedColumn] = {}
    for source, column in encoded.items():  # a delivered column may be named anew (birth year)
        projected = plan.deliverable(pa.table({source: column.dictionary}))
        for name in measured.intersection(projected.column_names) - delivered.keys():
            values = projected.column(name).combine_chunks()
            same = values.type == column.dictionary.type and values.equals(column.dictionary)
            delivered[name] = column if same else column.recoded(values)
    read_units = encoded[returns.unit_column]
    to_unit, units = read_units.recoding(scope.keys(read_units.dictionary, returns.unit_level))
    columns = {name: delivered[name] for name in plan.quasi_identifiers if name in delivered}
    # the unit column delivered as read tells each row's unit by its value
    telling = columns.get(returns.unit_column) is read_units
    return GuardRows(
        unit_codes=row_passes.looked_up(to_unit, read_units.codes),
        labels=[str(u) for u in units.to_pylist()],
        columns=columns,
        sensitive=delivered[sensitive].codes if sensitive in delivered else None,
        determining=(returns.unit_column, np.maximum(to_unit - 1, 0)) if telling else None,
    )


def deliver_snapshot(
    snapshot: CuratedSnapshot,
    contract: DatasetContract,
    plans: Sequence[ExtractPlan],
    *,
    levels: dict[str, str],
    open_writer: OpenWriter,
    new_id: Callable[[], str],
    fingerprint_key: bytes,
    previous_content: Callable[[ExtractPlan], str | None] = lambda _plan: None,
    released: frozenset[str] = frozenset(),
    writers: int = WRITERS,
) -> list[UnitDelivery]:
    """Serve every plan from one snapshot in one partitioned pass; held units get nothing.

    Args:
        snapshot: the curated snapshot to deliver.
        contract: the dataset's contract (its ``returns`` section scopes the rows).
        plans: one per active grant.
        levels: each granted unit's level.
        open_writer: opens a unit's delivery in its outbox.
        new_id: a new delivery id.
        fingerprint_key: the key of the primary-key fingerprints.
        previous_content: the content digest of the grant's last delivery under the same policy;
            a delivery with the same rows is discarded and reported ``unchanged``.
        released: ids of grants whose held extract a compliance officer released: they get what is
            left after the last ladder step with every rare row suppressed.
        writers: threads writing units' rows (one unit at a time each; a unit's rows are written in
            order); :data:`OUTBOX_THREADS` more open, seal and publish the deliveries.

    Returns:
        One outcome per plan, in plan order.

    Raises:
        ConfigurationError: the process may not open enough files to hold every unit's delivery
            open at once (the soft limit is raised first, as far as the hard one allows).
    """
    ensure_open_files(
        len(plans) * FILES_PER_DELIVERY + OUTBOX_THREADS, f"delivering {contract.name} to {len(plans)} units"
    )
    current, assessed = assess_units(snapshot, contract, plans, levels, released)
    give_back_memory()  # the narrow pass's columns and codes are gone
    ids = {p.grant.id: new_id() for p in plans}
    verdicts = {
        p.grant.id: assessment.units.get(p.grant.unit_code)
        for _, by_unit, assessment in assessed
        for p in by_unit.values()
    }
    with (
        ThreadPoolExecutor(max_workers=max(1, writers), thread_name_prefix="huiliu-delivery") as pool,
        ThreadPoolExecutor(max_workers=OUTBOX_THREADS, thread_name_prefix="huiliu-outbox") as outbox,
    ):
        streaming = _Streaming(
            snapshot, verdicts=verdicts, ids=ids, open_writer=open_writer, pool=pool, outbox=outbox
        )
        try:
            streaming.run(contract, assessed, current, fingerprint_key)
            unfinished = {
                p.grant.id: _unfinished(p, ids[p.grant.id], verdicts.get(p.grant.id)) for p in plans
            }
            finished = _finish(unfinished, streaming.opened(), previous_content, outbox)
        except BaseException:
            streaming.abandon()
            raise
    return [finished[p.grant.id] for p in plans]


def _unfinished(plan: ExtractPlan, delivery_id: str, verdict: UnitVerdict | None) -> UnitDelivery:
    """A grant's outcome before its delivery is finished: held, or empty until rows were written."""
    held = verdict is not None and verdict.held
    return UnitDelivery(
        plan=plan,
        delivery_id=delivery_id,
        status=DeliveryStatus.HELD if held else DeliveryStatus.EMPTY,
        rows=0,
        verdict=verdict,
    )


def _finish(
    outcomes: dict[str, UnitDelivery],
    opened: dict[str, _Open],
    previous_content: Callable[[ExtractPlan], str | None],
    pool: ThreadPoolExecutor,
) -> dict[str, UnitDelivery]:
    """Seal every open delivery, drop the ones equal to the grant's last, publish the others.

    Args:
        outcomes: per grant id, its outcome before finishing (held or empty).
        opened: per grant id, its open delivery.

    Returns:
        The outcomes, those of the opened deliveries ``unchanged`` or ``delivered``.
    """
    grants = list(opened)
    contents = dict(zip(grants, _each(pool, lambda g: opened[g].writer.seal(), grants), strict=True))
    finished = dict(outcomes)
    for grant_id, content in contents.items():
        unchanged = content is not None and content == previous_content(outcomes[grant_id].plan)
        if unchanged:
            opened[grant_id].writer.discard()
        finished[grant_id] = replace(
            outcomes[grant_id],
            status=DeliveryStatus.UNCHANGED if unchanged else DeliveryStatus.DELIVERED,
            rows=opened[grant_id].rows,
            content_sha256=content,
        )
    publishing = [g for g in grants if finished[g].status is DeliveryStatus.DELIVERED]
    published = _each(pool, lambda g: opened[g].writer.publish(), publishing)
    for grant_id, (folder, manifest) in zip(publishing, published, strict=True):
        finished[grant_id] = replace(finished[grant_id], outbox_path=folder, manifest_sha256=manifest)
    return finished


def _each(pool: ThreadPoolExecutor, step: Callable[[str], T], grants: list[str]) -> list[T]:
    """``step`` of every grant on the pool; all of them have ended when the first failure is raised
    (so that discarding after a failure never runs beside a seal or a publication)."""
    running = [pool.submit(step, grant) for grant in grants]
    wait(running)
    return [future.result() for future in running]


@dataclass
class _Open:
    """A unit's delivery being written: its writer and the rows written so far."""

    writer: ExtractWriter
    rows: int = 0


class _Streaming:
    """The second pass: every row once, chunk by chunk, each unit's run written to its delivery."""

    def __init__(
        self,
        snapshot: CuratedSnapshot,
        *,
        verdicts: dict[str, UnitVerdict | None],
        ids: dict[str, str],
        open_writer: OpenWriter,
        pool: ThreadPoolExecutor,
        outbox: ThreadPoolExecutor,
    ) -> None:
        self.snapshot, self.verdicts, self.ids, self.open_writer = snapshot, verdicts, ids, open_writer
        self.pool, self.outbox = pool, outbox
        self._opening: dict[str, Future[_Open]] = {}
        self._writing: list[Future[None]] = []

    def opened(self) -> dict[str, _Open]:
        """Every delivery opened, by grant id (once the pass has ended)."""
        return {grant_id: opening.result() for grant_id, opening in self._opening.items()}

    def run(
        self,
        contract: DatasetContract,
        assessed: list[tuple[TierScope, dict[str, ExtractPlan], GuardAssessment]],
        current: np.ndarray,
        fingerprint_key: bytes,
    ) -> None:
        returns = contract.returns
        if returns is None:
            raise ValueError(f"dataset {contract.name} has no returns section")
        key_columns = list(contract.schema_.primary_key)
        for offset, read in self.snapshot.chunks(CHUNK_ROWS):
            writes: list[tuple[ExtractPlan, pa.Table, pa.Array, np.ndarray]] = []
            codes = read.column(returns.unit_column)
            # per tier, each row's granted unit (or null); only rows some unit receives are kept
            tier_keys = [scope.keys(codes, returns.unit_level) for scope, _, _ in assessed]
            order = _by_unit_code(codes, among=_received(tier_keys))
            taken = pa.array(order)
            chunk = read.take(taken)  # a unit's rows are now one run at every tier
            here = slice(offset, offset + read.num_rows)
            del read, codes
            keep = current[here][order]
            printed: pa.Array | None = None  # the chunk's fingerprints, computed once for every tier
            for (_, by_unit, assessment), unsorted in zip(assessed, tier_keys, strict=True):
                keys = unsorted.take(taken)
                runs = partition(keys, assessment.keep[here][order] & keep)
                if not runs.units:
                    continue
                if printed is None:
                    printed = fingerprint(chunk.select(key_columns), fingerprint_key)
                for projection, members in _by_projection(runs, by_unit):
                    projected = projection(chunk)
                    for (guard, steps), group in self._by_generalisation(runs, members, by_unit).items():
                        delivered = generalise(projected, steps, guard)
                        writes += _unit_writes(delivered, printed, runs, group, by_unit)
            del chunk
            for plan, delivered, _, _ in writes:  # opened by the outbox threads while rows are written
                if plan.grant.id not in self._opening:
                    self._opening[plan.grant.id] = self.outbox.submit(self._open, plan, delivered)
            self._written()  # a unit's next chunk is written only after its previous one
            self._writing = [self.pool.submit(self._write, *write) for write in writes]
        self._written()

    def abandon(self) -> None:
        """After a failure: let the writes and openings in flight end, then discard every open delivery."""
        wait(self._writing)
        wait(self._opening.values())
        for opening in self._opening.values():
            if opening.exception() is None:
                opening.result().writer.discard()

    def _by_generalisation(
        self, runs: UnitRuns, members: list[int], by_unit: dict[str, ExtractPlan]
    ) -> dict[tuple[GuardRule, int], list[int]]:
        """Units of one projection grouped by their guard and the ladder steps it decided for them
        (one group when every unit keeps its rows as the policy delivers them)."""
        groups: dict[tuple[GuardRule, int], list[int]] = {}
        for index in members:
            plan = by_unit[runs.units[index]]
            verdict = self.verdicts[plan.grant.id]
            groups.setdefault((plan.guard, verdict.steps if verdict else 0), []).append(index)
        return groups

    def _open(self, plan: ExtractPlan, generalised: pa.Table) -> _Open:
        """Open a grant's delivery in its unit's outbox, for rows shaped as ``generalised`` (hashed
        under the grant's key when the policy hashes)."""
        shape = generalised.slice(0, 0)
        opening = ExtractOpening(
            plan=plan,
            delivery_id=self.ids[plan.grant.id],
            schema=(shape if plan.keyed is None else plan.keyed(shape)).schema,
            verdict=self.verdicts[plan.grant.id],
            snapshot_id=self.snapshot.snapshot_id or 0,
            snapshot_committed_at=self.snapshot.committed_at,
        )
        return _Open(self.open_writer(opening))

    def _written(self) -> None:
        """Wait for every write in flight; raise the first failure."""
        wait(self._writing)  # interrupted here, the writes are still listed for :meth:`abandon`
        writing, self._writing = self._writing, []
        for future in writing:
            future.result()

    def _write(
        self, plan: ExtractPlan, generalised: pa.Table, printed: pa.Array, positions: np.ndarray
    ) -> None:
        """A unit's run: its rows of the chunk as projected and generalised for it (a slice, or gathered
        when suppressed or older rows lie between them), hashed under its grant's key, written.

        The guard's ladder never steps a hashed column, so hashing after generalising gives what
        hashing first would."""
        count, first = len(positions), positions[0]
        if positions[-1] - first == count - 1:
            delivered, fingerprints = generalised.slice(first, count), printed.slice(first, count)
        else:
            taken = pa.array(positions)
            delivered, fingerprints = generalised.take(taken), printed.take(taken)
        if plan.keyed is not None:
            delivered = plan.keyed(delivered)
        state = self._opening[plan.grant.id].result()
        state.writer.write(delivered, fingerprints)
        state.rows += delivered.num_rows


def _unit_writes(
    generalised: pa.Table,
    printed: pa.Array,
    runs: UnitRuns,
    members: list[int],
    by_unit: dict[str, ExtractPlan],
) -> list[tuple[ExtractPlan, pa.Table, pa.Array, np.ndarray]]:
    """Some units' runs of a chunk sorted by unit, projected and generalised for them: each unit's plan,
    the chunk and its rows."""
    writes = []
    for i in members:
        at, count = runs.rows_of(i)
        writes.append((by_unit[runs.units[i]], generalised, printed, runs.positions[at : at + count]))
    return writes


def _received(tier_keys: list[pa.Array]) -> np.ndarray | None:
    """Rows some tier's granted unit receives (None: every row)."""
    received: np.ndarray | None = None
    for keys in tier_keys:
        if keys.null_count == 0:
            return None
        valid = keys.is_valid().to_numpy(zero_copy_only=False)
        received = valid if received is None else received | valid
    return None if received is not None and received.all() else received


def _by_unit_code(codes: pa.ChunkedArray, among: np.ndarray | None = None) -> np.ndarray:
    """The order that sorts rows (``among``: only these rows) by unit code, stably (nulls last):
    each unit's subtree is one run. A pass for a few units then takes, masks and writes their rows
    only, not the whole chunk's."""
    encoded = pc.dictionary_encode(codes.combine_chunks())
    rank = np.empty(len(encoded.dictionary) + 1, dtype=np.int64)
    rank[pc.array_sort_indices(encoded.dictionary).to_numpy()] = np.arange(len(encoded.dictionary))
    rank[-1] = len(encoded.dictionary)  # null codes
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    if among is None:
        return np.argsort(rank[indices], kind="stable")
    rows = np.flatnonzero(among)
    return rows[np.argsort(rank[indices[rows]], kind="stable")]


def _by_projection(
    runs: UnitRuns, by_unit: dict[str, ExtractPlan]
) -> list[tuple[Callable[[pa.Table], pa.Table], list[int]]]:
    """The units of a tier's runs grouped by their plans' projection (one group when all share it)."""
    groups: dict[int, tuple[Callable[[pa.Table], pa.Table], list[int]]] = {}
    for index, unit in enumerate(runs.units):
        projection = by_unit[unit].project
        groups.setdefault(id(projection), (projection, []))[1].append(index)
    return list(groups.values())
