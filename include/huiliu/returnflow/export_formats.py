"""The file formats a delivery is written in, each a streaming writer fed one record batch at a time.

* Parquet: the rows exactly as given (types, precision, nulls), for programs; each written batch is
  one row group, and between writes a file holds no rows, only up to :data:`SINK_BUFFER` bytes
  already encoded, so many open deliveries hold little. A
  column is dictionary-encoded when its first batch repeats values (at most half of its first
  1,024 values distinct):
  keyed hashes, names and addresses are not, since building a dictionary per row group that is
  then dropped costs more than the values.
* CSV: UTF-8 with a byte-order mark (so Excel and WPS read Chinese correctly), CRLF line ends,
  RFC 4180 quoting (pyarrow quotes every text value and doubles inner quotes; a null is an empty
  unquoted field, an empty text ``""``). The header holds the machine column names: the CSV is the
  file programs re-import, and the names are what the Parquet file, the manifest and the contract
  use; the Chinese titles are in the XLSX header and in the manifest's ``columns``. Formula-like
  text is neutralised (:mod:`huiliu.returnflow.spreadsheet_safety`); times are written in the
  city's time zone to the second (``YYYY-MM-DD HH:MM:SS``; finer parts are kept in the Parquet file).
* XLSX: :mod:`huiliu.returnflow.xlsx_export`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from huiliu.returnflow.checksummed import ChecksummedFile
from huiliu.returnflow.manifest import OutboxError
from huiliu.returnflow.spreadsheet_safety import is_text, neutralise_for_csv

BOM = b"\xef\xbb\xbf"


class OutputFormat(StrEnum):
    """A format a delivery's rows are written in; the value is the file extension."""

    PARQUET = "parquet"
    CSV = "csv"
    XLSX = "xlsx"


class FormatWriter(Protocol):
    """A file being written: batches in order, then closed (the file object stays the caller's)."""

    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


def plain(values: pa.Array) -> pa.Array:
    """Values with dictionary and view encodings undone (what the writers and regexes expect)."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_string_view(values.type):
        values = values.cast(pa.large_string())
    if pa.types.is_binary_view(values.type):
        values = values.cast(pa.large_binary())
    return values


def local_time(values: pa.Array, zone: str) -> pa.Array:
    """Timestamps as naive wall-clock times of ``zone`` (naive ones are taken to be in it already)."""
    type_ = values.type
    if not pa.types.is_timestamp(type_) or type_.tz is None:
        return values
    return pc.local_timestamp(values.cast(pa.timestamp(type_.unit, tz=zone)))


REPEATS_SAMPLE = 1024
"""Leading values of a file's first batch that decide whether a column is dictionary-encoded."""


def _repeats(column: pa.Array) -> bool:
    """Whether at most half of the leading :data:`REPEATS_SAMPLE` values are distinct (True for a type
    that cannot be counted)."""
    sample = column.slice(0, REPEATS_SAMPLE)
    try:
        return bool(2 * pc.count_distinct(plain(sample), mode="all").as_py() <= len(sample))
    except pa.ArrowNotImplementedError:
        return True


SINK_BUFFER = 1 << 16
"""Bytes a Parquet writer gathers before handing them to its file: its many small writes (page
headers, pages, statistics) then reach the Python file object, its checksum and the disk in a few
calls, and many open deliveries hold little."""


class ParquetExport:
    """Rows to a Parquet file, each written batch one row group (the same batches give the same bytes).

    The file is begun at the first batch, which decides the columns that are dictionary-encoded
    (``dictionary=False``: none).
    """

    def __init__(
        self, file: BinaryIO | ChecksummedFile, schema: pa.Schema, *, dictionary: bool = True
    ) -> None:
        self._file, self._schema, self._dictionary = file, schema, dictionary
        self._writer: pq.ParquetWriter | None = None
        self._sink: pa.NativeFile | None = None

    def _begin(self, first: pa.RecordBatch | None) -> pq.ParquetWriter:
        encoded: bool | list[str] = False
        if self._dictionary:
            encoded = [
                name
                for name, column in zip(self._schema.names, first.columns if first else [], strict=False)
                if _repeats(column)
            ]
        self._sink = pa.BufferedOutputStream(pa.PythonFile(self._file, mode="w"), buffer_size=SINK_BUFFER)
        return pq.ParquetWriter(self._sink, self._schema, use_dictionary=encoded)

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            if self._writer is None:
                self._writer = self._begin(batch)
            self._writer.write_batch(batch, row_group_size=batch.num_rows)

    def close(self) -> None:
        if self._writer is None:
            self._writer = self._begin(None)
        self._writer.close()
        assert self._sink is not None
        self._sink.close()  # the last gathered bytes reach the file


def _csv_type(field: pa.Field) -> pa.DataType:
    type_ = field.type
    if pa.types.is_dictionary(type_):
        type_ = type_.value_type
    if pa.types.is_string_view(type_):
        return pa.large_string()
    if pa.types.is_timestamp(type_):
        return pa.timestamp("s")
    if pa.types.is_nested(type_) or pa.types.is_binary(type_) or pa.types.is_large_binary(type_):
        raise OutboxError(f"column {field.name} of type {type_} cannot be written to CSV; deliver it as text")
    return type_


class CsvExport:
    """Rows to a CSV file for Excel and for programs (see the module docstring)."""

    def __init__(self, file: BinaryIO | ChecksummedFile, schema: pa.Schema, *, zone: str) -> None:
        self._zone = zone
        self._schema = pa.schema([pa.field(f.name, _csv_type(f)) for f in schema])
        # per column, what its values need before they are written (most columns: nothing)
        self._decoded = [pa.types.is_dictionary(f.type) or pa.types.is_string_view(f.type) for f in schema]
        self._text = [is_text(f.type) for f in self._schema]
        self._timed = [pa.types.is_timestamp(f.type) for f in self._schema]
        file.write(BOM)
        file.flush()
        options = pacsv.WriteOptions(eol="\r\n", quoting_style="needed")
        self._writer = pacsv.CSVWriter(file, self._schema, write_options=options)

    def _prepared(self, values: pa.Array, i: int) -> pa.Array:
        if self._decoded[i]:
            values = plain(values)
        if self._text[i]:
            values = neutralise_for_csv(values)
        elif self._timed[i]:
            values = local_time(values, self._zone).cast(self._schema.field(i).type, safe=False)
        return values

    def write(self, batch: pa.RecordBatch) -> None:
        columns = [self._prepared(batch.column(i), i) for i in range(len(self._schema))]
        self._writer.write_batch(pa.record_batch(columns, schema=self._schema))

    def close(self) -> None:
        self._writer.close()
