"""Primary-key duplicates within a batch, resolved by the contract's rule."""

from __future__ import annotations

import pyarrow as pa
import pytest

from huiliu.contracts.model import DuplicateRule
from huiliu.quality.duplicates import resolve_duplicates


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
