"""Single passes over a column's rows, compiled: counting codes, looking codes up, hashing and masking texts.

The re-identification guard and the search for a record's current version work on whole columns
of integer codes (32-bit) and on Arrow's text buffers. NumPy's ``bincount`` and its indexing by an
array first widen 32-bit codes to 64-bit positions (a fresh array of eight bytes a row, then a pass
to find the largest), and hashing texts of unequal lengths gathers them length by length. These
loops read the rows as they lie, once, and release the interpreter lock while they run, so the
other core can read Parquet beside them. They are compiled by Numba on first use and cached on
disk beside this module, so a later process loads them instead of compiling again.

The delivery masks plain ASCII values (ID numbers, mobiles) in place in a copy of Arrow's text data,
asks whether any value starts with, or holds, a byte of a given set, and hashes record keys with
SipHash-2-4 as pandas does (the record fingerprints' definition), without a Python string or a
fresh array per row.

Codes handed to them must lie inside the table they index (``0 <= code < len(table)``): the
callers build codes that way, and a loop does not check each row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from huiliu.arrow_text import Offsets

F = TypeVar("F", bound=Callable[..., Any])

Counts = npt.NDArray[np.int64]
Hashes = npt.NDArray[np.uint64]


def _compiled(function: F) -> F:
    """``function`` compiled to machine code, without the interpreter lock, cached on disk."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))


@_compiled
def counts(codes: npt.NDArray[np.integer[Any]], span: int) -> Counts:
    """Rows per code: ``np.bincount(codes, minlength=span)`` for codes below ``span``."""
    out = np.zeros(span, dtype=np.int64)
    for code in codes:
        out[code] += 1
    return out


@_compiled
def numbered(
    keys: npt.NDArray[np.integer[Any]], span: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], Counts]:
    """The keys (below ``span``) numbered 0..n-1 in the order of their values: each row's number,
    then per number its key and its rows. One table of ``span`` 32-bit slots serves first as the
    count of each key, then as its number."""
    table = np.zeros(span, dtype=np.int32)
    for key in keys:
        table[key] += 1
    present = 0
    for slot in range(span):
        if table[slot] > 0:
            present += 1
    values = np.empty(present, dtype=np.int64)
    rows = np.empty(present, dtype=np.int64)
    number = 0
    for slot in range(span):
        if table[slot] > 0:
            values[number] = slot
            rows[number] = table[slot]
            table[slot] = number
            number += 1
    groups = np.empty(keys.size, dtype=np.int32)
    for i in range(keys.size):
        groups[i] = table[keys[i]]
    return groups, values, rows


@_compiled
def numbered_combinations(
    columns: tuple[npt.NDArray[np.int32], ...], widths: npt.NDArray[np.int64], span: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], Counts]:
    """:func:`numbered` of each row's combination of codes, as one key in mixed radix
    (``columns[0][i] * widths[1] * … + columns[-1][i]``, below ``span``), built row by row without
    a fresh array per column."""
    keys = np.empty(columns[0].size, dtype=np.int32)
    for i in range(keys.size):
        key = 0
        for c in range(len(columns)):
            key = key * widths[c] + columns[c][i]
        keys[i] = key
    return numbered(keys, span)


@_compiled
def pair_counts(
    first: npt.NDArray[np.integer[Any]], second: npt.NDArray[np.integer[Any]], width: int, span: int
) -> npt.NDArray[np.int32]:
    """Rows per pair of codes, counted at ``first * width + second`` (``second`` below ``width``),
    in 32-bit counts (fewer than 2**31 rows)."""
    out = np.zeros(span, dtype=np.int32)
    for i in range(first.size):
        out[first[i] * width + second[i]] += 1
    return out


@_compiled
def sums_below(table: npt.NDArray[np.integer[Any]], limit: int) -> Counts:
    """Per row of a 2-D table, the sum of its entries below ``limit``."""
    out = np.zeros(table.shape[0], dtype=np.int64)
    for row in range(table.shape[0]):
        total = 0
        for entry in table[row]:
            if entry < limit:
                total += entry
        out[row] = total
    return out


@_compiled
def least_per_unit(
    units: npt.NDArray[np.integer[Any]], rows: Counts, skipped: npt.NDArray[np.bool_], count: int
) -> Counts:
    """Per unit (``units[i]`` below ``count``), the least of its entries' ``rows``, leaving out the
    entries ``skipped`` marks (a unit without any: the largest 64-bit number)."""
    out = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    for i in range(units.size):
        if not skipped[i] and rows[i] < out[units[i]]:
            out[units[i]] = rows[i]
    return out


@_compiled
def gather(table: npt.NDArray[Any], index: npt.NDArray[np.integer[Any]], out: npt.NDArray[Any]) -> None:
    """``out[i] = table[index[i]]`` for every row (``table[index]``, written into ``out``)."""
    for i in range(index.size):
        out[i] = table[index[i]]


def looked_up(table: npt.NDArray[Any], index: npt.NDArray[np.integer[Any]]) -> npt.NDArray[Any]:
    """``table[index]``: each row's entry of ``table``."""
    out = np.empty(len(index), dtype=table.dtype)
    gather(table, index, out)
    return out


@_compiled
def mark_present(values: npt.NDArray[np.integer[Any]], low: int, present: npt.NDArray[np.bool_]) -> None:
    """``present[v - low] = True`` for every value ``v``."""
    for value in values:
        present[value - low] = True


@_compiled
def ranked(
    values: npt.NDArray[np.integer[Any]],
    low: int,
    renumber: npt.NDArray[np.int32],
    out: npt.NDArray[np.int32],
) -> None:
    """``out[i] = renumber[values[i] - low] + 1``: each value's place among those present, from 1."""
    for i in range(values.size):
        out[i] = renumber[values[i] - low] + 1


_SEED = np.uint64(0x9E3779B97F4A7C15)
_MULTIPLIER = np.uint64(0xBF58476D1CE4E5B9)
_FINAL = np.uint64(0x94D049BB133111EB)
_MIX_SHIFT = np.uint64(31)
_FINAL_SHIFT = np.uint64(29)


@_compiled
def hash_texts(offsets: Offsets, data: npt.NDArray[np.uint8], out: Hashes) -> None:
    """A 64-bit hash of each text (the bytes from ``offsets[i]`` to ``offsets[i + 1]``) into ``out``.

    The hash starts from the text's length, then takes its bytes as little-endian 8-byte words
    (the last one padded with zeros), each mixed in by a multiply and a shift.
    """
    for i in range(out.size):
        start, end = offsets[i], offsets[i + 1]
        h = _SEED * np.uint64(end - start + 1)
        at = start
        while at < end:
            word = np.uint64(0)
            if at + 8 <= end:  # a whole word: a loop of fixed length, unrolled by the compiler
                for b in range(8):
                    word |= np.uint64(data[at + b]) << np.uint64(8 * b)
            else:
                for b in range(end - at):
                    word |= np.uint64(data[at + b]) << np.uint64(8 * b)
            h ^= word
            h *= _MULTIPLIER
            h ^= h >> _MIX_SHIFT
            at += 8
        h *= _FINAL
        h ^= h >> _FINAL_SHIFT
        out[i] = h


@_compiled
def mark_repeated(hashes: Hashes, shared: npt.NDArray[np.bool_]) -> None:
    """``shared[i] = True`` for every row whose hash another row also holds.

    One pass over the rows, through an open-addressing table of at least twice as many slots,
    each holding a hash and the first row that held it: a hash found again marks both rows.
    """
    size = 1
    while size < 2 * hashes.size:
        size <<= 1
    last = size - 1
    slots = np.zeros(size, dtype=np.uint64)
    first = np.full(size, -1, dtype=np.int32)  # rows are fewer than 2**31
    for i in range(hashes.size):
        h = hashes[i]
        at = np.int64(h & np.uint64(last))
        while True:
            holder = first[at]
            if holder < 0:
                slots[at] = h
                first[at] = i
                break
            if slots[at] == h:
                shared[i] = True
                shared[holder] = True
                break
            at = (at + 1) & last


@_compiled
def hide_in_plain_texts(
    offsets: Offsets,
    data: npt.NDArray[np.uint8],
    shape: npt.NDArray[np.bool_],
    keep_start: int,
    keep_end: int,
    hidden: int,
    least: int,
    char: int,
    out: npt.NDArray[np.uint8],
    plain: npt.NDArray[np.bool_],
) -> None:
    """Hide bytes of every plain text, in ``out`` (a copy of ``data``); mark in ``plain`` which texts were.

    A text is plain when it is not empty, holds at least ``least`` bytes and every byte is one
    ``shape`` allows (ASCII ones, so a byte is a character). Its bytes from ``keep_start`` to
    ``keep_end`` before its end are set to ``char``; when ``hidden`` is not negative, only the
    ``hidden`` bytes just before the last ``keep_end``. Other texts are left as they are.
    """
    for i in range(plain.size):
        start, end = offsets[i], offsets[i + 1]
        length = end - start
        ok = length > 0 and length >= least
        at = start
        while ok and at < end:
            ok = shape[data[at]]
            at += 1
        plain[i] = ok
        if ok:
            last = end - keep_end
            first = start + keep_start if hidden < 0 else max(start + keep_start, last - hidden)
            for b in range(first, last):
                out[b] = char


@_compiled
def any_leading(offsets: Offsets, data: npt.NDArray[np.uint8], bytes_: npt.NDArray[np.bool_]) -> bool:
    """Whether any non-empty text starts with a byte ``bytes_`` marks."""
    for i in range(offsets.size - 1):  # noqa: SIM110 (Numba compiles the loop, not a generator)
        if offsets[i + 1] > offsets[i] and bytes_[data[offsets[i]]]:
            return True
    return False


@_compiled
def any_byte(data: npt.NDArray[np.uint8], start: int, end: int, bytes_: npt.NDArray[np.bool_]) -> bool:
    """Whether any of ``data[start:end]`` is a byte ``bytes_`` marks."""
    for at in range(start, end):  # noqa: SIM110 (Numba compiles the loop, not a generator)
        if bytes_[data[at]]:
            return True
    return False


@_compiled
def translate_bytes(
    data: npt.NDArray[np.uint8],
    start: int,
    end: int,
    table: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
) -> None:
    """``out[at] = table[data[at]]`` for every byte from ``start`` to ``end``."""
    for at in range(start, end):
        out[at] = table[data[at]]


_SIP_CONSTANTS = (
    np.uint64(0x736F6D6570736575),
    np.uint64(0x646F72616E646F6D),
    np.uint64(0x6C7967656E657261),
    np.uint64(0x7465646279746573),
)


@numba.njit(inline="always")
def _rotated(x: np.uint64, bits: int) -> np.uint64:
    return (x << np.uint64(bits)) | (x >> np.uint64(64 - bits))


@numba.njit(inline="always")
def _sip_round(
    v0: np.uint64, v1: np.uint64, v2: np.uint64, v3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    v0 += v1
    v1 = _rotated(v1, 13) ^ v0
    v0 = _rotated(v0, 32)
    v2 += v3
    v3 = _rotated(v3, 16) ^ v2
    v0 += v3
    v3 = _rotated(v3, 21) ^ v0
    v2 += v1
    v1 = _rotated(v1, 17) ^ v2
    v2 = _rotated(v2, 32)
    return v0, v1, v2, v3


@_compiled
def siphash_texts(
    offsets: Offsets, data: npt.NDArray[np.uint8], k0: np.uint64, k1: np.uint64, out: Hashes
) -> None:
    """SipHash-2-4 of each text's bytes under the 128-bit key ``k0, k1`` (its two little-endian
    halves) into ``out``: the hash pandas' ``hash_array`` starts from for a text."""
    c0, c1, c2, c3 = _SIP_CONSTANTS
    for i in range(out.size):
        start, end = offsets[i], offsets[i + 1]
        v0, v1, v2, v3 = k0 ^ c0, k1 ^ c1, k0 ^ c2, k1 ^ c3
        at = start
        while at + 8 <= end:
            word = np.uint64(0)
            for b in range(8):
                word |= np.uint64(data[at + b]) << np.uint64(8 * b)
            v3 ^= word
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
            v0 ^= word
            at += 8
        last = np.uint64(end - start) << np.uint64(56)
        for b in range(end - at):
            last |= np.uint64(data[at + b]) << np.uint64(8 * b)
        v3 ^= last
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= last
        v2 ^= np.uint64(0xFF)
        for _ in range(4):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        out[i] = v0 ^ v1 ^ v2 ^ v3
