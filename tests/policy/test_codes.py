"""Columns as codes: equal values get one code, different values different codes, null 0, whatever
form the column comes in (text, numbers, dates, dictionary arrays with redundant dictionaries)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.policy.codes import LOOKUP_SPAN, encode


def _decoded(values: pa.Array | pa.ChunkedArray) -> list[object]:
    """The values back from their codes and dictionary."""
    codes, dictionary = encode(values)
    return [None if c == 0 else dictionary[c - 1].as_py() for c in codes]


def _tells_values_apart(values: pa.Array | pa.ChunkedArray) -> None:
    codes, dictionary = encode(values)
    rows = values.to_pylist()
    assert _decoded(values) == rows
    assert len(set(dictionary.to_pylist())) == len(dictionary) and None not in dictionary.to_pylist()
    for a, b in zip(rows, codes, strict=True):
        assert (b == 0) == (a is None)


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["b", None, "a", "b", ""]),
        pa.array([3, None, -5, 3, 0], pa.int8()),
        pa.array([10**12, 1, 10**12], pa.int64()),  # too wide a range for a lookup table
        pa.array([date(1990, 3, 7), None, date(1930, 1, 1), date(1990, 3, 7)]),
        pa.array([1.5, None, 1.5, float("inf")]),
        pa.array([None, None], pa.int32()),
        pa.chunked_array([], pa.string()),
        pa.chunked_array([pa.array([2, 1]), pa.array([1, None])]),
    ],
    ids=["text", "int8", "wide-int64", "dates", "floats", "all-null", "no-chunks", "chunked"],
)
def test_every_kind_of_column_round_trips(values: pa.Array | pa.ChunkedArray) -> None:
    _tells_values_apart(values)


def test_dictionary_entries_repeated_null_or_unused_get_the_codes_of_their_values() -> None:
    first = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 2], pa.int32()), pa.array(["a", None, "a", "z"])
    )
    second = pa.DictionaryArray.from_arrays(pa.array([1, 0], pa.int32()), pa.array(["b", "a"]))
    values = pa.chunked_array([first, second])

    codes, dictionary = encode(values)

    assert _decoded(values) == ["a", None, None, "a", "a", "b"]
    assert codes[0] == codes[3] == codes[4] and codes[1] == codes[2] == 0
    assert len(set(dictionary.to_pylist())) == len(dictionary)  # "z" is held by no row, but once


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.one_of(st.none(), st.sampled_from(["甲", "乙", "丙", "", "x"])), max_size=40),
    chunks=st.integers(1, 4),
    data=st.data(),
)
def test_dictionary_arrays_encode_as_their_values_do(
    rows: list[str | None], chunks: int, data: st.DataObject
) -> None:
    # each chunk gets its own dictionary: shuffled, with repeats, nulls and entries no row uses
    parts = []
    size = -(-len(rows) // chunks) if rows else 0
    for lo in range(0, len(rows), max(size, 1)):
        part = rows[lo : lo + size]
        entries = data.draw(st.permutations(sorted({r for r in part if r is not None} | {"未用"})))
        entries = [*entries, None, *entries[:1]]
        indices = [None if r is None and data.draw(st.booleans()) else entries.index(r) for r in part]
        parts.append(
            pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(entries, pa.string()))
        )
    values = pa.chunked_array(parts, pa.dictionary(pa.int32(), pa.string()))

    codes, _ = encode(values)
    plain, _ = encode(pa.array(rows, pa.string()))

    assert _decoded(values) == rows
    pairs = set(zip(codes.tolist(), plain.tolist(), strict=True))
    assert len({c for c, _ in pairs}) == len(pairs) == len({p for _, p in pairs})  # one code per value


def test_numbers_at_the_edges_of_the_lookup_range_round_trip() -> None:
    for width in (LOOKUP_SPAN - 1, LOOKUP_SPAN):  # a lookup table, then a hash table
        _tells_values_apart(pa.array([7, 7 + width, None, 7], pa.int64()))
    _tells_values_apart(pa.array([-(2**31), 2**31 - 1, 0], pa.int32()))
