"""Stage Parquet files for one batch, then commit them to an Iceberg table in one transaction.

Nothing is visible until ``commit``: data files are written first, and the commit atomically
removes any earlier rows of the same batch id (so a re-run replaces, never duplicates) and adds
the new files. ``abort`` deletes the staged files; a crash before commit leaves only unreferenced
files behind, never a partial batch.
"""

from __future__ import annotations

import logging
import threading
import uuid
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.expressions import EqualTo
from pyiceberg.table import Table

log = logging.getLogger(__name__)
ROWS_PER_FILE = 500_000  # files the gates can read one at a time
ROW_GROUP_ROWS = 131_072  # rows per Parquet row group of a file written from a whole table


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
        self, table: Table, batch_id: str, schema: pa.Schema, rows_per_file: int = ROWS_PER_FILE
    ) -> None:
        self.table = table
        self.batch_id = batch_id
        self.schema = schema
        self.rows_per_file = rows_per_file
        self.rows = 0
        self._files: list[str] = []
        self._writer: pq.ParquetWriter | None = None
        self._stream: object | None = None
        self._rows_in_file = 0
        self._committed = False
        self._lock = threading.Lock()

    def _safe_batch_dir(self) -> str:
        return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.batch_id)

    def _new_path(self) -> str:
        return f"{self.table.location()}/data/{self._safe_batch_dir()}/{uuid.uuid4().hex}.parquet"

    def _open_file(self) -> None:
        path = self._new_path()
        self._stream = self.table.io.new_output(path).create(overwrite=True)
        self._writer = pq.ParquetWriter(self._stream, self.schema, compression="zstd")
        with self._lock:
            self._files.append(path)
        self._rows_in_file = 0

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._stream.close()  # type: ignore[union-attr]
            self._writer = None
            self._stream = None

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one record batch to the staged files."""
        if batch.num_rows == 0:
            return
        if self._writer is None or self._rows_in_file >= self.rows_per_file:
            self._close_file()
            self._open_file()
        self._writer.write_batch(batch)  # type: ignore[union-attr]
        self._rows_in_file += batch.num_rows
        self.rows += batch.num_rows

    def write_file(self, rows: pa.Table, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        """Write a table, however it is chunked, to files of its own (at most ``rows_per_file``
        rows each, in row groups of up to ``row_group_rows``). Safe to call from several threads
        at once, each writing its own files."""
        for start in range(0, rows.num_rows, self.rows_per_file):
            part = rows.slice(start, self.rows_per_file)
            path = self._new_path()
            with self._lock:
                self._files.append(path)
            with (
                self.table.io.new_output(path).create(overwrite=True) as stream,
                pq.ParquetWriter(stream, self.schema, compression="zstd") as writer,
            ):
                writer.write_table(part, row_group_size=row_group_rows)
            with self._lock:
                self.rows += part.num_rows

    def commit(self, properties: dict[str, str] | None = None) -> CommittedBatch:
        """Atomically replace this batch id's rows with the staged files."""
        self._close_file()
        size = sum(len(self.table.io.new_input(p)) for p in self._files)
        summary = {"huiliu.batch_id": self.batch_id, **(properties or {})}
        before = self.table.current_snapshot()
        try:
            with self.table.transaction() as tx, warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Delete operation did not match any records")
                tx.delete(EqualTo("_batch_id", self.batch_id), snapshot_properties=summary)
                if self._files:
                    tx.add_files(self._files, snapshot_properties=summary)
        except Exception:
            if self._commit_landed(before.snapshot_id if before else None):
                log.warning("batch %s: commit reported an error but is in the table", self.batch_id)
            else:
                raise
        self._committed = True
        snapshot = self._current_snapshot_id()
        return CommittedBatch(
            table=".".join(self.table.name()),
            batch_id=self.batch_id,
            rows=self.rows,
            files=len(self._files),
            bytes=size,
            snapshot_id=snapshot,
        )

    def _current_snapshot_id(self) -> int | None:
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
        for path in self._files:
            try:
                self.table.io.delete(path)
            except OSError:  # already gone, or storage refused: unreferenced either way
                log.warning("could not delete staged file of batch %s", self.batch_id)
        with self._lock:
            self._files.clear()
            self.rows = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()
