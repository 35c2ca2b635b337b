"""The curated and quarantine zones: their schemas and how a batch's rows are written to them.

``curated.<dataset>`` has the landing columns. ``quarantine.<dataset>`` adds, per row, a stable
quarantine id, the failed rules, the failures with their offending values (JSON), whether the
whole batch was held, and when. Both are written with the landing zone's staged writer, keyed by
the batch id, so re-running the gate on a batch replaces its rows instead of adding to them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts.model import DatasetContract
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import conform, landing_schema
from huiliu.lake.writer import CommittedBatch, StagedBatchWriter
from huiliu.quality.failure_reasons import Reason, explains, reasons_for
from huiliu.quality.verdict import RuleResult, Verdict
from huiliu.settings import Settings

HELD_RULE = "huiliu_batch_held"
PII_REJECTED_RULE = "huiliu_pii_rejected"
QUARANTINE_FIELDS = (
    pa.field("_quarantine_id", pa.string()),
    pa.field("_failed_rules", pa.string()),
    pa.field("_failures", pa.string()),
    pa.field("_held", pa.bool_()),
    pa.field("_quarantined_at", pa.timestamp("us", tz="UTC")),
)


class Failure(TypedDict):
    """One rule a quarantined row failed, as ``_failures`` lists them (JSON): the rule, its severity
    and the row's values of the rule's columns, as text; for a rule that can say why
    (:mod:`huiliu.quality.failure_reasons`), the reason's code and what to do (zh-CN, English)."""

    rule: str
    severity: str
    values: dict[str, str | None]
    reason: NotRequired[str]
    message: NotRequired[str]
    message_en: NotRequired[str]


def curated_schema(contract: DatasetContract) -> pa.Schema:
    return landing_schema(contract)


def quarantine_schema(contract: DatasetContract) -> pa.Schema:
    return pa.schema([*landing_schema(contract), *QUARANTINE_FIELDS])


def key_strings(rows: pa.Table, key: Sequence[str]) -> list[str]:
    """The primary key of each row as text (several key columns joined with ``/``)."""
    columns = [rows.column(k).to_pylist() for k in key]
    return ["/".join("" if v is None else str(v) for v in values) for values in zip(*columns, strict=True)]


def key_text(rows: pa.Table, key: Sequence[str]) -> pa.Array:
    """Each row's primary key as one Arrow string (as ``key_strings``, vectorised, to match keys
    of large tables against each other; its text of dates and times is Arrow's)."""
    parts = [pc.fill_null(pc.cast(rows.column(k), pa.string()), "") for k in key]
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "/")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def row_order(keys: pa.Table, key: Sequence[str], order: str | None) -> pa.Array:
    """Batch positions sorted by primary key, then the order column, then position."""
    sort_keys = [(k, "ascending") for k in key] + ([(order, "ascending")] if order else [])
    table = keys.append_column("__position", pa.array(np.arange(keys.num_rows)))
    return pc.sort_indices(table, sort_keys=[*sort_keys, ("__position", "ascending")])


def ranks_of(order_of_rows: pa.Array) -> npt.NDArray[np.int64]:
    """Each position's rank in ``order_of_rows`` (the inverse permutation)."""
    ranks = np.empty(len(order_of_rows), dtype=np.int64)
    ranks[order_of_rows.to_numpy()] = np.arange(len(order_of_rows))
    return ranks


def row_ranks(keys: pa.Table, key: Sequence[str], order: str | None) -> npt.NDArray[np.int64]:
    """Each row's rank in the batch sorted by primary key (then the order column, then position).

    Quarantine ids are built from it: stable across re-runs of the gate and re-deliveries of the
    same rows, whatever the verdict, and free of the key's own (often personal) values.
    """
    return ranks_of(row_order(keys, key, order))


def quarantine_ids(batch_id: str, ranks: npt.NDArray[np.int64], taken: Collection[str] = ()) -> list[str]:
    """``<batch id>#<rank>`` for each row; ``<batch id>#<rank>-<n>`` (the first free ``n``) where
    that id is ``taken`` by a decided row of an earlier delivery of the batch."""
    ids = [f"{batch_id}#{rank}" for rank in ranks.tolist()]
    if not taken:
        return ids
    used = set(taken)
    for i, qid in enumerate(ids):
        if qid in used:
            n = 1
            while f"{qid}-{n}" in used:
                n += 1
            ids[i] = f"{qid}-{n}"
        used.add(ids[i])
    return ids


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _failures(
    rows: pa.Table, positions: npt.NDArray[np.int64], verdict: Verdict, rules: Sequence[RuleResult]
) -> tuple[list[str], list[str]]:
    """Per quarantined row: the failed rules joined, and a JSON list of failures with values.

    Only rows that failed a rule are described one by one; the other rows of a held batch share
    one description, so holding a large batch does not cost a JSON document per row."""
    held: list[Failure] = [{"rule": HELD_RULE, "severity": "critical", "values": {}}] if verdict.held else []
    names = ["; ".join(e["rule"] for e in held)] * len(positions)
    details = [json.dumps(held, ensure_ascii=False)] * len(positions)
    failing = [i for i, position in enumerate(positions.tolist()) if position in verdict.failures_by_row]
    if not failing:
        return names, details
    subset = rows.take(pa.array(failing, pa.int64()))
    values = {c: subset.column(c).to_pylist() for c in {c for r in rules for c in r.columns}}
    failed = [verdict.failures_by_row[int(positions[i])] for i in failing]
    reasons = _reasons(rules, failed, values)
    for j, i in enumerate(failing):
        entries: list[Failure] = []
        for r in failed[j]:
            entry: Failure = {
                "rule": rules[r].rule,
                "severity": rules[r].severity,
                "values": {c: _text(values[c][j]) for c in rules[r].columns},
            }
            reason = reasons.get((r, j))
            if reason is not None:
                entry["reason"], entry["message"], entry["message_en"] = (
                    reason.code,
                    reason.message,
                    reason.message_en,
                )
            entries.append(entry)
        names[i] = "; ".join(e["rule"] for e in entries)
        details[i] = json.dumps(entries, ensure_ascii=False)
    return names, details


def _reasons(
    rules: Sequence[RuleResult], failed: Sequence[Sequence[int]], values: dict[str, list[Any]]
) -> dict[tuple[int, int], Reason]:
    """(rule, failing row) → why the row's value fails the rule, for the rules that can say."""
    out: dict[tuple[int, int], Reason] = {}
    for r, rule in enumerate(rules):
        if not explains(rule.type) or len(rule.columns) != 1:
            continue
        at = [j for j, of_row in enumerate(failed) if r in of_row]
        column = values[rule.columns[0]]
        found = reasons_for(rule.type, rule.kwargs, [column[j] for j in at])
        out.update(((r, j), reason) for j, reason in zip(at, found, strict=True) if reason is not None)
    return out


def quarantine_rows(
    contract: DatasetContract,
    rows: pa.Table,
    positions: npt.NDArray[np.int64],
    ranks: npt.NDArray[np.int64],
    batch_id: str,
    verdict: Verdict,
    taken: Collection[str] = (),
) -> pa.Table:
    """Quarantined ``rows`` (at ``positions`` in the batch) with their reasons, in the quarantine
    schema; ids in ``taken`` (decided rows carried over) are not given again."""
    names, details = _failures(rows, positions, verdict, verdict.rules)
    ids = quarantine_ids(batch_id, ranks[positions], taken)
    now = datetime.now(UTC)
    extra = {
        "_quarantine_id": pa.array(ids, pa.string()),
        "_failed_rules": pa.array(names, pa.string()),
        "_failures": pa.array(details, pa.string()),
        "_held": pa.array(np.full(len(positions), verdict.held), pa.bool_()),
        "_quarantined_at": pa.array([now] * len(positions), pa.timestamp("us", tz="UTC")),
    }
    base = conform(rows, landing_schema(contract))
    for name, array in extra.items():
        base = base.append_column(name, array)
    return base


def write_zone(
    identifier: str,
    schema: pa.Schema,
    batch_id: str,
    rows: pa.Table,
    settings: Settings,
    summary: dict[str, str],
) -> CommittedBatch:
    """Replace ``batch_id``'s rows of a zone table with ``rows`` in one Iceberg commit."""
    with StagedBatchWriter(lake_table(identifier, schema, settings), batch_id, schema) as writer:
        writer.write_file(rows)
        return writer.commit(summary)
