"""Rows grouped by their codes: the combinations counted directly or compacted are the combinations
the rows hold, one number each, and the counts per unit and value are the rows' own."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.policy import grouping
from huiliu.policy.grouping import counted, dense, representatives, unit_counts, unit_of

WIDTHS = st.lists(st.integers(1, 6), min_size=1, max_size=4)


@st.composite
def coded(draw: st.DrawFn) -> tuple[list[np.ndarray], list[int]]:
    """Columns of codes below their cardinalities, of one length."""
    widths = draw(WIDTHS)
    rows = draw(st.integers(0, 60))
    columns = [
        np.array(draw(st.lists(st.integers(0, w - 1), min_size=rows, max_size=rows)), dtype=np.int32)
        for w in widths
    ]
    return columns, widths


def _same_partition(groups: np.ndarray, columns: list[np.ndarray]) -> None:
    """Rows share a number exactly when they share every code, and the numbers are 0..n-1."""
    rows = list(zip(*(c.tolist() for c in columns), strict=True))
    number_of: dict[tuple[int, ...], int] = {}
    for row, group in zip(rows, groups.tolist(), strict=True):
        assert number_of.setdefault(row, group) == group
    assert len(set(number_of.values())) == len(number_of)
    assert sorted(number_of.values()) == list(range(len(number_of)))


@settings(max_examples=200, deadline=None)
@given(data=coded())
def test_combinations_counted_directly_are_the_rows_combinations(
    data: tuple[list[np.ndarray], list[int]],
) -> None:
    columns, widths = data

    found = counted(columns, widths)

    assert found is not None
    groups, codes, rows = found
    _same_partition(groups, columns)
    plain = Counter(zip(*(c.tolist() for c in columns), strict=True))
    assert {tuple(int(c[g]) for c in codes): int(rows[g]) for g in range(len(rows))} == plain


@settings(max_examples=200, deadline=None)
@given(data=coded())
def test_combinations_compacted_are_the_rows_combinations(data: tuple[list[np.ndarray], list[int]]) -> None:
    columns, widths = data
    if not len(columns[0]):
        return

    groups, count = dense(columns[0], columns[1:], widths[1:])

    _same_partition(groups, columns)
    member = representatives(groups, count)
    assert all(groups[member[g]] == g for g in range(count))


def test_a_key_wider_than_counted_directly_is_left_to_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [np.array([0, 1, 2], dtype=np.int32), np.array([1, 1, 0], dtype=np.int32)]
    monkeypatch.setattr(grouping, "DIRECT_KEYS", 5)

    assert counted(columns, [3, 2]) is None
    assert unit_counts(columns[0], columns[1], 2, 3) is None


@settings(max_examples=200, deadline=None)
@given(data=coded(), units=st.integers(1, 4), picks=st.data())
def test_counts_per_unit_and_value_and_the_unit_a_value_tells(
    data: tuple[list[np.ndarray], list[int]], units: int, picks: st.DataObject
) -> None:
    (codes, *_), (width, *_) = data
    unit = np.array([picks.draw(st.integers(0, units - 1)) for _ in codes], dtype=np.int32)

    table = unit_counts(unit, codes, width, units)

    assert table is not None and table.shape == (units, width)
    plain = Counter(zip(unit.tolist(), codes.tolist(), strict=True))
    assert {(u, v): int(table[u, v]) for u in range(units) for v in range(width) if table[u, v]} == plain
    holders = {v: {u for u, w in plain if w == v} for _, v in plain}
    told = unit_of(table)
    if all(len(h) == 1 for h in holders.values()):
        assert told is not None and all(told[v] == next(iter(h)) for v, h in holders.items())
    else:
        assert told is None
