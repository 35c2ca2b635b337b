"""Read one landed batch for the gate: its keys first, then its rows in chunks, from one snapshot.

Both reads are pinned to the same Iceberg snapshot and filtered on the batch id, so they see the
same rows in the same order; a row's position in the batch is its index in that order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import pyarrow as pa
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import ArrowScan
from pyiceberg.table import DataScan, FileScanTask

from huiliu.contracts.model import DatasetContract
from huiliu.errors import LakeError
from huiliu.lake.catalog import lake_table
from huiliu.quality.row_filters import column_equals
from huiliu.settings import Settings


class BatchScan:
    """The rows of one landing batch, read as of the table's current snapshot."""

    def __init__(self, contract: DatasetContract, batch_id: str, settings: Settings) -> None:
        self.contract = contract
        self.batch_id = batch_id
        self.table = lake_table(contract.landing_table, settings=settings)
        snapshot = self.table.current_snapshot()
        self.snapshot_id = snapshot.snapshot_id if snapshot else None
        self._tasks: list[FileScanTask] | None = None
        self._tasks_lock = threading.Lock()

    def _scan(self, columns: Sequence[str] = ("*",)) -> DataScan:
        return self.table.scan(
            row_filter=column_equals("_batch_id", self.batch_id),
            selected_fields=tuple(columns),
            snapshot_id=self.snapshot_id,
        )

    def _only_this_batch(self, task: FileScanTask) -> bool:
        """The file's statistics show every row of it is of this batch."""
        field = self.table.schema().find_field("_batch_id").field_id
        wanted = self.batch_id.encode()
        data = task.file
        return (
            not task.delete_files
            and data.lower_bounds.get(field) == wanted
            and data.upper_bounds.get(field) == wanted
            and data.null_value_counts.get(field) == 0
        )

    def _reader(self, columns: Sequence[str] = ("*",)) -> tuple[ArrowScan, list[FileScanTask], bool]:
        """pyiceberg's reader over the batch's data files, in plan order, and whether it reads
        them whole. When every file's statistics show it holds only this batch (the writers keep
        full ``_batch_id`` bounds), rows are not filtered one by one: a filter that keeps every row
        still copies every row."""
        scan = self._scan(columns)
        tasks = self._planned()
        whole = bool(tasks) and all(self._only_this_batch(task) for task in tasks)
        row_filter = AlwaysTrue() if whole else scan.row_filter
        reader = ArrowScan(scan.table_metadata, scan.io, scan.projection(), row_filter, scan.case_sensitive)
        return reader, tasks, whole

    def planned_rows(self) -> int:
        """Rows in the data files the batch's scan reads: its row count when each file holds only
        this batch, as huiliu's writers make them (a file shared with other batches counts whole)."""
        if self.snapshot_id is None:
            return 0
        return sum(task.file.record_count for task in self._planned())

    def _planned(self) -> list[FileScanTask]:
        """The batch's data files at the pinned snapshot, planned once (keys and chunks share them)."""
        with self._tasks_lock:
            if self._tasks is None:
                self._tasks = list(self._scan().plan_files())
            return self._tasks

    def _table(self, columns: Sequence[str]) -> pa.Table:
        reader, tasks, _ = self._reader(columns)
        return reader.to_table(tasks) if tasks else self._scan(columns).to_arrow()

    def columns(self, names: Sequence[str]) -> pa.Table:
        """A few columns of every row of the batch, in batch order."""
        if self.snapshot_id is None:
            return pa.table({n: pa.array([], pa.string()) for n in names})
        return self._table(list(dict.fromkeys(names)))

    def all_rows(self) -> pa.Table:
        if self.snapshot_id is None:
            return pa.table({})
        return self._table(("*",))

    def record_batches(self) -> Iterator[pa.RecordBatch]:
        """Every row as record batches, one data file at a time (pyiceberg's own reader reads all
        files of a scan at once, which would hold the whole batch in memory)."""
        reader, tasks, _ = self._reader()
        for task in tasks:
            yield from reader.to_record_batches([task])

    def chunks(self, rows: int) -> Iterator[pa.Table]:
        """The batch's rows as tables of up to ``rows`` rows each, in batch order (see ``file_chunks``)."""
        return (chunk.rows for chunk in self.file_chunks(rows))

    def file_chunks(self, rows: int, columns: Sequence[str] | None = None) -> Iterator[Chunk]:
        """The batch's rows in chunks of up to ``rows`` rows, in batch order, each column in one
        contiguous array (validation is slower over many small pieces), cut at data file ends: a
        chunk holds several whole files, or one part of a file of more than ``rows`` rows (cut
        into near-equal parts). Each chunk says which rows came from which file. ``columns``:
        only these columns (the others can be read per file with ``file_columns``)."""
        if self.snapshot_id is None:
            return
        reader, tasks, whole = self._reader(("*",) if columns is None else list(dict.fromkeys(columns)))
        pending = _PendingChunk()
        for task in tasks:
            expected = task.file.record_count  # exact when whole; at most that when filtered
            if pending.size and pending.size + expected > rows:
                yield pending.take()
            part = -(-expected // -(-expected // rows)) if expected > rows else rows
            source = _FileSource(task.file.file_path, whole)
            for record_batch in reader.to_record_batches([task]):
                while pending.size + record_batch.num_rows > part and expected > rows:
                    head = part - pending.size
                    pending.add(record_batch.slice(0, head), source)
                    yield pending.take()
                    record_batch = record_batch.slice(head)
                pending.add(record_batch, source)
            pending.end_file(task.file.file_path)
            if expected > rows and pending.size:
                yield pending.take()
        if pending.size:
            yield pending.take()

    def file_columns(self, path: str, columns: Sequence[str]) -> pa.Table:
        """Some columns of the batch's rows in one of its data files, in the order ``file_chunks``
        reads them."""
        reader, tasks, _ = self._reader(list(dict.fromkeys(columns)))
        task = next((t for t in tasks if t.file.file_path == path), None)
        if task is None:
            raise LakeError(f"data file {path} is not one of batch {self.batch_id}'s files")
        return reader.to_table([task])


class OtherColumns:
    """Completes rows read with some columns only (``BatchScan.file_chunks(rows, columns)``) with
    the batch's other columns, read from their data file when asked. A file's other columns are read
    once, whether its rows are asked for in one piece or several, from one thread or several: the
    last ``FILES_KEPT`` files' stay in memory. Safe to call from several threads at once."""

    FILES_KEPT = 2

    def __init__(self, scan: BatchScan, columns: Sequence[str] | None) -> None:
        self.scan = scan
        self.names = scan.table.schema().column_names
        self.other = [] if columns is None else [n for n in self.names if n not in set(columns)]
        self._files: dict[str, pa.Table] = {}
        self._lock = threading.Lock()

    def _file(self, path: str) -> pa.Table:
        with self._lock:
            table = self._files.pop(path, None)
            if table is None:
                while len(self._files) >= self.FILES_KEPT:
                    self._files.pop(next(iter(self._files)))
                table = self.scan.file_columns(path, self.other)
            self._files[path] = table  # the most recently used last
            return table

    def complete(self, rows: pa.Table, piece: FilePiece) -> pa.Table:
        """``rows`` (the rows of ``piece``) with every column of the table, in its order."""
        if not self.other:
            return rows
        other = self._file(piece.path).slice(piece.file_start, rows.num_rows)
        columns = {n: rows.column(n) for n in rows.column_names}
        columns.update((n, other.column(n)) for n in self.other)
        return pa.table({n: columns[n] for n in self.names})


@dataclass(frozen=True)
class FilePiece:
    """Rows ``[start, stop)`` of a chunk, read from one landing data file, where they are the
    batch's rows from ``file_start`` on.

    ``unfiltered``: the file holds only this batch and was read whole, so its rows are exactly the
    rows of its pieces; ``ends_file``: this piece holds the file's last rows.
    """

    path: str
    start: int
    stop: int
    unfiltered: bool
    ends_file: bool
    file_start: int = 0


@dataclass
class _FileSource:
    """The data file record batches are being read from, and how many of its rows came so far."""

    path: str
    unfiltered: bool
    rows_read: int = 0


@dataclass(frozen=True)
class Chunk:
    rows: pa.Table
    pieces: tuple[FilePiece, ...]


@dataclass
class _PendingChunk:
    """Record batches gathered for the next chunk, and the file pieces they came from."""

    batches: list[pa.RecordBatch] = field(default_factory=list)
    pieces: list[FilePiece] = field(default_factory=list)
    size: int = 0

    def add(self, batch: pa.RecordBatch, source: _FileSource) -> None:
        if batch.num_rows == 0:
            return
        self.batches.append(batch)
        last = self.pieces[-1] if self.pieces else None
        if last is not None and last.path == source.path and not last.ends_file:
            self.pieces[-1] = replace(last, stop=last.stop + batch.num_rows)
        else:
            start, stop = self.size, self.size + batch.num_rows
            piece = FilePiece(source.path, start, stop, source.unfiltered, False, source.rows_read)
            self.pieces.append(piece)
        self.size += batch.num_rows
        source.rows_read += batch.num_rows

    def end_file(self, path: str) -> None:
        """The file's rows are all read: its piece in this chunk (if any) ends it."""
        if self.pieces and self.pieces[-1].path == path:
            self.pieces[-1] = replace(self.pieces[-1], ends_file=True)

    def take(self) -> Chunk:
        chunk = Chunk(pa.Table.from_batches(self.batches).combine_chunks(), tuple(self.pieces))
        self.batches, self.pieces, self.size = [], [], 0
        return chunk


def check_same_rows(chunk: pa.Table, keys: pa.Table, offset: int, key: Sequence[str]) -> None:
    """Guard: the chunk's keys are the keys read first at the same positions."""
    expected = keys.slice(offset, chunk.num_rows)
    for name in key:
        got, want = chunk.column(name), expected.column(name)
        if not got.equals(want.cast(got.type)):
            raise LakeError(
                f"landing batch rows changed order between two reads of the same snapshot ({name}); "
                "re-run the quality gate"
            )


def data_frame(
    contract: DatasetContract, rows: pa.Table, offset: int, unread: pa.Schema | None = None
) -> pd.DataFrame:
    """The contract's columns as a pandas frame indexed by batch position (strings stay Arrow).

    ``unread``: columns left out of ``rows`` because no expectation reads their values; they are
    in the frame as nulls of their type, so that checks of the column set still see them."""
    if unread is not None:
        for name in unread.names:
            rows = rows.append_column(unread.field(name), pa.nulls(rows.num_rows, unread.field(name).type))
    frame = rows.select([c.name for c in contract.columns]).to_pandas(date_as_object=False)
    frame.index = pd.RangeIndex(offset, offset + len(frame))
    return frame
