"""Stage Parquet files for one batch, then commit them to an Iceberg table in one transaction.

Nothing is visible until ``commit``: data files are written first, and the commit atomically
removes any earlier rows of the same batch id (so a re-run replaces, never duplicates) and adds
the new files. Files are committed in the order their writes were reserved (``reserve``), not the
order writer threads happened to start them, so the same batch gated twice reads back in the same
row order. ``abort`` deletes the staged files; a crash before commit leaves only unreferenced
files behind, never a partial batch.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.expressions import EqualTo, Reference
from pyiceberg.expressions.literals import literal
from pyiceberg.io import OutputStream
from pyiceberg.table import Table

from huiliu.lake.atomic_catalog import in_group_commit

log = logging.getLogger(__name__)
ROWS_PER_FILE = 500_000  # files the gates can read one at a time
ROW_GROUP_ROWS = 131_072  # rows per Parquet row group of a file written from a whole table
COPY_BUFFER_BYTES = 8 << 20
DICTIONARY_SAMPLE_ROWS = 8_192  # rows looked at to tell whether a column repeats its values
DICTIONARY_MIN_SAMPLE = 1_024  # fewer rows than this tell nothing: every column gets a dictionary
DICTIONARY_MAX_DISTINCT = 0.5  # share of distinct values in the sample above which no dictionary


def dictionary_columns(rows: pa.Table | pa.RecordBatch) -> list[str]:
    """Columns worth dictionary-encoding: those whose first rows repeat their values.

    A column of mostly distinct values (IDs, names, addresses, phone numbers) gains nothing from a
    dictionary; Parquet writers build one anyway and only give up once it is full, for every row
    group, which costs about a fifth of the write and makes the file larger.
    """
    sample = rows.slice(0, DICTIONARY_SAMPLE_ROWS)
    if sample.num_rows < DICTIONARY_MIN_SAMPLE:
        return list(rows.schema.names)
    limit = DICTIONARY_MAX_DISTINCT * sample.num_rows
    return [
        name
        for name, column in zip(sample.schema.names, sample.columns, strict=True)
        if pc.count_distinct(column, mode="all").as_py() <= limit
    ]


def _parquet_writer(stream: object, schema: pa.Schema, rows: pa.Table | pa.RecordBatch) -> pq.ParquetWriter:
    return pq.ParquetWriter(stream, schema, compression="zstd", use_dictionary=dictionary_columns(rows))


def _rows_of(batch_id: str) -> EqualTo:
    """The filter of a batch's rows: ``_batch_id = batch_id``."""
    # EqualTo("_batch_id", batch_id) builds the same predicate, but type checkers see only the model's fields
    return EqualTo(term=Reference("_batch_id"), value=literal(batch_id))


@dataclass(frozen=True)
class CommittedBatch:
    """What a commit made visible."""

    table: str
    batch_id: str
    rows: int
    files: int
    bytes: int
    snapshot_id: int | None


class StagedBatchWriter:
    """Write Arrow batches of one landing batch to Parquet, then commit or abort."""

    def __init__(
        self, table: Table, batch_id: str, schema: pa.Schema, rows_per_file: int | None = None
    ) -> None:
        self.table = table
        self.batch_id = batch_id
        self.schema = schema
        self.rows_per_file = rows_per_file or ROWS_PER_FILE
        self.rows = 0
        self._staged: list[tuple[int, int, str]] = []  # (reserved slot, part of it, path)
        self._slots = 0
        self._writer: pq.ParquetWriter | None = None
        self._stream: OutputStream | None = None
        self._rows_in_file = 0
        self._committed = False
        self._lock = threading.Lock()

    def _safe_batch_dir(self) -> str:
        return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.batch_id)

    def _new_path(self) -> str:
        return f"{self.table.location()}/data/{self._safe_batch_dir()}/{uuid.uuid4().hex}.parquet"

    def reserve(self) -> int:
        """A place in the committed file order for a write yet to start (call in submission order)."""
        with self._lock:
            self._slots += 1
            return self._slots - 1

    def _stage(self, path: str, slot: int, part: int = 0) -> None:
        with self._lock:
            self._staged.append((slot, part, path))

    @property
    def staged_files(self) -> list[str]:
        """The staged files' paths, in reserved order (the order they are committed in)."""
        with self._lock:
            return [path for _, _, path in sorted(self._staged)]

    def _open_file(self, first: pa.RecordBatch) -> pq.ParquetWriter:
        path = self._new_path()
        self._stream = self.table.io.new_output(path).create(overwrite=True)
        self._writer = writer = _parquet_writer(self._stream, self.schema, first)
        self._stage(path, self.reserve())
        self._rows_in_file = 0
        return writer

    def _close_file(self) -> None:
        if self._writer is not None and self._stream is not None:  # opened together
            self._writer.close()
            self._stream.close()
            self._writer = None
            self._stream = None

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one record batch to the staged files (each of exactly ``rows_per_file`` rows
        but the last, so that a reader can take a file whole as one chunk)."""
        while batch.num_rows:
            writer = self._writer
            if writer is None or self._rows_in_file >= self.rows_per_file:
                self._close_file()
                writer = self._open_file(batch)
            part = batch.slice(0, self.rows_per_file - self._rows_in_file)
            writer.write_batch(part)
            self._rows_in_file += part.num_rows
            self.rows += part.num_rows
            batch = batch.slice(part.num_rows)

    def write_file(
        self,
        rows: pa.Table,
        row_group_rows: int = ROW_GROUP_ROWS,
        keep: np.ndarray | None = None,
        slot: int | None = None,
    ) -> None:
        """Write a table, however it is chunked, to files of its own (at most ``rows_per_file``
        rows each, in row groups of up to ``row_group_rows``). Given ``keep``, only the rows where
        it is True are written: each row group is filtered on its own as it is written, so the
        table is never copied whole. Safe to call from several threads at once, each writing its
        own files; ``slot`` (from :meth:`reserve`) places them in the committed order."""
        slot = self.reserve() if slot is None else slot
        for part_number, start in enumerate(range(0, rows.num_rows, self.rows_per_file)):
            part = rows.slice(start, self.rows_per_file)
            wanted = None if keep is None else keep[start : start + part.num_rows]
            if wanted is not None and not wanted.any():
                continue
            path = self._new_path()
            self._stage(path, slot, part_number)
            written = 0
            with (
                self.table.io.new_output(path).create(overwrite=True) as stream,
                _parquet_writer(stream, self.schema, part) as writer,
            ):
                for group in range(0, part.num_rows, row_group_rows):
                    piece = part.slice(group, row_group_rows)
                    if wanted is not None and not wanted[group : group + piece.num_rows].all():
                        piece = piece.filter(pa.array(wanted[group : group + piece.num_rows]))
                    if piece.num_rows:
                        writer.write_table(piece, row_group_size=row_group_rows)
                        written += piece.num_rows
            with self._lock:
                self.rows += written

    def copy_file(self, source: str, rows: int, slot: int | None = None) -> None:
        """Stage a byte-for-byte copy of an existing Parquet data file of ``rows`` rows whose
        columns already are this table's (see ``same_columns``). Safe from several threads at once;
        ``slot`` (from :meth:`reserve`) places it in the committed order."""
        path = self._new_path()
        self._stage(path, self.reserve() if slot is None else slot)
        io = self.table.io
        with io.new_input(source).open() as original, io.new_output(path).create(overwrite=True) as copy:
            shutil.copyfileobj(original, copy, COPY_BUFFER_BYTES)
        with self._lock:
            self.rows += rows

    def same_columns(self, path: str) -> bool:
        """The Parquet file at ``path`` has this writer's column names and types, in order."""
        with self.table.io.new_input(path).open() as stream:
            written = pq.read_schema(stream)
        return [(f.name, f.type) for f in written] == [(f.name, f.type) for f in self.schema]

    def commit(self, properties: dict[str, str] | None = None) -> CommittedBatch:
        """Atomically replace this batch id's rows with the staged files."""
        self._close_file()
        files = self.staged_files
        size = sum(len(self.table.io.new_input(p)) for p in files)
        summary = {"huiliu.batch_id": self.batch_id, **(properties or {})}
        before = self.table.current_snapshot()
        try:
            with self.table.transaction() as tx, warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Delete operation did not match any records")
                if self._table_may_hold_batch():
                    tx.delete(_rows_of(self.batch_id), snapshot_properties=summary)
                if files:
                    tx.add_files(files, snapshot_properties=summary)
        except Exception:
            grouped = in_group_commit(self.table)
            if not grouped and self._commit_landed(before.snapshot_id if before else None):
                log.warning("batch %s: commit reported an error but is in the table", self.batch_id)
            else:
                raise
        self._committed = True
        snapshot = self._current_snapshot_id()
        return CommittedBatch(
            table=".".join(self.table.name()),
            batch_id=self.batch_id,
            rows=self.rows,
            files=len(files),
            bytes=size,
            snapshot_id=snapshot,
        )

    def _table_may_hold_batch(self) -> bool:
        """Whether a data file of the table may hold rows of this batch (by its ``_batch_id``
        bounds). A transaction's delete costs as much as the rest of the commit even when it
        matches nothing, and a batch's first commit has nothing to replace."""
        if self.table.current_snapshot() is None:
            return False
        scan = self.table.scan(row_filter=_rows_of(self.batch_id), selected_fields=("_batch_id",))
        return next(iter(scan.plan_files()), None) is not None

    def _current_snapshot_id(self) -> int | None:
        """The snapshot the commit made (inside a group commit: the one it will make visible)."""
        if in_group_commit(self.table):
            snapshot = self.table.current_snapshot()
            return snapshot.snapshot_id if snapshot else None
        try:
            self.table.refresh()
        except Exception:
            log.warning("batch %s: committed, but the table could not be re-read", self.batch_id)
        snapshot = self.table.current_snapshot()
        return snapshot.snapshot_id if snapshot else None

    def _commit_landed(self, previous_snapshot: int | None) -> bool:
        """After an error from the catalog: did our commit reach the table anyway?"""
        try:
            self.table.refresh()
        except Exception:
            self._committed = True
            return False
        snapshot = self.table.current_snapshot()
        if snapshot is None or snapshot.snapshot_id == previous_snapshot or snapshot.summary is None:
            return False
        return snapshot.summary.additional_properties.get("huiliu.batch_id") == self.batch_id

    def abort(self) -> None:
        """Drop the staged files; the table is untouched. Does nothing once the batch is committed."""
        self._close_file()
        if self._committed:
            return
        for path in self.staged_files:
            try:
                self.table.io.delete(path)
            except OSError:  # already gone, or storage refused: unreferenced either way
                log.warning("could not delete staged file of batch %s", self.batch_id)
        with self._lock:
            self._staged.clear()
            self.rows = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()
