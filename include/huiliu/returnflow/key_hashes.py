"""64-bit hashes of records' keys, and which of them repeat: the rows that may be versions of one record.

Equal keys always hash alike; two different keys rarely do, and when they do, the rows only get a
closer look (the caller compares the keys of the rows whose hashes repeat). A text key is hashed
by NumPy over its UTF-8 bytes, as 8-byte words; any other key by DuckDB's ``hash``. Either way one
hash function serves every row of a table, as it depends only on the key's type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from huiliu.arrow_text import is_plain_text, text_buffers
from huiliu.sql_identifiers import quote_identifier

Hashes = npt.NDArray[np.uint64]

_GATHERED_BYTES = 1 << 20
"""Texts of unequal lengths are gathered into words this many bytes' worth of rows at a time."""
_SEED = 0x9E3779B97F4A7C15
_MULTIPLIER = np.uint64(0xBF58476D1CE4E5B9)
_FINAL = np.uint64(0x94D049BB133111EB)


def key_hashes(batches: Iterable[pa.RecordBatch], key: Sequence[str]) -> Hashes:
    """Each row's key (the columns ``key`` of the batches, in order) hashed to 64 bits."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return np.zeros(0, dtype=np.uint64)
    rows = chain([first], batches)
    if len(key) == 1 and is_plain_text(first.schema.field(key[0]).type):
        return np.concatenate([text_hashes(b.column(key[0])) for b in rows] or [np.zeros(0, np.uint64)])
    return _duckdb_hashes(first.schema, rows, key)


def text_hashes(values: pa.Array) -> Hashes:
    """A 64-bit hash of each text's UTF-8 bytes (0 for null)."""
    hashes = np.zeros(len(values), dtype=np.uint64)
    if not len(values):
        return hashes
    offsets, data = text_buffers(values)
    starts, lengths = offsets[:-1], np.diff(offsets)
    if lengths.min() == lengths.max():  # one length: the texts lie side by side
        width_of_all, at = int(lengths[0]), int(starts[0])
        side_by_side = data[at : at + width_of_all * len(values)].reshape(len(values), width_of_all)
        hashes[:] = _words_hashed(side_by_side)
    else:
        for length in np.flatnonzero(np.bincount(lengths)):
            rows = np.flatnonzero(lengths == length)
            hashes[rows] = np.concatenate(list(_gathered_hashes(data, starts[rows], int(length))))
    if values.null_count:
        hashes[np.asarray(values.is_null().to_numpy(zero_copy_only=False))] = 0
    return hashes


def _gathered_hashes(
    data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], length: int
) -> Iterator[Hashes]:
    """The hashes of the texts of one length starting at ``starts``, gathered a block of rows at a time."""
    step = max(1, _GATHERED_BYTES // max(length, 1))
    for lo in range(0, len(starts), step):
        block = starts[lo : lo + step]
        yield _words_hashed(data[block[:, None] + np.arange(length)])


def _words_hashed(texts: npt.NDArray[np.uint8]) -> Hashes:
    """The hash of each row of a (rows, length) array of bytes: its length, then its 8-byte words."""
    rows, length = texts.shape
    words = -(-length // 8)
    padded = np.zeros((rows, words * 8), dtype=np.uint8)
    padded[:, :length] = texts
    hashes = np.full(rows, (_SEED * (length + 1)) % (1 << 64), dtype=np.uint64)
    for word in padded.view(np.uint64).T:
        hashes ^= word
        hashes *= _MULTIPLIER
        hashes ^= hashes >> np.uint64(31)
    hashes *= _FINAL
    hashes ^= hashes >> np.uint64(29)
    return hashes


def _duckdb_hashes(schema: pa.Schema, batches: Iterable[pa.RecordBatch], key: Sequence[str]) -> Hashes:
    """Each row's key hashed by DuckDB, the batches streamed through it in order."""
    stream = pa.RecordBatchReader.from_batches(
        schema, (b if b.schema == schema else b.cast(schema) for b in batches)
    )
    columns = ", ".join(quote_identifier(k) for k in key)
    with duckdb.connect() as conn:
        conn.execute("SET threads TO 1")  # one batch after the other: row order is kept
        conn.register("keys", stream)
        hashed = conn.sql(f"SELECT hash({columns}) AS h FROM keys").to_arrow_table()
    return np.asarray(hashed.column("h").to_numpy(), dtype=np.uint64)


def repeated(hashes: Hashes) -> npt.NDArray[np.bool_]:
    """Per hash, whether another row's hash equals it.

    The hashes are sorted once (a vectorised sort of 64-bit numbers); when no two neighbours are
    equal, no hash repeats. Otherwise their order is taken too, and both rows of every equal pair
    are marked.
    """
    shared = np.zeros(len(hashes), dtype=bool)
    ordered = np.sort(hashes)
    if not (ordered[1:] == ordered[:-1]).any():
        return shared
    order = np.argsort(hashes)
    equal = hashes[order[1:]] == hashes[order[:-1]]
    shared[order[1:][equal]] = True
    shared[order[:-1][equal]] = True
    return shared
