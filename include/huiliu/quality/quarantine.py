"""Review quarantined rows; release corrected ones into curated (re-validated) or discard them.

Quarantined rows stay in ``quarantine.<dataset>`` as evidence; a decision is a row in the
governance store (who, when, why, what was changed) plus a lineage run. A released row is written
to ``curated.<dataset>`` under its own release batch id, so re-running the gate on the original
batch never removes it, and a decided row is not offered for review again.

A release is recorded (``releasing``) before its curated commit and marked ``released`` after it.
Until then readers of curated leave its batch out (``curated_row_filter``) and the rows stay pending
in quarantine, so no reader sees a row in both zones or in neither. An interrupted release is
settled by the next release, discard or gate run of the dataset: rolled forward when its rows
reached curated, rolled back (the rows pending again) when they did not.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.expressions import AlwaysTrue, And, BooleanExpression
from pyiceberg.table import Table

from huiliu import faults
from huiliu.contracts.arrow import arrow_type
from huiliu.contracts.model import DatasetContract
from huiliu.errors import LakeError, QuarantineError
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import conform, landing_schema
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import output_statistics_facet
from huiliu.lineage.naming import job_name, lake_dataset
from huiliu.quality import records, zones
from huiliu.quality.batch_stream import data_frame
from huiliu.quality.records import QuarantineState
from huiliu.quality.row_filters import column_equals, column_in
from huiliu.quality.suites import load_checked_suite
from huiliu.quality.validation import SuiteRunner
from huiliu.quality.verdict import combine, decide
from huiliu.quality.zones import Failure
from huiliu.settings import Settings, get_settings
from huiliu.store.leases import dataset_lease
from huiliu.store.models import QuarantineAction

META = ("_batch_id", "_ingested_at", "_source", *(f.name for f in zones.QUARANTINE_FIELDS))


class FailureSummary(TypedDict):
    """A failure without the row's values: the rule, the columns it looked at and, where the rule
    can say, why the value failed (a code and what to do; no value is quoted)."""

    rule: str
    columns: list[str]
    reason: NotRequired[str]
    message: NotRequired[str]
    message_en: NotRequired[str]


def _summary(failure: Failure) -> FailureSummary:
    summary = FailureSummary(rule=failure["rule"], columns=sorted(failure.get("values", {})))
    for key in ("reason", "message", "message_en"):
        if key in failure:
            summary[key] = failure[key]
    return summary


class QuarantinedRowRecord(TypedDict):
    """A quarantined row as ``huiliu quarantine list|show`` prints it; ``values`` only when asked for
    (personal data), and then ``failures`` with their values too."""

    quarantine_id: str
    batch_id: str
    state: QuarantineState
    held: bool
    failed_rules: str
    quarantined_at: str | None
    failures: list[Failure] | list[FailureSummary]
    values: NotRequired[dict[str, str | None]]


@dataclass(frozen=True)
class QuarantinedRow:
    """One quarantined row and its review state."""

    quarantine_id: str
    batch_id: str
    failed_rules: str
    failures: list[Failure]
    held: bool
    quarantined_at: datetime | None
    values: dict[str, Any] = field(repr=False)
    state: QuarantineState = QuarantineState.PENDING

    def as_dict(self, with_values: bool = False) -> QuarantinedRowRecord:
        failures: list[Failure] | list[FailureSummary] = (
            self.failures if with_values else [_summary(f) for f in self.failures]
        )
        body: QuarantinedRowRecord = {
            "quarantine_id": self.quarantine_id,
            "batch_id": self.batch_id,
            "state": self.state,
            "held": self.held,
            "failed_rules": self.failed_rules,
            "quarantined_at": self.quarantined_at.isoformat() if self.quarantined_at else None,
            "failures": failures,
        }
        if with_values:
            body["values"] = {k: None if v is None else str(v) for k, v in self.values.items()}
        return body


@dataclass(frozen=True)
class ReleaseOutcome:
    """What a release did: rows now in curated, and rows that still fail (with their rules)."""

    released: list[str]
    still_failing: dict[str, list[str]]
    release_batch_id: str | None


def _table(contract: DatasetContract, settings: Settings | None) -> Table | None:
    try:
        return lake_table(contract.quarantine_table, settings=settings)
    except LakeError:
        return None


def read_quarantine(
    contract: DatasetContract,
    *,
    batch_id: str | None = None,
    ids: list[str] | None = None,
    settings: Settings | None = None,
) -> pa.Table:
    """Quarantined rows of a dataset, optionally of one batch or with the given quarantine ids."""
    table = _table(contract, settings)
    if table is None:
        return zones.quarantine_schema(contract).empty_table()
    row_filter: BooleanExpression = AlwaysTrue()
    if batch_id is not None:
        row_filter = column_equals("_batch_id", batch_id)
    if ids:
        row_filter = column_in("_quarantine_id", set(ids))
    return table.scan(row_filter=row_filter).to_arrow()


def _rows(
    contract: DatasetContract, table: pa.Table, decided: Mapping[str, QuarantineState]
) -> list[QuarantinedRow]:
    data = [c.name for c in contract.columns]
    out = []
    for item in table.to_pylist():
        qid = item["_quarantine_id"]
        out.append(
            QuarantinedRow(
                quarantine_id=qid,
                batch_id=item["_batch_id"],
                failed_rules=item["_failed_rules"] or "",
                failures=json.loads(item["_failures"] or "[]"),
                held=bool(item["_held"]),
                quarantined_at=item["_quarantined_at"],
                values={c: item.get(c) for c in data},
                state=decided.get(qid, QuarantineState.PENDING),
            )
        )
    return out


def list_rows(
    contract: DatasetContract,
    *,
    batch_id: str | None = None,
    state: str | None = QuarantineState.PENDING,
    settings: Settings | None = None,
) -> list[QuarantinedRow]:
    """Quarantined rows in a state (a ``QuarantineState`` or its name); ``state=None`` for all.

    Raises:
        QuarantineError: an unknown state, or a batch id with no quarantined rows.
    """
    wanted = None if state is None else _state(state)
    rows = _rows(
        contract,
        read_quarantine(contract, batch_id=batch_id, settings=settings),
        records.decided_ids(contract.name),
    )
    if batch_id is not None and not rows:
        raise QuarantineError(
            f"dataset {contract.name}: no quarantined rows of batch {batch_id!r}; the batches gated are "
            f"listed by `huiliu quality batches {contract.name}`"
        )
    return [r for r in rows if wanted is None or r.state == wanted]


def _state(name: str) -> QuarantineState:
    try:
        return QuarantineState(name)
    except ValueError:
        raise QuarantineError(
            f"unknown state {name!r}: use one of {', '.join(QuarantineState)} or all"
        ) from None


def show_row(
    contract: DatasetContract, quarantine_id: str, settings: Settings | None = None
) -> QuarantinedRow:
    rows = _rows(
        contract,
        read_quarantine(contract, ids=[quarantine_id], settings=settings),
        records.decided_ids(contract.name),
    )
    if not rows:
        raise QuarantineError(
            f"dataset {contract.name}: no quarantined row {quarantine_id!r}; list them with "
            f"`huiliu quarantine list {contract.name}`"
        )
    return rows[0]


def _pending(contract: DatasetContract, ids: list[str], settings: Settings | None) -> pa.Table:
    if not ids:
        raise QuarantineError("name at least one quarantine id")
    table = read_quarantine(contract, ids=ids, settings=settings)
    found = set(table.column("_quarantine_id").to_pylist())
    missing = [i for i in ids if i not in found]
    if missing:
        raise QuarantineError(
            f"dataset {contract.name}: no quarantined row(s) {', '.join(missing)}; list them with "
            f"`huiliu quarantine list {contract.name}`"
        )
    decided = records.decided_ids(contract.name)
    done = [f"{i} ({decided[i]})" for i in ids if i in decided]
    if done:
        raise QuarantineError(f"dataset {contract.name}: already decided: {', '.join(done)}")
    return table


_FORMATS = {
    "date": "write it as YYYY-MM-DD, e.g. 1990-03-07",
    "timestamp": "write it as YYYY-MM-DD HH:MM:SS in Beijing time, without an offset",
    "integer": "write a whole number",
    "float": "write a number",
    "decimal": "write a number",
    "boolean": "write true or false",
}


def _apply_changes(contract: DatasetContract, rows: pa.Table, changes: dict[str, str | None]) -> pa.Table:
    """Set corrected values (given as text) on every row, cast to the contract's column types."""
    for column, text in changes.items():
        if column not in {c.name for c in contract.columns}:
            raise QuarantineError(f"dataset {contract.name} has no column {column!r} to correct")
        spec = contract.schema_.column(column)
        try:
            value = pa.array([text] * rows.num_rows, pa.string()).cast(arrow_type(spec))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hint = _FORMATS.get(spec.type.split("(")[0], "check the value")
            raise QuarantineError(
                f"--set {column}: the value given is not a valid {spec.type}; {hint}"
            ) from None
        rows = rows.set_column(
            rows.schema.get_field_index(column), column, value.cast(rows.schema.field(column).type)
        )
    return rows


def _revalidate(contract: DatasetContract, rows: pa.Table, settings: Settings) -> dict[str, list[str]]:
    """Run the suite over corrected rows; return the ids that still fail, with their rules."""
    from huiliu.quality.gate import run_parameters

    runner = SuiteRunner(load_checked_suite(contract, settings), contract.name)
    parameters = run_parameters(contract, datetime.now(UTC), settings)
    outcomes = runner.validate(data_frame(contract, rows, 0), parameters, "release")
    verdict = decide(combine([outcomes], parameters), rows.num_rows, 1.0)
    ids = rows.column("_quarantine_id").to_pylist()
    return {ids[p]: [verdict.rules[r].rule for r in rules] for p, rules in verdict.failures_by_row.items()}


def _action(
    contract: DatasetContract,
    qid: str,
    batch: str,
    action: QuarantineState,
    actor: str,
    reason: str,
    **extra: Any,
) -> QuarantineAction:
    return QuarantineAction(
        dataset=contract.name,
        quarantine_id=qid,
        batch_id=batch,
        action=action,
        actor=actor,
        reason=reason,
        **extra,
    )


def _keys_in_curated(
    contract: DatasetContract, rows: pa.Table, settings: Settings, ignore_batch: str | None = None
) -> set[str]:
    """Primary keys of ``rows`` that curated already holds (a kept duplicate, or an earlier release),
    leaving out rows of ``ignore_batch`` (a release being retried replaces its own rows)."""
    try:
        table = lake_table(contract.curated_table, settings=settings)
    except LakeError:
        return set()
    key = contract.schema_.primary_key
    values = {v for v in rows.column(key[0]).to_pylist() if v is not None}
    if not values:
        return set()
    settled = records.curated_row_filter(contract.name)
    scan = table.scan(row_filter=And(column_in(key[0], values), settled), selected_fields=(*key, "_batch_id"))
    found = scan.to_arrow()
    if ignore_batch is not None:
        found = found.filter(pc.not_equal(found.column("_batch_id"), ignore_batch))
    return set(zones.key_strings(rows, key)) & set(zones.key_strings(found, key))


def _still_failing(contract: DatasetContract, rows: pa.Table, settings: Settings) -> dict[str, list[str]]:
    """Rows that fail the suite again, share their key with another row being released, or whose
    key curated already holds (other than through this very release, when it is retried)."""
    failing = _revalidate(contract, rows, settings)
    ids = rows.column("_quarantine_id").to_pylist()
    for qid, rules in zip(ids, rows.column("_failed_rules").to_pylist(), strict=True):
        if zones.PII_REJECTED_RULE in (rules or ""):
            failing.setdefault(qid, []).append(
                f"{zones.PII_REJECTED_RULE}: a compliance officer rejected this batch's personal "
                "information; it cannot be released row by row: fix the contract or the source, land again"
            )
    keys = zones.key_strings(rows, contract.schema_.primary_key)
    shared = Counter(key for qid, key in zip(ids, keys, strict=True) if qid not in failing)
    taken = _keys_in_curated(
        contract, rows, settings, release_batch_id(contract, [i for i in ids if i not in failing])
    )
    for qid, key in zip(ids, keys, strict=True):
        if qid not in failing and shared[key] > 1:
            failing.setdefault(qid, []).append(
                f"huiliu_primary_key_is_unique: {shared[key]} of the rows being released share this key; "
                "release one of them and discard the others"
            )
        elif key in taken:
            failing.setdefault(qid, []).append(
                "huiliu_primary_key_is_unique: curated already holds this key; correct the key or discard"
            )
    return failing


def release_batch_id(contract: DatasetContract, ids: list[str]) -> str:
    """Derived from the rows released, so a retried release replaces its own earlier commit."""
    digest = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]
    return f"{contract.name}:release-{digest}"


def _write_release(
    contract: DatasetContract,
    good: pa.Table,
    batch: str,
    actor: str,
    settings: Settings,
    emitter: LineageEmitter,
) -> None:
    with track_run(
        emitter,
        job=job_name(contract.name, "quarantine_release", pipeline="quality"),
        namespace=settings.lineage_namespace,
        inputs=[lake_dataset(contract.quarantine_table, settings)],
    ) as run:
        schema = landing_schema(contract)
        rows = conform(good, schema).set_column(
            schema.get_field_index("_batch_id"), "_batch_id", pa.array([batch] * good.num_rows, pa.string())
        )
        committed = zones.write_zone(
            contract.curated_table, schema, batch, rows, settings, {"huiliu.release-by": actor}
        )
        run.add_output(
            lake_dataset(contract.curated_table, settings).with_facets(
                outputStatistics=output_statistics_facet(committed.rows, committed.bytes)
            )
        )


def release(
    contract: DatasetContract,
    ids: list[str],
    *,
    actor: str,
    reason: str,
    changes: dict[str, str | None] | None = None,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
) -> ReleaseOutcome:
    """Correct (optionally) and re-validate quarantined rows; write those that pass to curated.

    Rows that still fail (the suite, or a key curated already holds) stay pending; the outcome names
    why. The governance store records which columns were corrected, never the values (they are in
    curated).
    """
    settings = settings or get_settings()
    _require(actor, reason)
    with dataset_lease(contract.name, "releasing"):
        return _release_leased(contract, ids, actor, reason, changes, settings, emitter)


def _release_leased(
    contract: DatasetContract,
    ids: list[str],
    actor: str,
    reason: str,
    changes: dict[str, str | None] | None,
    settings: Settings,
    emitter: LineageEmitter | None,
) -> ReleaseOutcome:
    settle_releases(contract, settings)
    rows = _apply_changes(contract, _pending(contract, ids, settings), changes or {})
    failing = _still_failing(contract, rows, settings)
    good = rows.filter(
        pc.invert(pc.is_in(rows.column("_quarantine_id"), pa.array(list(failing), pa.string())))
    )
    if good.num_rows == 0:
        return ReleaseOutcome([], failing, None)
    released = good.column("_quarantine_id").to_pylist()
    batch = release_batch_id(contract, released)
    origins = dict(
        zip(good.column("_quarantine_id").to_pylist(), good.column("_batch_id").to_pylist(), strict=True)
    )
    corrected = {"columns": sorted(changes or {})}
    records.begin_release(
        _action(
            contract,
            qid,
            origins[qid],
            QuarantineState.RELEASED,
            actor,
            reason,
            changes=corrected,
            release_batch_id=batch,
        )
        for qid in released
    )
    faults.crash_point("release.recorded")
    _write_release(contract, good, batch, actor, settings, emitter or LineageEmitter())
    faults.crash_point("release.curated_committed")
    records.finish_release(contract.name, batch)
    return ReleaseOutcome(released, failing, batch)


def discard(
    contract: DatasetContract,
    ids: list[str],
    *,
    actor: str,
    reason: str,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
) -> list[str]:
    """Record that quarantined rows will never be returned (they stay in quarantine as evidence)."""
    settings = settings or get_settings()
    _require(actor, reason)
    with dataset_lease(contract.name, "discarding"):
        settle_releases(contract, settings)
        rows = _pending(contract, ids, settings)
        return _record_discard(contract, rows, actor, reason, settings, emitter)


def _record_discard(
    contract: DatasetContract,
    rows: pa.Table,
    actor: str,
    reason: str,
    settings: Settings,
    emitter: LineageEmitter | None,
) -> list[str]:
    with track_run(
        emitter or LineageEmitter(),
        job=job_name(contract.name, "quarantine_discard", pipeline="quality"),
        namespace=settings.lineage_namespace,
        inputs=[lake_dataset(contract.quarantine_table, settings)],
    ):
        pairs = list(
            zip(rows.column("_quarantine_id").to_pylist(), rows.column("_batch_id").to_pylist(), strict=True)
        )
        records.record_actions(
            _action(contract, qid, batch, QuarantineState.DISCARDED, actor, reason) for qid, batch in pairs
        )
    return [qid for qid, _ in pairs]


def settle_releases(contract: DatasetContract, settings: Settings | None = None) -> list[str]:
    """Settle the dataset's interrupted releases; return the release batch ids rolled back.

    A release whose rows reached curated is marked released; one whose rows did not is dropped,
    and its rows are pending in quarantine again.
    """
    in_flight = records.releases_in_flight(contract.name)
    if not in_flight:
        return []
    try:
        table = lake_table(contract.curated_table, settings=settings)
    except LakeError:
        table = None
    rolled_back = []
    for batch in sorted(in_flight):
        scan = None if table is None else table.scan(row_filter=column_equals("_batch_id", batch))
        if scan is not None and next(iter(scan.plan_files()), None) is not None:
            records.finish_release(contract.name, batch)
        else:
            records.drop_release(contract.name, batch)
            rolled_back.append(batch)
    return rolled_back


def _require(actor: str, reason: str) -> None:
    if not actor.strip():
        raise QuarantineError("say who decides (--by NAME)")
    if len(reason.strip()) < 4:
        raise QuarantineError("give a reason of at least a few words (--reason '...'); it is kept for audit")
