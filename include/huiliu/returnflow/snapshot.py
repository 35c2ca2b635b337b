"""One snapshot of a curated table, read in a fixed order: a few columns first, then every row in batches.

Both reads are pinned to the same Iceberg snapshot, skip the rows of quarantine releases still in
flight, and visit the snapshot's data files in one planned order, so a row's position is the same in
both. Both lay the dataset's accepted corrections over the rows (:mod:`huiliu.returnflow.overlay`).
Curated keeps every gated batch side by side; :meth:`CuratedSnapshot.current` marks the latest
version of each record (by ``_ingested_at``, then the contract's cursor), the one that is returned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import (
    ArrowScan,
    UnsupportedPyArrowTypeException,
    pyarrow_to_schema,
    schema_to_pyarrow,
)
from pyiceberg.manifest import FileFormat
from pyiceberg.table import FileScanTask, Table

from huiliu.arrow_text import is_plain_text
from huiliu.contracts.model import DatasetContract
from huiliu.errors import LakeError
from huiliu.lake import key_index
from huiliu.lake.catalog import lake_table
from huiliu.memory import give_back_memory
from huiliu.quality.records import curated_row_filter
from huiliu.returnflow.key_hashes import Hashes, hash_function, key_hashes, repeated
from huiliu.returnflow.overlay import Overlay
from huiliu.sql_identifiers import quote_identifier

_SCHEMAS_KEPT = 4096
_STORED_SCHEMAS: dict[str, pa.Schema] = {}
_SCHEMAS_LOCK = threading.Lock()

INGESTED_AT = "_ingested_at"
TECHNICAL_COLUMNS = ("_batch_id", "_ingested_at", "_source")
"""Columns huiliu adds when landing; they are never returned to a unit."""


@dataclass(frozen=True)
class _PlainFiles:
    """A snapshot's data files PyArrow alone may read, in order, and whether each column read is
    optional (may hold nulls) in the snapshot's schema."""

    tasks: list[FileScanTask]
    optional: dict[str, bool]

    @property
    def paths(self) -> list[str]:
        return [task.file.file_path for task in self.tasks]


class _DictionaryReads(logging.Filter):
    """Drops PyIceberg's notice that a column read as a dictionary is typed as its values."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Iceberg does not have a dictionary type")


logging.getLogger("pyiceberg.io.pyarrow").addFilter(_DictionaryReads())


class CuratedSnapshot:
    """``curated.<dataset>`` as of one snapshot (the current one when none is named)."""

    def __init__(
        self, contract: DatasetContract, snapshot_id: int | None = None, overlay: Overlay | None = None
    ) -> None:
        self.contract = contract
        self.overlay = overlay or Overlay(key=tuple(contract.schema_.primary_key))
        try:
            self.table: Table = lake_table(contract.curated_table)
        except LakeError as exc:
            raise LakeError(
                f"{contract.curated_table} cannot be read ({exc}); land {contract.name} and pass it through "
                f"the quality gate (DAG ingest_{contract.name}) before returning it"
            ) from None
        snapshot = self.table.snapshot_by_id(snapshot_id) if snapshot_id else self.table.current_snapshot()
        if snapshot_id and snapshot is None:
            raise LakeError(f"{contract.curated_table} has no snapshot {snapshot_id}")
        self.snapshot_id: int | None = snapshot.snapshot_id if snapshot else None
        self.committed_at: datetime | None = (
            datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC) if snapshot else None
        )
        self._row_filter = curated_row_filter(contract.name)
        self._tasks: list[FileScanTask] | None = None
        self._planning = threading.Lock()  # two readers of one snapshot (keys and columns) share one plan

    def _scan(self, columns: Sequence[str]):  # type: ignore[no-untyped-def]
        return self.table.scan(
            row_filter=self._row_filter, selected_fields=tuple(columns), snapshot_id=self.snapshot_id
        )

    def _planned(self) -> list[FileScanTask]:
        with self._planning:
            if self._tasks is None:
                self._tasks = [] if self.snapshot_id is None else list(self._scan(("*",)).plan_files())
            return self._tasks

    def _reader(self, columns: Sequence[str], dictionaries: Sequence[str] = ()) -> ArrowScan:
        scan = self._scan(columns)
        return ArrowScan(
            scan.table_metadata,
            scan.io,
            scan.projection(),
            scan.row_filter,
            scan.case_sensitive,
            dictionary_columns=tuple(dictionaries),
        )

    @property
    def column_names(self) -> list[str]:
        return self.table.schema().column_names

    def _corrected(self, names: Sequence[str]) -> bool:
        return any(n in self.overlay.values for n in names)

    def _text_columns(self, dictionaries: Sequence[str], *, among: set[str]) -> list[str]:
        """The columns of ``dictionaries`` among ``among`` that hold plain text: those read as
        dictionary arrays."""
        schema = self.table.schema().as_arrow()
        return [n for n in dict.fromkeys(dictionaries) if n in among and is_plain_text(schema.field(n).type)]

    def _no_rows(self, names: Sequence[str]) -> pa.Table:
        """These columns, empty, in the table's types."""
        schema = self.table.schema().as_arrow()
        return pa.table({n: pa.array([], schema.field(n).type) for n in names})

    def columns(self, names: Sequence[str], *, dictionaries: Sequence[str] = ()) -> pa.Table:
        """Some columns of every row, in the snapshot's row order, with the overlay's corrections.

        Args:
            names: the columns.
            dictionaries: text columns among ``names`` to return as dictionary arrays, read from
                Parquet's dictionary pages without decoding every value (a column the overlay
                corrects, or one not of text, is returned as values).
        """
        names = list(dict.fromkeys(names))
        corrected = self._corrected(names)
        read = list(dict.fromkeys([*names, *self.overlay.key])) if corrected else names
        untouched = set(names) - set(self.overlay.values) - (set(self.overlay.key) if corrected else set())
        encoded = self._text_columns(dictionaries, among=untouched)
        files = self._plain_files(read)
        if files is not None:
            parts = [
                b
                for path in files.paths
                for b in self._read_file(path, read, encoded, files.optional).to_batches()
            ]
        else:
            reader = self._reader(read, encoded)
            parts = [batch for task in self._planned() for batch in reader.to_record_batches([task])]
        if not parts:
            return self._no_rows(names)
        return self.overlay.apply(_one_table(_as_dictionaries(parts, encoded))).select(names)

    def columns_and_current(
        self, names: Sequence[str], *, dictionaries: Sequence[str] = (), worker: Executor
    ) -> tuple[pa.Table, Future[Hashes], Future[np.ndarray]] | None:
        """:meth:`columns`, each row's key hash and :meth:`current` of them, from one read of each
        data file.

        A file's key hashes are taken from its index (:mod:`huiliu.lake.key_index`) when it has
        one; otherwise its key column is read with the other columns, hashed on ``worker`` while
        the next file is read, and kept in the file's index. The current versions are found on
        ``worker`` once every file's hashes are taken: while the columns are read, when every file
        is indexed. The columns are returned once read; the hashes and current versions as futures.

        None when the snapshot's files need PyIceberg's reader (:meth:`_plain_files`) or the
        overlay corrects one of these columns or the key.
        """
        names = list(dict.fromkeys(names))
        key = list(self.contract.schema_.primary_key)
        read = list(dict.fromkeys([*names, *key]))
        if self._corrected(read):
            return None
        files = self._plain_files(read)
        if files is None:
            return None
        indexes = self._kept_hashes(files, key)
        taken = [_done(hashed) for _, _, hashed in indexes if hashed is not None]
        found = (
            self._finding_current(taken, worker) if len(taken) == len(indexes) else None
        )  # during the read
        encoded = self._text_columns(dictionaries, among=set(names))
        parts: list[pa.RecordBatch] = []
        hashes: list[Future[Hashes]] = []
        for task, file, hashed in indexes:
            wanted = read if hashed is None else names
            rows = self._read_file(task.file.file_path, wanted, encoded, files.optional)
            if hashed is None:
                hashes.append(worker.submit(_hashed_and_kept, rows.select(key).to_batches(), file))
            else:
                hashes.append(_done(hashed))
            parts.extend(rows.select(names).to_batches())
            del rows
        every, current = found or self._finding_current(hashes, worker)
        columns = _one_table(_as_dictionaries(parts, encoded)) if parts else self._no_rows(names)
        return columns, every, current

    def _finding_current(
        self, hashes: list[Future[Hashes]], worker: Executor
    ) -> tuple[Future[Hashes], Future[np.ndarray]]:
        """The files' hashes joined, and the current versions found from them, both on ``worker``."""
        every = worker.submit(_joined, hashes)
        return every, worker.submit(lambda: self.current(every.result()))

    def _kept_hashes(
        self, files: _PlainFiles, key: Sequence[str]
    ) -> list[tuple[FileScanTask, key_index.IndexedFile, Hashes | None]]:
        """Each file, as its key-hash index names it, and its key hashes from that index (None:
        the file has no index that matches it)."""
        named = [(task, self._indexed(task, key)) for task in files.tasks]
        return [(task, file, key_index.load(file)) for task, file in named]

    def _indexed(self, task: FileScanTask, key: Sequence[str]) -> key_index.IndexedFile:
        """A data file of the snapshot as its key-hash index names it."""
        path = task.file.file_path
        return key_index.IndexedFile(
            location=path,
            size=task.file.file_size_in_bytes,
            rows=task.file.record_count,
            key=tuple(key),
            function=hash_function(self._stored_schema(path), key),
        )

    def _plain_files(self, names: Sequence[str]) -> _PlainFiles | None:
        """The snapshot's data files, in order, when PyArrow alone reads these columns of them
        exactly as PyIceberg's reader would (None: PyIceberg must read them).

        That holds when no row is filtered out (no release in flight) and, in every file, no row is
        deleted, and each column is stored under its current name, with its field id (written, or
        given by the table's name mapping) and its type as the snapshot's schema has them, in the
        Arrow type PyIceberg would hand on (text as stored, anything else needing no cast).
        """
        if not isinstance(self._row_filter, AlwaysTrue):
            return None
        projected = self._scan(names).projection()
        wanted = [projected.find_field(n) for n in names]
        as_read = schema_to_pyarrow(projected)
        mapping = self.table.metadata.name_mapping()
        tasks = []
        for task in self._planned():
            if task.delete_files or task.file.file_format != FileFormat.PARQUET:
                return None
            physical = self._stored_schema(task.file.file_path)
            try:
                in_file = pyarrow_to_schema(
                    physical,
                    mapping,
                    downcast_ns_timestamp_to_us=True,
                    format_version=self.table.metadata.format_version,
                )
                stored_fields = [in_file.find_field(field.field_id) for field in wanted]
            except (ValueError, UnsupportedPyArrowTypeException):
                return None  # no field ids and no mapping, a column the file lacks, a type of no Iceberg type
            for field, stored_field in zip(wanted, stored_fields, strict=True):
                if (stored_field.name, stored_field.field_type) != (field.name, field.field_type):
                    return None
                stored_type, read_type = physical.field(field.name).type, as_read.field(field.name).type
                if stored_type != read_type and not (is_plain_text(stored_type) and is_plain_text(read_type)):
                    return None  # PyIceberg would cast it; text it hands on as stored
            tasks.append(task)
        return _PlainFiles(tasks=tasks, optional={field.name: field.optional for field in wanted})

    def _stored_schema(self, path: str) -> pa.Schema:
        """The Arrow schema a data file stores (from its footer; a data file never changes, so each
        is read once per process, up to :data:`_SCHEMAS_KEPT` of them)."""
        with _SCHEMAS_LOCK:
            known = _STORED_SCHEMAS.get(path)
        if known is None:
            with self.table.io.new_input(path).open() as stored:
                known = pq.read_schema(stored)
            with _SCHEMAS_LOCK:
                if len(_STORED_SCHEMAS) >= _SCHEMAS_KEPT:
                    _STORED_SCHEMAS.clear()
                _STORED_SCHEMAS[path] = known
        return known

    def _read_file(
        self, path: str, names: Sequence[str], dictionaries: Sequence[str], optional: dict[str, bool]
    ) -> pa.Table:
        """Some columns of one data file, read by PyArrow (``dictionaries`` as dictionary arrays),
        their fields as PyIceberg hands them on: nullable as the snapshot's schema says, without
        the file's field metadata."""
        with self.table.io.new_input(path).open() as stored:
            rows = pq.read_table(stored, columns=list(names), read_dictionary=list(dictionaries))
        fields = [pa.field(n, rows.schema.field(n).type, nullable=optional[n]) for n in names]
        return pa.Table.from_arrays(rows.columns, schema=pa.schema(fields))

    def record_batches(self, names: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows (or some columns of them) in the same order, one data file at a time."""
        for batches in self._file_batches(names):
            yield from batches

    def _file_batches(self, names: Sequence[str] | None = None) -> Iterator[Iterator[pa.RecordBatch]]:
        """Per data file of the snapshot, in order, its rows (or some columns of them) in batches."""
        wanted = None if names is None else list(dict.fromkeys(names))
        corrected = self._corrected(wanted or self.column_names)
        read = wanted if wanted is None or not corrected else [*wanted, *self.overlay.key]
        reader = self._reader(("*",) if read is None else list(dict.fromkeys(read)))

        def batches_of(task: FileScanTask) -> Iterator[pa.RecordBatch]:
            for batch in reader.to_record_batches([task]):
                if corrected:
                    fixed = self.overlay.apply(pa.Table.from_batches([batch]))
                    batch = fixed.select(wanted or fixed.column_names).combine_chunks().to_batches()[0]
                yield batch

        for task in self._planned():
            yield batches_of(task)

    def chunks(self, rows: int) -> Iterator[tuple[int, pa.Table]]:
        """Every row in the same order, in tables of up to about ``rows`` rows, each with its offset.

        A chunk never spans two data files: the last chunk of a file is handed out before the next
        file is read, so a chunk in use never keeps a file's decoded rows alive beside the next's.
        """
        offset = 0
        for batches in self._file_batches():
            held = 0
            pending: list[pa.RecordBatch] = []
            for batch in batches:
                if pending and held + batch.num_rows > rows:
                    chunk, pending = pa.Table.from_batches(pending), []  # held only by the caller
                    yield offset, chunk
                    del chunk
                    offset, held = offset + held, 0
                pending.append(batch)
                held += batch.num_rows
            if pending:
                chunk, pending = pa.Table.from_batches(pending), []
                yield offset, chunk
                del chunk
                offset += held
            give_back_memory()  # the file's decoded rows are gone

    @property
    def rows(self) -> int:
        """Rows in the snapshot's planned files (an upper bound when a row filter leaves rows out)."""
        return sum(task.file.record_count for task in self._planned())

    def current(self, hashes: Hashes | None = None) -> np.ndarray:
        """Per row, whether it is the latest version of its record (ties: the first in row order).

        A first pass hashes each row's key (:mod:`huiliu.returnflow.key_hashes`, streamed: eight
        bytes a row are held), unless ``hashes`` were taken already (:meth:`columns_and_current`);
        a row whose key hash no other row shares is the only version of its record. Only the rows
        that share a hash are read again with their keys and ordered exactly (so a hash collision
        between two records never hides one of them).
        """
        key = list(self.contract.schema_.primary_key)
        if hashes is None:
            hashes = self._key_hashes(key)
        mask = np.ones(len(hashes), dtype=bool)
        shared = repeated(hashes)
        if not shared.any():
            return mask
        candidates = np.flatnonzero(shared)
        mask[candidates] = False
        cursor = self.contract.duplicate_order_column
        order = [INGESTED_AT, *([cursor] if cursor and cursor != INGESTED_AT else [])]
        versions = self._rows_at(candidates, [*key, *order])
        partition = ", ".join(quote_identifier(k) for k in key)
        ordering = ", ".join([*(f"{quote_identifier(o)} DESC NULLS LAST" for o in order), "_position"])
        with duckdb.connect() as conn:
            conn.register("versions", versions)
            latest = conn.sql(
                f"SELECT _position FROM versions QUALIFY row_number() OVER "
                f"(PARTITION BY {partition} ORDER BY {ordering}) = 1"
            ).fetchnumpy()["_position"]
        mask[np.asarray(latest, dtype=np.int64)] = True
        return mask

    def _key_hashes(self, key: Sequence[str]) -> np.ndarray:
        """Each row's key hashed to 64 bits, in row order (taken from the files' indexes where
        PyArrow alone reads the key, and kept there for files without one)."""
        files = None if self._corrected(key) else self._plain_files(key)
        if files is None:
            return key_hashes(self.record_batches(key), key)
        parts = [
            hashed
            if hashed is not None
            else _hashed_and_kept(
                self._read_file(task.file.file_path, key, (), files.optional).to_batches(), file
            )
            for task, file, hashed in self._kept_hashes(files, key)
        ]
        return np.concatenate(parts or [np.zeros(0, np.uint64)])

    def _rows_at(self, positions: np.ndarray, names: Sequence[str]) -> pa.Table:
        """Some columns of the rows at ``positions`` (sorted), with a ``_position`` column."""
        parts, offset = [], 0
        for batch in self.record_batches(list(dict.fromkeys(names))):
            lo, hi = np.searchsorted(positions, [offset, offset + batch.num_rows])
            if hi > lo:
                inside = positions[lo:hi]
                rows = pa.Table.from_batches([batch]).take(pa.array(inside - offset))
                parts.append(rows.append_column("_position", pa.array(inside, pa.int64())))
            offset += batch.num_rows
        return pa.concat_tables(parts)


def _hashed_and_kept(batches: list[pa.RecordBatch], file: key_index.IndexedFile) -> Hashes:
    """A data file's key hashes, kept in its index for the next reader."""
    hashes = key_hashes(batches, file.key)
    if len(hashes) == file.rows:  # the file as its manifest describes it
        key_index.keep(file, hashes)
    return hashes


def _done(hashes: Hashes) -> Future[Hashes]:
    """Hashes already taken, as a future."""
    done: Future[Hashes] = Future()
    done.set_result(hashes)
    return done


def _joined(hashes: list[Future[Hashes]]) -> Hashes:
    """The files' key hashes, in file order, once each is taken."""
    return np.concatenate([h.result() for h in hashes] or [np.zeros(0, np.uint64)])


def _one_table(batches: list[pa.RecordBatch]) -> pa.Table:
    """The batches as one table; a column whose files hold it in different types (text as
    ``string`` in one file and ``large_string`` in another, where a column was added after the
    first files were written) is cast to the type that holds both."""
    schemas = {batch.schema for batch in batches}
    if len(schemas) > 1:
        common = pa.unify_schemas(list(schemas), promote_options="permissive")
        batches = [b if b.schema == common else b.cast(common) for b in batches]
    return pa.Table.from_batches(batches)


def _as_dictionaries(batches: list[pa.RecordBatch], names: Sequence[str]) -> list[pa.RecordBatch]:
    """The batches with these columns as dictionary arrays of one type (a file that does not
    store a column as a dictionary yields its values)."""
    for name in names:
        kind = batches[0].schema.field(name).type
        kind = kind if pa.types.is_dictionary(kind) else pa.dictionary(pa.int32(), kind)
        for i, batch in enumerate(batches):
            index = batch.schema.get_field_index(name)
            if batch.column(index).type != kind:
                batches[i] = batch.set_column(index, pa.field(name, kind), batch.column(index).cast(kind))
    return batches
