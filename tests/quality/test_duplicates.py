"""Primary-key duplicates within a batch, resolved by the contract's rule."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from huiliu.contracts.model import DuplicateRule
from huiliu.quality import zones
from huiliu.quality.duplicates import repeats_a_key, resolve_duplicates


def _keys(*values: str | None) -> pa.Table:
    return pa.table({"id": pa.array(values, pa.string())})


def test_unique_keys_have_no_losers() -> None:
    result = resolve_duplicates(_keys("a", "b", "c"), None, DuplicateRule.LATEST_WINS)
    assert result.losers.tolist() == [] and result.duplicated_keys == 0


def test_latest_wins_keeps_the_newest_row() -> None:
    order = pa.chunked_array([pa.array([1, 5, 3, 2], pa.int64())])
    result = resolve_duplicates(_keys("a", "a", "a", "b"), order, DuplicateRule.LATEST_WINS)
    assert result.losers.tolist() == [0, 2]
    assert result.duplicated_keys == 1


def test_latest_wins_ties_keep_the_first_row_in_batch_order() -> None:
    result = resolve_duplicates(_keys("x", "y", "x"), None, DuplicateRule.LATEST_WINS)
    assert result.losers.tolist() == [2]


def test_quarantine_all_takes_every_row_of_the_key() -> None:
    result = resolve_duplicates(_keys("x", "y", "x", "x"), None, DuplicateRule.QUARANTINE_ALL)
    assert result.losers.tolist() == [0, 2, 3]


def test_null_keys_are_not_duplicates_of_each_other() -> None:
    result = resolve_duplicates(_keys(None, None, "a"), None, DuplicateRule.QUARANTINE_ALL)
    assert result.losers.tolist() == []


@pytest.mark.parametrize("rule", list(DuplicateRule), ids=lambda r: r.value)
def test_compound_keys_compare_all_columns(rule: DuplicateRule) -> None:
    keys = pa.table({"a": ["1", "1", "1"], "b": ["x", "y", "x"]})
    result = resolve_duplicates(keys, None, rule)
    assert result.losers.tolist() == ([2] if rule is DuplicateRule.LATEST_WINS else [0, 2])


@pytest.mark.parametrize("rule", list(DuplicateRule), ids=lambda r: r.value)
def test_compound_keys_whose_columns_repeat_but_no_whole_key_does_have_no_losers(
    rule: DuplicateRule,
) -> None:
    keys = pa.table({"a": ["1", "1", "2", "2"], "b": ["x", "y", "x", "y"]})
    result = resolve_duplicates(keys, None, rule)
    assert result.losers.tolist() == [] and result.duplicated_keys == 0


@pytest.mark.parametrize("rule", list(DuplicateRule), ids=lambda r: r.value)
def test_a_repeated_compound_key_with_a_null_column_is_not_a_duplicate(rule: DuplicateRule) -> None:
    keys = pa.table(
        {
            "a": pa.array([None, None, "3", "3", "4"], pa.string()),
            "b": pa.array(["x", "x", None, None, "x"], pa.string()),
        }
    )
    result = resolve_duplicates(keys, None, rule)
    assert result.losers.tolist() == [] and result.duplicated_keys == 0


def test_a_null_key_column_does_not_hide_a_real_duplicate_next_to_it() -> None:
    keys = pa.table(
        {
            "a": pa.array(["1", "1", "1", None, None], pa.string()),
            "b": pa.array([None, "x", "x", "x", "x"], pa.string()),
        }
    )
    result = resolve_duplicates(keys, None, DuplicateRule.QUARANTINE_ALL)
    assert result.losers.tolist() == [1, 2] and result.duplicated_keys == 1


def test_repeats_a_key_looks_at_whole_non_null_keys() -> None:
    def repeats(a: list[str | None], b: list[str | None]) -> bool:
        keys = pa.table({"a": pa.array(a, pa.string()), "b": pa.array(b, pa.string())})
        return repeats_a_key(keys, zones.row_order(keys, ["a", "b"], None))

    assert not repeats(["1", "1", "2"], ["x", "y", "x"])
    assert not repeats([None, None, "1"], ["x", "x", "x"])
    assert not repeats(["1", "1"], [None, None])
    assert not repeats(["1"], ["x"])
    assert not repeats([], [])
    assert repeats(["2", "1", "1"], ["x", "y", "y"])


def _random_batch(seed: int, rows: int = 400) -> tuple[pa.Table, pa.ChunkedArray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 15, size=rows).astype(str).astype(object)
    b = rng.integers(0, 4, size=rows).astype(str).astype(object)
    a[rng.random(rows) < 0.05] = None
    b[rng.random(rows) < 0.05] = None
    keys = pa.table({"a": pa.array(a.tolist(), pa.string()), "b": pa.array(b.tolist(), pa.string())})
    order = pa.chunked_array([pa.array(rng.integers(0, 6, size=rows), pa.int64())])
    return keys, order


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("rule", list(DuplicateRule), ids=lambda r: r.value)
def test_passing_the_row_order_finds_the_same_duplicates(seed: int, rule: DuplicateRule) -> None:
    keys, order = _random_batch(seed)
    with_order = keys.append_column("at", order)
    sorted_rows = zones.row_order(with_order, ["a", "b"], "at")

    given = resolve_duplicates(keys, order, rule, sorted_rows)
    searched = resolve_duplicates(keys, order, rule)

    assert given.duplicated_keys > 0  # the random keys do repeat: the slow path is compared
    assert given.losers.tolist() == searched.losers.tolist()
    assert given.duplicated_keys == searched.duplicated_keys


@pytest.mark.parametrize("rule", list(DuplicateRule), ids=lambda r: r.value)
def test_random_batches_lose_the_rows_a_plain_count_says(rule: DuplicateRule) -> None:
    keys, order = _random_batch(7)
    result = resolve_duplicates(keys, order, rule)
    updated = order.to_pylist()
    rows_of: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(keys["a"].to_pylist(), keys["b"].to_pylist(), strict=True)):
        if None not in key:
            rows_of.setdefault(key, []).append(i)
    repeated = [rows for rows in rows_of.values() if len(rows) > 1]
    # latest wins: the newest row of a key stays, the first in batch order among equally new ones
    winners = {min(rows, key=lambda i: (-updated[i], i)) for rows in repeated}
    losers = sorted(
        i for rows in repeated for i in rows if rule is DuplicateRule.QUARANTINE_ALL or i not in winners
    )

    assert result.duplicated_keys == len(repeated) > 0
    assert result.losers.tolist() == losers


def test_nan_keys_repeat_as_sql_sees_them() -> None:
    keys = pa.table({"id": pa.array([1.5, float("nan"), 2.5, float("nan")], pa.float64())})
    result = resolve_duplicates(keys, None, DuplicateRule.LATEST_WINS)
    assert result.losers.tolist() == [3] and result.duplicated_keys == 1
