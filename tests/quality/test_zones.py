"""Routing helpers of the zones: each row's rank by key."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from huiliu.quality import zones


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
