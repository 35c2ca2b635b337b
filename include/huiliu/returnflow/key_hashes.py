"""64-bit hashes of records' keys, and which of them repeat: the rows that may be versions of one record.

Equal keys always hash alike; two different keys rarely do, and when they do, the rows only get a
closer look (the caller compares the keys of the rows whose hashes repeat). A text key is hashed
over its UTF-8 bytes, as 8-byte words, by a compiled loop (:func:`huiliu.row_passes.hash_texts`);
any other key by DuckDB's ``hash``. Either way one
hash function serves every row of a table, as it depends only on the key's type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from huiliu.arrow_text import is_plain_text, text_buffers
from huiliu.row_passes import hash_texts, mark_repeated
from huiliu.sql_identifiers import quote_identifier

Hashes = npt.NDArray[np.uint64]

TEXT_HASH = "text-words-1"
"""The version of :func:`huiliu.row_passes.hash_texts`; a change to it must change this name, so
that hashes kept by :mod:`huiliu.lake.key_index` are not taken for the new function's."""


def hash_function(schema: pa.Schema, key: Sequence[str]) -> str:
    """The name of the function that hashes this key (of these columns' types), as
    :func:`key_hashes` chooses it: text keys by huiliu's own loop, others by DuckDB's ``hash``
    (named with DuckDB's version, which may change it)."""
    if len(key) == 1 and is_plain_text(schema.field(key[0]).type):
        return TEXT_HASH
    types = ",".join(str(schema.field(k).type) for k in key)
    return f"duckdb-{duckdb.__version__}({types})"


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
    """A 64-bit hash of each text's UTF-8 bytes (0 for null), read from the array's buffers in one pass."""
    hashes = np.zeros(len(values), dtype=np.uint64)
    if not len(values):
        return hashes
    offsets, data = text_buffers(values)
    hash_texts(offsets, data, hashes)
    if values.null_count:
        hashes[np.asarray(values.is_null().to_numpy(zero_copy_only=False))] = 0
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
    """Per hash, whether another row's hash equals it (both rows of every equal pair are marked).

    The hashes are sorted once (a vectorised sort of 64-bit numbers); when no two neighbours are
    equal, no hash repeats. Otherwise one compiled pass through a hash table marks the rows
    (:func:`huiliu.row_passes.mark_repeated`), instead of ordering them.
    """
    if len(hashes) >= 2**31:
        raise ValueError(f"{len(hashes)} rows: a table's key hashes are marked for fewer than 2**31 rows")
    shared = np.zeros(len(hashes), dtype=bool)
    ordered = np.sort(hashes)
    if (ordered[1:] == ordered[:-1]).any():
        del ordered
        mark_repeated(hashes, shared)
    return shared
