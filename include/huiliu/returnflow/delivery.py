"""One delivery run of a dataset: every active grant served in one partitioned pass over curated.

A first, narrow read takes the unit column, the record keys and the quasi-identifiers; it marks the
current version of each record, scopes rows to the granted units tier by tier and lets the
re-identification guard decide each unit's generalisation, suppressions or hold. A second read
streams every row once: each batch is partitioned by unit, and each unit's rows are masked by its
grant's policy, generalised as the guard decided and written to that unit's open outbox delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts.model import DatasetContract
from huiliu.policy.grants import GrantView
from huiliu.policy.reidentification import GuardAssessment, GuardRule, UnitVerdict, assess, generalise
from huiliu.returnflow.lineage import ColumnAction
from huiliu.returnflow.records import DeliveryStatus
from huiliu.returnflow.scope import TierScope, partition, tiers
from huiliu.returnflow.snapshot import CuratedSnapshot


@dataclass(frozen=True, kw_only=True)
class ExtractPlan:
    """How one grant's rows become what its unit receives.

    Attributes:
        grant: the active grant.
        columns: the delivered columns, in order, with the policy's action on each.
        project: curated rows → the delivered columns (the policy applied, keyed for this grant);
            given only some curated columns it returns the delivered columns computable from them.
        quasi_identifiers: delivered columns the guard measures.
        sensitive: the delivered sensitive column for ℓ-diversity, if any.
        guard: k, ℓ, suppression share and the generalisation ladder (on delivered columns).
        policy_version: the version of the policy the plan comes from.
        withheld: the columns the policy does not return, with why (for the unit's 说明 sheet).
    """

    grant: GrantView
    columns: tuple[ColumnAction, ...]
    project: Callable[[pa.Table], pa.Table]
    quasi_identifiers: tuple[str, ...]
    sensitive: str | None
    guard: GuardRule
    policy_version: str
    withheld: tuple[ColumnAction, ...] = ()


class ExtractWriter(Protocol):
    """An open delivery in a unit's outbox: rows go in batch by batch, then it is published or dropped."""

    def write(self, rows: pa.Table, fingerprints: pa.Array) -> None: ...

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


@dataclass
class _Open:
    """A unit's delivery being written: its writer, rows so far and the digest of what it holds."""

    writer: ExtractWriter
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    rows: int = 0


def _tier_plans(
    plans: Sequence[ExtractPlan], levels: dict[str, str]
) -> list[tuple[TierScope, dict[str, ExtractPlan]]]:
    """The plans grouped by tier: each tier's scope and its plans by unit code."""
    scopes = tiers((p.grant.unit_code, levels[p.grant.unit_code]) for p in plans)
    return [
        (scope, {p.grant.unit_code: p for p in plans if p.grant.unit_code in scope.units}) for scope in scopes
    ]


def fingerprint(keys: pa.Table, key: bytes) -> pa.Array:
    """Keyed 64-bit fingerprints of the rows' primary keys (SipHash, vectorised by pandas).

    "Who received record X" is then a lookup of X's fingerprint in the deliveries' fingerprint files;
    without the key a fingerprint says nothing about the record.
    """
    import pandas as pd

    if len(key) < 16:
        raise ValueError("the fingerprint key must hold at least 16 bytes")
    frame = keys.to_pandas(types_mapper=pd.ArrowDtype).astype(str)
    hashed = pd.util.hash_pandas_object(frame, index=False, hash_key=key[:16].hex()[:16])
    return pa.array(hashed.to_numpy(dtype=np.uint64))


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
    if contract.returns is None:
        raise ValueError(f"dataset {contract.name} has no returns section")
    current = snapshot.current()
    unit_column = contract.returns.unit_column
    wanted = list(dict.fromkeys([unit_column, *contract.returns.quasi_identifiers]))
    if contract.returns.sensitive_column:
        wanted.append(contract.returns.sensitive_column)
    narrow = snapshot.columns(wanted)
    tiers_out = []
    for scope, by_unit in _tier_plans(plans, levels):
        keys = scope.keys(narrow.column(unit_column), contract.returns.unit_level)
        keys = pc.if_else(pa.array(current, pa.bool_()), keys, pa.scalar(None, pa.string()))
        plan = next(iter(by_unit.values()))
        delivered = plan.project(narrow)
        quasi = delivered.select([c for c in plan.quasi_identifiers if c in delivered.column_names])
        sensitive = (
            delivered.column(plan.sensitive)
            if plan.sensitive and plan.sensitive in delivered.column_names
            else None
        )
        lifted = frozenset(u for u, p in by_unit.items() if p.grant.id in released)
        tiers_out.append(
            (scope, by_unit, assess(quasi, keys, plan.guard, sensitive=sensitive, released=lifted))
        )
    return current, tiers_out


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

    Returns:
        One outcome per plan, in plan order.
    """
    current, assessed = assess_units(snapshot, contract, plans, levels, released)
    ids = {p.grant.id: new_id() for p in plans}
    opened: dict[str, _Open] = {}
    verdicts = {
        p.grant.id: assessment.units.get(p.grant.unit_code)
        for _, by_unit, assessment in assessed
        for p in by_unit.values()
    }
    try:
        _stream(snapshot, contract, assessed, current, verdicts, opened, ids, open_writer, fingerprint_key)
    except BaseException:
        for state in opened.values():
            state.writer.discard()
        raise
    outcomes = []
    for plan in plans:
        verdict = verdicts.get(plan.grant.id)
        state = opened.get(plan.grant.id)
        outcome = UnitDelivery(
            plan=plan,
            delivery_id=ids[plan.grant.id],
            status=DeliveryStatus.HELD if verdict is not None and verdict.held else DeliveryStatus.EMPTY,
            rows=0,
            verdict=verdict,
        )
        if state is not None:
            content = state.digest.hexdigest()
            if content == previous_content(plan):
                state.writer.discard()
                outcome = replace(
                    outcome, status=DeliveryStatus.UNCHANGED, rows=state.rows, content_sha256=content
                )
            else:
                folder, manifest = state.writer.publish()
                outcome = replace(
                    outcome,
                    status=DeliveryStatus.DELIVERED,
                    rows=state.rows,
                    content_sha256=content,
                    outbox_path=folder,
                    manifest_sha256=manifest,
                )
        outcomes.append(outcome)
    return outcomes


def _stream(
    snapshot: CuratedSnapshot,
    contract: DatasetContract,
    assessed: list[tuple[TierScope, dict[str, ExtractPlan], GuardAssessment]],
    current: np.ndarray,
    verdicts: dict[str, UnitVerdict | None],
    opened: dict[str, _Open],
    ids: dict[str, str],
    open_writer: OpenWriter,
    fingerprint_key: bytes,
) -> None:
    """The second pass: every row once, each batch partitioned by unit and written to its delivery."""
    returns = contract.returns
    if returns is None:
        raise ValueError(f"dataset {contract.name} has no returns section")
    key_columns = list(contract.schema_.primary_key)
    offset = 0
    for batch in snapshot.record_batches():
        rows = pa.Table.from_batches([batch])
        size = rows.num_rows
        printed: pa.Array | None = None  # the batch's fingerprints, computed once for every unit
        for scope, by_unit, assessment in assessed:
            keys = scope.keys(rows.column(returns.unit_column), returns.unit_level)
            keep = assessment.keep[offset : offset + size] & current[offset : offset + size]
            for unit, positions in partition(keys, keep):
                plan = by_unit[unit]
                verdict = verdicts[plan.grant.id]
                taken = pa.array(positions)
                mine = rows.take(taken)
                delivered = generalise(plan.project(mine), verdict.steps if verdict else 0, plan.guard)
                state = opened.get(plan.grant.id)
                if state is None:
                    opening = ExtractOpening(
                        plan=plan,
                        delivery_id=ids[plan.grant.id],
                        schema=delivered.schema,
                        verdict=verdict,
                        snapshot_id=snapshot.snapshot_id or 0,
                        snapshot_committed_at=snapshot.committed_at,
                    )
                    state = opened[plan.grant.id] = _Open(open_writer(opening))
                if printed is None:
                    printed = fingerprint(rows.select(key_columns), fingerprint_key)
                state.writer.write(delivered, printed.take(taken))
                for record_batch in delivered.to_batches():
                    state.digest.update(record_batch.serialize())
                state.rows += delivered.num_rows
        offset += size
