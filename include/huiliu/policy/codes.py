"""A column as dense integer codes over its distinct values, the form the re-identification guard groups.

Code 0 is null and codes 1.. are the entries of the column's dictionary of distinct values, one
code per value. Dictionary arrays (text read from Parquet's dictionary pages) are encoded by their
entries and spread over the rows by their indices; whole numbers and dates within a narrow range
through a lookup table; anything else by Arrow's hash table. The order of the dictionary's entries
differs between these ways; either way different values get different codes and equal values one.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.row_passes import gather, mark_present, ranked

LOOKUP_SPAN = 1 << 22
"""Whole numbers (and dates) whose range is at most this wide are encoded through a lookup table."""

Codes = npt.NDArray[np.int32]


def encode(values: pa.Array | pa.ChunkedArray) -> tuple[Codes, pa.Array]:
    """Per row, the code of its value (0 for null, i for the dictionary's entry i - 1), and the
    dictionary of distinct values (of a dictionary array: its distinct entries, which may include
    values no row holds)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if pa.types.is_dictionary(values.type):
        if not chunks:
            return np.zeros(0, dtype=np.int32), pa.array([], values.type.value_type)
        return _by_entries(chunks)
    if pa.types.is_date32(values.type) or (pa.types.is_integer(values.type) and values.type != pa.uint64()):
        looked_up = _by_lookup(values)
        if looked_up is not None:
            return looked_up
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        chunks = encoded.chunks
    else:
        chunks = [encoded]
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], values.type)
    indices = np.concatenate(
        [c.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32) for c in chunks]
    )
    return indices + 1, chunks[0].dictionary


def _by_entries(chunks: Sequence[pa.DictionaryArray]) -> tuple[Codes, pa.Array]:
    """Dictionary arrays: their entries are encoded (equal entries get one code, null entries 0),
    then spread over the rows by the indices."""
    distinct: list[pa.Array] = []  # the chunks' dictionaries, a run of equal ones once
    of_chunk: list[int] = []
    for chunk in chunks:
        if not distinct or not chunk.dictionary.equals(distinct[-1]):
            distinct.append(chunk.dictionary)
        of_chunk.append(len(distinct) - 1)
    entries, dictionary = encode(pa.concat_arrays(distinct))
    bounds = np.cumsum([0, *(len(d) for d in distinct)])
    mappings = [np.append(entries[lo:hi], np.int32(0)) for lo, hi in pairwise(bounds)]
    codes = np.empty(sum(len(c) for c in chunks), dtype=np.int32)
    at = 0
    for chunk, d in zip(chunks, of_chunk, strict=True):
        _spread(chunk.indices, mappings[d], codes[at : at + len(chunk)])
        at += len(chunk)
    return codes, dictionary


def _spread(indices: pa.Array, mapping: Codes, out: Codes) -> None:
    """Each row's code into ``out``: its dictionary index's entry in ``mapping``, the last entry for
    a null index."""
    if indices.null_count:
        indices = indices.fill_null(len(mapping) - 1)
    gather(mapping, indices.to_numpy(), out)


def _by_lookup(values: pa.Array | pa.ChunkedArray) -> tuple[Codes, pa.Array] | None:
    """Whole numbers or dates: each value's place among the values present (None: the range is too wide)."""
    numbers = values.cast(pa.int32()) if pa.types.is_date32(values.type) else values
    low, high = (s.as_py() for s in pc.min_max(numbers).values())
    if low is None:  # no value, only nulls
        return np.zeros(len(values), dtype=np.int32), pa.array([], values.type)
    if high - low >= LOOKUP_SPAN:
        return None
    chunks = numbers.chunks if isinstance(numbers, pa.ChunkedArray) else [numbers]
    filled = [np.asarray((pc.fill_null(c, low) if c.null_count else c).to_numpy()) for c in chunks]
    present = np.zeros(high - low + 1, dtype=bool)
    for part in filled:
        mark_present(part, low, present)
    renumber = renumbering(present)
    codes = np.empty(len(values), dtype=np.int32)
    at = 0
    for part in filled:
        ranked(part, low, renumber, codes[at : at + len(part)])
        at += len(part)
    if numbers.null_count:
        codes[np.asarray(pc.is_null(numbers).to_numpy(zero_copy_only=False))] = 0
    dictionary = pa.array(np.flatnonzero(present) + low, pa.int64()).cast(numbers.type)
    return codes, dictionary.cast(values.type)


def renumbering(present: npt.NDArray[np.bool_]) -> Codes:
    """Per position, its number among the positions present (0, 1, … in order; an absent position
    gets the number of the present one before it, or -1): a lookup table from sparse keys (fewer
    than 2**31) to dense numbers."""
    return np.cumsum(present, dtype=np.int32) - 1
