"""Routing helpers of the zones: kept rows as zero-copy slices, and each row's rank by key."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from huiliu.quality import zones


def _rows(count: int, chunk: int | None = None) -> pa.Table:
    table = pa.table(
        {
            "n": pa.array(np.arange(count, dtype=np.int64)),
            "name": pa.array([f"row{i}" if i % 5 else None for i in range(count)], pa.string()),
        }
    )
    if chunk:
        table = pa.Table.from_batches(table.to_batches(max_chunksize=chunk))
    return table


def _masks(count: int) -> dict[str, np.ndarray]:
    masks = {
        "all kept": np.ones(count, dtype=bool),
        "all dropped": np.zeros(count, dtype=bool),
        "first dropped": np.arange(count) != 0,
        "last dropped": np.arange(count) != count - 1,
        "first and last dropped": (np.arange(count) != 0) & (np.arange(count) != count - 1),
        "every other dropped": np.arange(count) % 2 == 1,
        "one row kept": np.arange(count) == count // 2,
    }
    for seed in range(4):
        rng = np.random.default_rng(seed)
        masks[f"random {seed}"] = rng.random(count) < rng.uniform(0.1, 0.9)
    return masks


@pytest.mark.parametrize("limit", [3, zones.MAX_KEPT_SLICES], ids=["filtered", "sliced"])
@pytest.mark.parametrize("chunk", [None, 7], ids=["one chunk", "chunks of 7"])
def test_kept_rows_are_the_rows_a_filter_keeps_in_order(
    limit: int, chunk: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zones, "MAX_KEPT_SLICES", limit)
    rows = _rows(40, chunk)
    for name, keep in _masks(40).items():
        kept = zones.kept_rows(rows, keep)
        assert kept.schema == rows.schema, name
        assert kept.equals(rows.filter(pa.array(keep))), name


def test_kept_rows_of_an_empty_table_is_empty() -> None:
    rows = _rows(0)
    assert zones.kept_rows(rows, np.ones(0, dtype=bool)).num_rows == 0


def test_kept_rows_is_the_table_itself_when_nothing_is_dropped() -> None:
    rows = _rows(10)
    assert zones.kept_rows(rows, np.ones(10, dtype=bool)) is rows


def test_kept_rows_with_all_rows_dropped_keeps_the_schema() -> None:
    rows = _rows(10)
    kept = zones.kept_rows(rows, np.zeros(10, dtype=bool))
    assert kept.num_rows == 0 and kept.schema == rows.schema


def _data_range(table: pa.Table) -> tuple[int, int]:
    buffer = table.column("n").chunk(0).buffers()[1]
    return buffer.address, buffer.address + buffer.size


def test_kept_rows_share_the_data_of_the_table_while_few_rows_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zones, "MAX_KEPT_SLICES", 3)
    rows = _rows(100)
    low, high = _data_range(rows)
    few = np.ones(100, dtype=bool)
    few[[10, 50, 51]] = False

    kept = zones.kept_rows(rows, few)

    assert kept.column("n").to_pylist() == [i for i in range(100) if i not in (10, 50, 51)]
    for piece in kept.column("n").chunks:
        assert low <= piece.buffers()[1].address < high  # a view of the table's own values


def test_kept_rows_past_the_slice_limit_is_one_chunk_per_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zones, "MAX_KEPT_SLICES", 3)
    rows = _rows(100)
    many = np.arange(100) % 10 != 0  # ten rows dropped: more than the limit

    kept = zones.kept_rows(rows, many)

    assert kept.column("n").to_pylist() == [i for i in range(100) if i % 10]
    assert kept.column("n").num_chunks == 1


def test_ranks_of_is_the_inverse_of_a_sort_order() -> None:
    order = pa.array([2, 0, 3, 1], pa.uint64())
    ranks = zones.ranks_of(order)
    assert ranks.tolist() == [1, 3, 0, 2]
    assert ranks[order.to_numpy()].tolist() == [0, 1, 2, 3]


def _keys(ids: list[str | None], updated: list[int | None]) -> pa.Table:
    return pa.table({"id": pa.array(ids, pa.string()), "updated_at": pa.array(updated, pa.int64())})


def _ranks_by_key_only(keys: pa.Table, key: list[str]) -> np.ndarray:
    return zones.ranks_of(pc.sort_indices(keys, sort_keys=[(k, "ascending") for k in key]))


@pytest.mark.parametrize("seed", range(3))
def test_distinct_keys_rank_the_same_by_key_alone_as_by_key_order_and_position(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"{n:08d}" for n in rng.choice(10**6, size=500, replace=False)]
    keys = _keys(ids, rng.integers(0, 5, size=500).tolist())

    ranks = _ranks_by_key_only(keys, ["id"])

    assert ranks.tolist() == zones.row_ranks(keys, ["id"], "updated_at").tolist()
    assert ranks.tolist() == zones.row_ranks(keys, ["id"], None).tolist()
    assert sorted(ranks.tolist()) == list(range(500))
    assert [ids[i] for i in np.argsort(ranks)] == sorted(ids)


def test_repeated_and_null_keys_are_ranked_by_order_column_then_position() -> None:
    keys = _keys(
        ["b", None, "a", "a", None, "a", None],
        [1, 5, 3, 2, 4, 2, 4],
    )

    ranks = zones.row_ranks(keys, ["id"], "updated_at")

    # a@2 (pos 3), a@2 (pos 5), a@3 (pos 2), b, then the null keys: @4 (pos 4), @4 (pos 6), @5 (pos 1)
    assert ranks.tolist() == [3, 6, 2, 0, 4, 1, 5]
    assert ranks.tolist() != _ranks_by_key_only(keys, ["id"]).tolist()


def test_ranks_without_an_order_column_break_ties_by_position() -> None:
    keys = _keys(["b", "a", None, "a", None], [9, 9, 9, 1, 1])
    assert zones.row_ranks(keys, ["id"], None).tolist() == [2, 0, 3, 1, 4]


def test_ranks_of_a_compound_key_sort_by_each_column_in_turn() -> None:
    keys = pa.table({"a": ["2", "1", "1", "1"], "b": ["x", "y", "x", "x"], "at": [0, 0, 5, 3]})
    assert zones.row_ranks(keys, ["a", "b"], "at").tolist() == [3, 2, 1, 0]


def test_quarantine_ids_are_the_batch_id_and_the_rank() -> None:
    keys = _keys(["c", "a", "b"], [0, 0, 0])
    ranks = zones.row_ranks(keys, ["id"], "updated_at")
    assert zones.quarantine_ids("b-20261101", ranks) == ["b-20261101#2", "b-20261101#0", "b-20261101#1"]
