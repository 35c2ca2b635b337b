"""The compiled passes over rows give what NumPy's own operations give, for every code and dtype
the guard and the key hashes hand them, and the text hash is the one its definition describes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.arrow_text import text_buffers
from huiliu.row_passes import (
    any_byte,
    any_leading,
    counts,
    hash_texts,
    hide_in_plain_texts,
    least_per_unit,
    looked_up,
    mark_present,
    mark_repeated,
    numbered,
    numbered_combinations,
    pair_counts,
    ranked,
    siphash_texts,
    sums_below,
    translate_bytes,
)

CODE_TYPES = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32])


@settings(max_examples=150, deadline=None)
@given(codes=st.lists(st.integers(0, 120), max_size=200), extra=st.integers(0, 5), kind=CODE_TYPES)
def test_counts_are_numpy_bincount(codes: list[int], extra: int, kind: type) -> None:
    array = np.array(codes, dtype=kind)
    span = (max(codes) + 1 if codes else 0) + extra

    assert counts(array, span).tolist() == np.bincount(array.astype(np.int64), minlength=span).tolist()


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 6)), max_size=200))
def test_pair_counts_count_each_pair_where_its_key_lies(pairs: list[tuple[int, int]]) -> None:
    first = np.array([a for a, _ in pairs], dtype=np.int32)
    second = np.array([b for _, b in pairs], dtype=np.int32)

    table = pair_counts(first, second, 7, 10 * 7).reshape(10, 7)

    expected = np.zeros((10, 7), dtype=np.int64)
    for a, b in pairs:
        expected[a, b] += 1
    assert table.tolist() == expected.tolist()


@settings(max_examples=150, deadline=None)
@given(
    table=st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=40),
    picks=st.lists(st.integers(0, 10**6), max_size=200),
    kind=CODE_TYPES,
)
def test_looked_up_is_numpy_indexing(table: list[int], picks: list[int], kind: type) -> None:
    entries = np.array(table, dtype=np.int32)
    index = np.array([p % len(table) for p in picks], dtype=np.int64)
    index = index[index <= np.iinfo(kind).max].astype(kind)

    found = looked_up(entries, index)

    assert found.dtype == entries.dtype
    assert found.tolist() == entries[index.astype(np.int64)].tolist()
    flags = entries % 2 == 0
    assert looked_up(flags, index).tolist() == flags[index.astype(np.int64)].tolist()


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.integers(-50_000, 50_000), min_size=1, max_size=200),
    kind=st.sampled_from([np.int32, np.int64]),
)
def test_values_are_ranked_among_those_present_from_one(values: list[int], kind: type) -> None:
    array = np.array(values, dtype=kind)
    low, high = min(values), max(values)
    present = np.zeros(high - low + 1, dtype=bool)

    mark_present(array, low, present)
    out = np.empty(len(values), dtype=np.int32)
    ranked(array, low, np.cumsum(present, dtype=np.int32) - 1, out)

    distinct = sorted(set(values))
    assert np.flatnonzero(present).tolist() == [v - low for v in distinct]
    assert out.tolist() == [distinct.index(v) + 1 for v in values]


def _reference_hash(text: bytes) -> int:
    """The text hash as its definition reads: the length, then little-endian 8-byte words."""
    mask = (1 << 64) - 1
    h = (0x9E3779B97F4A7C15 * (len(text) + 1)) & mask
    for at in range(0, len(text), 8):
        h ^= int.from_bytes(text[at : at + 8], "little")
        h = (h * 0xBF58476D1CE4E5B9) & mask
        h ^= h >> 31
    h = (h * 0x94D049BB133111EB) & mask
    return h ^ (h >> 29)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="0123456789Xx甲é -", max_size=40), max_size=30),
    start=st.integers(0, 3),
    large=st.booleans(),
)
def test_text_hash_is_its_definition_for_any_slice_and_offset_width(
    texts: list[str], start: int, large: bool
) -> None:
    array = pa.array(["pad"] * start + texts, pa.large_string() if large else pa.string()).slice(start)
    offsets, data = text_buffers(array)
    out = np.zeros(len(texts), dtype=np.uint64)

    hash_texts(offsets, data, out)

    assert out.tolist() == [_reference_hash(t.encode()) for t in texts]


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.sampled_from([0, 1, 2, 7, 2**63, 2**64 - 1, 2**32, 3 * 2**40]), max_size=300))
def test_every_row_whose_hash_repeats_is_marked_and_no_other(values: list[int]) -> None:
    hashes = np.array(values, dtype=np.uint64)
    shared = np.zeros(len(values), dtype=bool)

    mark_repeated(hashes, shared)

    assert shared.tolist() == [values.count(v) > 1 for v in values]


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 50), st.booleans()), max_size=100))
def test_least_per_unit_leaves_out_the_skipped_entries(entries: list[tuple[int, int, bool]]) -> None:
    units = np.array([u for u, _, _ in entries], dtype=np.int32)
    rows = np.array([r for _, r, _ in entries], dtype=np.int64)
    skipped = np.array([s for _, _, s in entries], dtype=bool)

    least = least_per_unit(units, rows, skipped, 6)

    none = np.iinfo(np.int64).max
    assert least.tolist() == [
        min((r for u, r, s in entries if u == unit and not s), default=none) for unit in range(6)
    ]


@settings(max_examples=150, deadline=None)
@given(keys=st.lists(st.integers(0, 40), max_size=200), extra=st.integers(0, 5))
def test_keys_are_numbered_in_the_order_of_their_values(keys: list[int], extra: int) -> None:
    span = (max(keys) + 1 if keys else 0) + extra

    groups, values, rows = numbered(np.array(keys, dtype=np.int32), span)

    distinct = sorted(set(keys))
    assert values.tolist() == distinct
    assert groups.tolist() == [distinct.index(k) for k in keys]
    assert rows.tolist() == [keys.count(k) for k in distinct]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(0, 6)), max_size=200),
    columns=st.integers(1, 3),
)
def test_combinations_are_numbered_as_their_mixed_radix_keys(
    rows: list[tuple[int, int, int]], columns: int
) -> None:
    widths = [5, 3, 7][:columns]
    codes = tuple(np.array([r[c] for r in rows], dtype=np.int32) for c in range(columns))
    keys = [int(np.ravel_multi_index(r[:columns], widths)) for r in rows]

    got = numbered_combinations(codes, np.array(widths, dtype=np.int64), int(np.prod(widths)))
    expected = numbered(np.array(keys, dtype=np.int32), int(np.prod(widths)))

    for mine, theirs in zip(got, expected, strict=True):
        assert mine.tolist() == theirs.tolist()


@settings(max_examples=150, deadline=None)
@given(
    table=st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), max_size=8),
    limit=st.integers(0, 14),
    kind=st.sampled_from([np.int32, np.int64]),
)
def test_sums_below_add_each_rows_entries_under_the_limit(
    table: list[list[int]], limit: int, kind: type
) -> None:
    array = np.array(table, dtype=kind).reshape(len(table), 3)

    assert sums_below(array, limit).tolist() == [sum(e for e in row if e < limit) for row in table]


PLAIN_TEXT = st.text(alphabet=st.sampled_from(list("0123456789abXY-号 ")), max_size=20)
DIGIT_BYTES = np.zeros(256, dtype=bool)
DIGIT_BYTES[list(b"0123456789")] = True


def _hidden_by_definition(text: str, keep_start: int, keep_end: int, hidden: int, least: int) -> str | None:
    """The text with its middle hidden when it is plain (digits only, at least ``least``), else None."""
    if not text or len(text) < least or not all(c in "0123456789" for c in text):
        return None
    last = len(text) - keep_end
    first = keep_start if hidden < 0 else max(keep_start, last - hidden)
    return text[:first] + "*" * max(last - first, 0) + text[max(last, first) :]


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(PLAIN_TEXT, max_size=30),
    keep=st.tuples(st.integers(0, 6), st.integers(0, 6)),
    hidden=st.integers(-1, 5),
    extra=st.integers(0, 4),
    cut=st.integers(0, 3),
)
def test_plain_texts_have_their_middle_hidden_and_others_stay(
    texts: list[str], keep: tuple[int, int], hidden: int, extra: int, cut: int
) -> None:
    values = pa.array(texts, pa.string()).slice(min(cut, len(texts)))
    offsets, data = text_buffers(values)
    least = keep[0] + keep[1] + max(hidden, 0) + extra
    out, plain = data.copy(), np.empty(len(values), dtype=bool)

    hide_in_plain_texts(offsets, data, DIGIT_BYTES, keep[0], keep[1], hidden, least, ord("*"), out, plain)

    for i, text in enumerate(values.to_pylist()):
        wanted = _hidden_by_definition(text, keep[0], keep[1], hidden, least)
        got = bytes(out[offsets[i] : offsets[i + 1]]).decode()
        assert plain[i] == (wanted is not None)
        assert got == (text if wanted is None else wanted)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=st.sampled_from(list("a=+-@1张 ")), max_size=5), max_size=20),
    cut=st.integers(0, 3),
)
def test_any_leading_finds_a_text_that_starts_with_a_marked_byte(texts: list[str], cut: int) -> None:
    values = pa.array(texts, pa.string()).slice(min(cut, len(texts)))
    marked = np.zeros(256, dtype=bool)
    marked[list(b"=+-@")] = True
    offsets, data = text_buffers(values)

    assert any_leading(offsets, data, marked) == any(
        t[:1] in ("=", "+", "-", "@") for t in values.to_pylist()
    )


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=st.sampled_from(list("ab1张٣ ")), max_size=5), max_size=20),
    cut=st.integers(0, 3),
)
def test_any_byte_looks_only_inside_the_values_given(texts: list[str], cut: int) -> None:
    values = pa.array(texts, pa.string()).slice(min(cut, len(texts)))
    marked = np.zeros(256, dtype=bool)
    marked["٣".encode()[0]] = True
    offsets, data = text_buffers(values)

    assert any_byte(data, offsets[0], offsets[-1], marked) == any("٣" in t for t in values.to_pylist())


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=60), bounds=st.tuples(st.integers(0, 60), st.integers(0, 60)))
def test_translate_bytes_maps_only_the_bytes_in_its_range(data: bytes, bounds: tuple[int, int]) -> None:
    start, end = min(bounds[0], len(data)), min(max(bounds), len(data))
    table = np.arange(256, dtype=np.uint8)[::-1].copy()
    source = np.frombuffer(data, dtype=np.uint8)
    out = np.full(len(data), 7, dtype=np.uint8)

    translate_bytes(source, start, end, table, out)

    assert out[start:end].tolist() == table[source[start:end]].tolist()
    assert (np.delete(out, np.arange(start, end)) == 7).all()


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(st.text(max_size=30), max_size=20),
    key=st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
    cut=st.integers(0, 3),
)
def test_siphash_of_texts_is_the_one_pandas_starts_from(texts: list[str], key: str, cut: int) -> None:
    from pandas._libs.hashing import hash_object_array

    values = pa.array(texts, pa.string()).slice(min(cut, len(texts)))
    offsets, data = text_buffers(values)
    halves = np.frombuffer(key.encode(), dtype="<u8")
    out = np.zeros(len(values), dtype=np.uint64)

    siphash_texts(offsets, data, halves[0], halves[1], out)

    wanted = hash_object_array(np.array(values.to_pylist(), dtype=object), key)
    assert out.tolist() == wanted.tolist()
