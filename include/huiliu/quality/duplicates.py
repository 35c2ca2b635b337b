"""Rows of one batch that share a primary key, resolved by the contract's duplicate rule."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts.model import DuplicateRule
from huiliu.sql_identifiers import quote_identifier

DUPLICATE_RULE = "huiliu_primary_key_is_unique"


@dataclass(frozen=True)
class DuplicateResolution:
    """Which rows lose to a duplicate, and how many keys were duplicated."""

    losers: npt.NDArray[np.int64]  # positions in the batch, ascending
    duplicated_keys: int
    rule: DuplicateRule

    @property
    def detail(self) -> str:
        if self.rule is DuplicateRule.LATEST_WINS:
            return "an older or repeated row of a primary key that also has a newer row in this batch"
        return "one of several rows with the same primary key in this batch (the contract quarantines all)"


def _same_as_previous(column: pa.ChunkedArray, sorted_rows: pa.Array) -> pa.ChunkedArray:
    """For each row in key order but the first, whether its value equals the row's before it."""
    ordered = column.take(sorted_rows)
    after, before = ordered.slice(1), ordered.slice(0, len(ordered) - 1)
    equal = pc.equal(after, before)
    if pa.types.is_floating(column.type):  # NaN keys repeat as SQL sees them
        equal = pc.or_kleene(equal, pc.and_kleene(pc.is_nan(after), pc.is_nan(before)))
    return equal


def repeats_a_key(keys: pa.Table, sorted_rows: pa.Array) -> bool:
    """Whether two rows share a (non-null) key, given the rows' positions sorted by key."""
    if keys.num_rows < 2:
        return False
    same = reduce(pc.and_kleene, (_same_as_previous(column, sorted_rows) for column in keys.columns))
    return bool(pc.any(same.fill_null(False)).as_py())


def resolve_duplicates(
    keys: pa.Table,
    order: pa.ChunkedArray | None,
    rule: DuplicateRule,
    sorted_rows: pa.Array | None = None,
) -> DuplicateResolution:
    """Find the rows to quarantine among rows sharing a (non-null) primary key.

    Args:
        keys: the primary key columns of the batch, in batch order.
        order: the column that says which row is the latest (newest value wins); ties and a
            missing column keep the first row in batch order.
        rule: latest_wins quarantines all but the winner; quarantine_all quarantines every row.
        sorted_rows: the batch's positions sorted by key (``zones.row_order``), when the caller
            has them; a batch whose keys do not repeat is then recognised without a search.
    """
    if sorted_rows is None:
        sorted_rows = pc.sort_indices(keys, sort_keys=[(n, "ascending") for n in keys.column_names])
    if not repeats_a_key(keys, sorted_rows):
        return DuplicateResolution(np.empty(0, dtype=np.int64), 0, rule)
    names = [f"k{i}" for i in range(keys.num_columns)]
    frame = pa.table(
        {**{n: keys.column(i) for i, n in enumerate(names)}, "pos": pa.array(np.arange(keys.num_rows))}
    )
    order_sql = "pos"
    if order is not None:
        frame = frame.append_column("ord", order)
        order_sql = "ord DESC NULLS LAST, pos"
    partition = ", ".join(quote_identifier(n) for n in names)
    not_null = " AND ".join(f"{quote_identifier(n)} IS NOT NULL" for n in names)
    losing = "cnt > 1 AND rn > 1" if rule is DuplicateRule.LATEST_WINS else "cnt > 1"
    sql = f"""
        WITH ranked AS (
            SELECT pos, {partition},
                   row_number() OVER (PARTITION BY {partition} ORDER BY {order_sql}) AS rn,
                   count(*) OVER (PARTITION BY {partition}) AS cnt
            FROM frame WHERE {not_null}
        )
        SELECT pos, rn FROM ranked WHERE cnt > 1 AND ({losing}) ORDER BY pos
    """
    with duckdb.connect() as conn:
        conn.register("frame", frame)
        result = conn.sql(sql).to_arrow_table()
        grouped = f"SELECT 1 FROM frame WHERE {not_null} GROUP BY {partition} HAVING count(*) > 1"
        keys_hit = conn.execute(f"SELECT count(*) FROM ({grouped})").fetchone()
    losers = result.column("pos").to_numpy().astype(np.int64)
    return DuplicateResolution(losers, int(keys_hit[0]) if keys_hit else 0, rule)
