"""Read a dropped department file (CSV or XLSX) as Arrow record batches, or reject it.

A :class:`FileExtraction` streams the file: CSV line by line through Python's ``csv`` module over
text decoded (and checked for NUL bytes) one line at a time, XLSX row by row with openpyxl in
read-only mode. At most ``batch_rows`` rows are held at once. The header row is found
automatically (government files often carry a title row such as
``XX市失业保险待遇发放明细（2026年10月）`` above it), columns are matched by the contract's source
names, and every batch conforms exactly to ``arrow_schema(contract)``.

Any problem raises :class:`~huiliu.sources.encoding.FileRejectionError` (a ``FileRejectedError``)
with the file name, line and column, possibly after some batches were yielded: the lake commits
only when iteration completes, so a rejected file writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pyarrow as pa
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from huiliu.contracts.arrow import arrow_schema, arrow_type
from huiliu.contracts.model import ColumnSpec, DatasetContract, FileSource
from huiliu.errors import ConfigurationError
from huiliu.sources.convert import excel_cell_text, to_arrow_array
from huiliu.sources.encoding import FileRejectionError, RejectKind, detect_encoding

__all__ = [
    "HEADER_SEARCH_ROWS",
    "FileExtraction",
    "FileReadReport",
    "FileRejectionError",
    "RejectKind",
    "normalise_header",
    "open_file",
]

HEADER_SEARCH_ROWS = 20
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
_CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS_XLSX = "open it in Excel and save it as 'Excel Workbook (*.xlsx)'"

Row = tuple[int, Sequence[object]]


@dataclass(frozen=True)
class FileReadReport:
    """What reading a file found, for the run log and the data steward.

    Attributes:
        path: the file read.
        encoding: the text encoding (CSV), or None for XLSX.
        header_line: 1-based line (CSV) or row (XLSX) of the header.
        title_lines_skipped: non-empty rows above the header that were skipped.
        rows: data rows read (empty rows are not counted).
        extra_columns: source headers that are not in the contract (ignored).
        missing_optional_columns: source names of non-required contract columns not in the file
            (landed as nulls).
        format: ``"csv"`` or ``"xlsx"``.
        sheet: the sheet read (XLSX only).
    """

    path: Path
    encoding: str | None
    header_line: int
    title_lines_skipped: int
    rows: int
    extra_columns: list[str]
    missing_optional_columns: list[str]
    format: str = "csv"
    sheet: str | None = None


def normalise_header(cell: object) -> str:
    """A header cell as matched against contract source names.

    NFKC (full-width letters and digits become ASCII), byte-order marks and all whitespace
    (including line breaks inside Excel header cells) removed, case folded.
    """
    if cell is None:
        return ""
    text = unicodedata.normalize("NFKC", str(cell)).replace("\ufeff", "")
    return "".join(text.split()).casefold()


def _display_header(cell: object) -> str:
    """A header cell as shown in reports and messages: trimmed, without BOM."""
    return "" if cell is None else str(cell).replace("\ufeff", "").strip()


def _is_blank(cells: Sequence[object]) -> bool:
    """Whether every cell of a row is empty or whitespace."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


@dataclass
class _Layout:
    """Where the contract's columns are in the file."""

    header_line: int
    title_rows: int
    positions: dict[str, int]
    width: int
    extra: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)


class _HeaderFinder:
    """Find the header row among the first rows of a file and map contract columns to cells."""

    def __init__(self, contract: DatasetContract, file: str) -> None:
        self.contract = contract
        self.file = file
        self.columns = contract.columns
        required = [c for c in self.columns if c.required]
        self.required = required
        self.expected = [c.source_column for c in (required or self.columns)]
        self.best: tuple[int, int, list[str]] | None = None  # (matches, line, headers)
        self.rows_seen = 0

    def offer(self, line: int, cells: Sequence[object]) -> _Layout | None:
        """The layout if this (non-blank) row is the header, else None (and remember it)."""
        names = [normalise_header(cell) for cell in cells]
        present = set(names)
        found = [c for c in self.columns if normalise_header(c.source_column) in present]
        complete = all(c in found for c in self.required) if self.required else bool(found)
        if complete:
            return self._layout(line, cells, names)
        if found and (self.best is None or len(found) > self.best[0]):
            self.best = (len(found), line, [h for h in map(_display_header, cells) if h])
        self.rows_seen += 1
        return None

    def _layout(self, line: int, cells: Sequence[object], names: list[str]) -> _Layout:
        positions: dict[str, int] = {}
        missing: list[str] = []
        for column in self.columns:
            key = normalise_header(column.source_column)
            indexes = [i for i, name in enumerate(names) if name == key]
            if len(indexes) > 1:
                raise self._duplicate(line, column)
            if indexes:
                positions[column.name] = indexes[0]
            else:
                missing.append(column.source_column)
        wanted = set(positions.values())
        extra = [_display_header(c) for i, c in enumerate(cells) if i not in wanted and _display_header(c)]
        width = max((i + 1 for i, name in enumerate(names) if name), default=0)
        return _Layout(line, self.rows_seen, positions, width, extra, missing)

    def _duplicate(self, line: int, column: ColumnSpec) -> FileRejectionError:
        return FileRejectionError(
            self.file,
            "the header has this column more than once; keep one and remove or rename the others",
            line=line,
            column=column.source_column,
            kind=RejectKind.DUPLICATE_COLUMNS,
        )

    def failure(self, empty: bool, where: str) -> FileRejectionError:
        """The rejection when no header was found: empty file, missing columns or no header."""
        expected = ", ".join(self.expected)
        if empty:
            return FileRejectionError(
                self.file,
                f"{where} has no content; expected a header row with: {expected}",
                kind=RejectKind.EMPTY_FILE,
                details={"expected": expected},
            )
        if self.best is not None:
            return self._missing(*self.best[1:])
        return FileRejectionError(
            self.file,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows; expected a row with the "
            f"column headers: {expected}",
            kind=RejectKind.NO_HEADER,
            details={"expected": expected, "rows": HEADER_SEARCH_ROWS},
        )

    def _missing(self, line: int, headers: list[str]) -> FileRejectionError:
        present = {normalise_header(h) for h in headers}
        missing = [c.source_column for c in self.required if normalise_header(c.source_column) not in present]
        return FileRejectionError(
            self.file,
            f"required column(s) missing from the header row: {', '.join(missing)}; "
            f"found headers: {', '.join(headers)}",
            line=line,
            column=missing[0] if len(missing) == 1 else None,
            kind=RejectKind.MISSING_COLUMNS,
            details={"missing": "、".join(missing), "found": "、".join(headers)},
        )


ColumnTexts = Callable[[list[object], ColumnSpec, list[int]], list[str | None]]


class _BatchBuilder:
    """Accumulate the contract's cells of data rows and turn them into record batches.

    Args:
        contract: the dataset contract.
        layout: where its columns are in the rows.
        file: file name, for errors.
        to_text: turns one column's raw cells into text (XLSX); None when cells are text (CSV).
    """

    def __init__(
        self, contract: DatasetContract, layout: _Layout, file: str, to_text: ColumnTexts | None
    ) -> None:
        self.schema = arrow_schema(contract)
        self.columns = contract.columns
        self.file = file
        self.to_text = to_text
        self.lines: list[int] = []
        self.values: dict[str, list[object]] = {name: [] for name in layout.positions}
        self.slots = [(self.values[name], index) for name, index in layout.positions.items()]

    def __len__(self) -> int:
        return len(self.lines)

    def add(self, line: int, cells: Sequence[object]) -> None:
        """Add one data row: keep the cells of the contract's columns (None beyond a short row)."""
        self.lines.append(line)
        size = len(cells)
        for values, index in self.slots:
            values.append(cells[index] if index < size else None)

    def flush(self) -> pa.RecordBatch:
        """The accumulated rows as a record batch; the builder is emptied."""
        count = len(self.lines)
        arrays = [self._array(column, count) for column in self.columns]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self.lines = []
        for values in self.values.values():
            values.clear()
        return batch

    def _array(self, column: ColumnSpec, count: int) -> pa.Array:
        if column.name not in self.values:
            return pa.nulls(count, type=arrow_type(column))
        values, lines = self.values[column.name], self.lines
        texts = self.to_text(values, column, lines) if self.to_text is not None else values
        return to_arrow_array(texts, column, file=self.file, first_line=lines[0], line_numbers=lines)  # type: ignore[arg-type]


class _CsvSource:
    """Records of a CSV file, decoded and checked line by line."""

    def __init__(self, path: Path, source: FileSource) -> None:
        self.path = path
        self.file = path.name
        self.delimiter = source.delimiter
        self.declared = source.encoding
        self.encoding: str | None = None
        self.sheet: str | None = None
        self.last_line_unterminated = False
        self._record_end = 0

    def _lines(self, encoding: str) -> Iterator[str]:
        """Decoded physical lines (with their line endings), rejecting NUL and bad bytes."""
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if b"\x00" in raw:
                    raise FileRejectionError(
                        self.file,
                        "line contains NUL bytes: the file is binary, UTF-16 or damaged; "
                        "save it as 'CSV UTF-8 (comma delimited)' and deliver it again",
                        line=number,
                        kind=RejectKind.NUL_BYTES,
                    )
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError:
                    raise self._undecodable(number, encoding) from None
                self.last_line_unterminated = not raw.endswith(b"\n")
                yield text

    def _undecodable(self, line: int, encoding: str) -> FileRejectionError:
        declared = self.declared != "auto"
        origin = "declared in the contract" if declared else "detected from the start of the file"
        return FileRejectionError(
            self.file,
            f"contains bytes that are not valid {encoding} text (the encoding {origin}); "
            "the file mixes encodings or is damaged: save it as 'CSV UTF-8 (comma delimited)'",
            line=line,
            kind=RejectKind.UNDECODABLE,
            details={"encoding": encoding},
        )

    def rows(self) -> Iterator[Row]:
        """Non-blank records as (first line, cells)."""
        if self.path.stat().st_size == 0:
            return
        self.encoding = detect_encoding(self.path, self.declared)
        reader = csv.reader(self._lines(self.encoding), delimiter=self.delimiter, strict=True)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._csv_error(exc, start, reader.line_num) from None
            self._record_end = reader.line_num
            if "".join(cells).strip():
                yield start, cells

    def _csv_error(self, exc: csv.Error, start: int, current: int) -> FileRejectionError:
        message = str(exc)
        if "unexpected end of data" in message or "field larger than field limit" in message:
            return FileRejectionError(
                self.file,
                "a double-quoted field that starts on this line is never closed (the file is "
                'truncated or has a stray double quote); close the quote or double it ("")',
                line=start,
                kind=RejectKind.UNTERMINATED_QUOTE,
            )
        if "new-line character" in message:
            return FileRejectionError(
                self.file,
                "the file uses old Mac line endings (a carriage return alone) or has one inside an "
                "unquoted field; open it in Excel and save it again as 'CSV UTF-8 (comma delimited)'",
                line=current,
                kind=RejectKind.MALFORMED_CSV,
            )
        return FileRejectionError(
            self.file,
            f"the line is not valid CSV ({message}); a double quote inside a field must be written "
            'twice ("") and the field enclosed in double quotes',
            line=current,
            kind=RejectKind.MALFORMED_CSV,
        )

    def check_row(self, line: int, cells: Sequence[object], layout: _Layout) -> None:
        """Reject a record whose number of columns differs from the header's."""
        width = layout.width
        if len(cells) == width:
            return
        trailing_blank = all(_is_blank([c]) for c in cells[width:])
        if len(cells) >= width and trailing_blank:
            return
        found = len(cells)
        if found >= width:
            found = max(i + 1 for i, cell in enumerate(cells) if not _is_blank([cell]))
        raise self._column_count(line, width, found)

    def _column_count(self, line: int, expected: int, found: int) -> FileRejectionError:
        details = {"expected": expected, "found": found}
        if self.last_line_unterminated and found < expected:
            return FileRejectionError(
                self.file,
                f"the last line is incomplete ({found} columns, expected {expected}): the file "
                "appears to be truncated; deliver the complete file again",
                line=line,
                kind=RejectKind.TRUNCATED,
                details=details,
            )
        spans = self._record_end > line
        hint = (
            f" (the row runs to line {self._record_end}: check for an unclosed double quote)"
            if spans
            else "; check for a missing or extra delimiter, or quote fields that contain one"
        )
        return FileRejectionError(
            self.file,
            f"row has {found} columns, expected {expected} as in the header{hint}",
            line=line,
            kind=RejectKind.COLUMN_COUNT,
            details=details,
        )


class _XlsxSource:
    """Rows of one sheet of an XLSX workbook, read with openpyxl in read-only mode."""

    def __init__(self, path: Path, source: FileSource) -> None:
        self.path = path
        self.file = path.name
        self.sheet_name = source.sheet
        self.encoding: str | None = None
        self.sheet: str | None = None
        self.epoch: dt.datetime = CALENDAR_WINDOWS_1900

    def _check_magic(self) -> bool:
        """False for an empty file; reject files that are not zip archives (not .xlsx)."""
        with self.path.open("rb") as handle:
            magic = handle.read(8)
        if not magic:
            return False
        if magic.startswith(_OLE2_MAGIC):
            raise FileRejectionError(
                self.file,
                f"the file is an old Excel 97-2003 (.xls) workbook, which is not supported; {_SAVE_AS_XLSX}",
                kind=RejectKind.LEGACY_XLS,
            )
        if not magic.startswith(_ZIP_MAGIC):
            raise self._not_a_workbook("not a zip archive: perhaps a CSV or other file renamed to .xlsx")
        return True

    def _not_a_workbook(self, why: str) -> FileRejectionError:
        return FileRejectionError(
            self.file, f"not a valid Excel workbook ({why}); {_SAVE_AS_XLSX}", kind=RejectKind.NOT_A_WORKBOOK
        )

    def _open(self) -> Workbook:
        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged or foreign files
            raise self._not_a_workbook(f"the workbook cannot be opened: {type(exc).__name__}") from None

    def _worksheet(self, workbook: Workbook) -> ReadOnlyWorksheet:
        names = list(workbook.sheetnames)
        if self.sheet_name is None and workbook.worksheets:
            return workbook.worksheets[0]
        if self.sheet_name is not None and self.sheet_name in names:
            return workbook[self.sheet_name]
        wanted = self.sheet_name or "(first sheet)"
        raise FileRejectionError(
            self.file,
            f"sheet {wanted!r} not found; the workbook has: {', '.join(names) or 'no sheets'}; "
            "rename the sheet or correct source.sheet in the contract",
            kind=RejectKind.SHEET_NOT_FOUND,
            details={"sheet": wanted, "sheets": "、".join(names)},
        )

    def rows(self) -> Iterator[Row]:
        """Non-blank rows as (row number, cell values)."""
        if not self._check_magic():
            return
        workbook = self._open()
        try:
            self.epoch = workbook.epoch
            sheet = self._worksheet(workbook)
            self.sheet = sheet.title
            sheet.reset_dimensions()
            yield from self._sheet_rows(sheet)
        finally:
            workbook.close()

    def _sheet_rows(self, sheet: ReadOnlyWorksheet) -> Iterator[Row]:
        rows = sheet.iter_rows(min_row=1, values_only=True)
        number = 0
        while True:
            try:
                number, cells = number + 1, next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet: zip, zlib or XML errors
                why = f"the sheet is damaged after row {number}: {type(exc).__name__}"
                raise self._not_a_workbook(why) from None
            if not _is_blank(cells):
                yield number, cells

    def check_row(self, line: int, cells: Sequence[object], layout: _Layout) -> None:
        """Rows of a sheet may be ragged: cells beyond the header are ignored."""

    def column_texts(self, values: list[object], column: ColumnSpec, lines: list[int]) -> list[str | None]:
        """The text of one column's typed cells (numbers, dates) for conversion."""
        file, epoch = self.file, self.epoch
        return [
            excel_cell_text(v, column, file=file, line=n, epoch=epoch)
            for v, n in zip(values, lines, strict=True)
        ]


def _file_format(path: Path, source: FileSource) -> str:
    """``xlsx`` or ``csv``: from the extension when it is a known one, else the contract."""
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        return "xlsx"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    return source.format


class FileExtraction:
    """Iterate a dropped file as record batches matching ``arrow_schema(contract)``.

    Iterating reads the file from the start each time. ``report`` is None until an iteration
    completes; it is then the :class:`FileReadReport` of that reading.

    Args:
        path: the dropped file.
        contract: the dataset contract; its source must be a file source.
        batch_rows: rows per record batch.

    Raises:
        ConfigurationError: the contract is not a file source.
    """

    def __init__(self, path: Path, contract: DatasetContract, batch_rows: int = 50_000) -> None:
        if not isinstance(contract.source, FileSource):
            raise ConfigurationError(f"dataset {contract.name} is not a file source; cannot read {path.name}")
        if batch_rows < 1:
            raise ConfigurationError("batch_rows must be at least 1")
        self.path = Path(path)
        self.contract = contract
        self.source: FileSource = contract.source
        self.batch_rows = batch_rows
        self.schema = arrow_schema(contract)
        self.format = _file_format(self.path, self.source)
        self.report: FileReadReport | None = None

    def _reader(self) -> _CsvSource | _XlsxSource:
        if self.format == "xlsx":
            return _XlsxSource(self.path, self.source)
        return _CsvSource(self.path, self.source)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        """Yield the batches; raise FileRejectionError (after some batches, maybe) on any problem."""
        self.report = None
        reader = self._reader()
        rows = reader.rows()
        try:
            layout = self._find_header(rows, reader)
            to_text = reader.column_texts if isinstance(reader, _XlsxSource) else None
            builder = _BatchBuilder(self.contract, layout, self.path.name, to_text)
            count = 0
            for line, cells in rows:
                reader.check_row(line, cells, layout)
                builder.add(line, cells)
                count += 1
                if len(builder) >= self.batch_rows:
                    yield builder.flush()
            if len(builder):
                yield builder.flush()
        finally:
            rows.close()
        self.report = self._report(reader, layout, count)

    def _find_header(self, rows: Iterator[Row], reader: _CsvSource | _XlsxSource) -> _Layout:
        finder = _HeaderFinder(self.contract, self.path.name)
        seen = 0
        for line, cells in rows:
            layout = finder.offer(line, cells)
            if layout is not None:
                return layout
            seen += 1
            if seen >= HEADER_SEARCH_ROWS:
                break
        where = f"sheet {reader.sheet!r}" if reader.sheet else "the file"
        raise finder.failure(empty=seen == 0, where=where)

    def _report(self, reader: _CsvSource | _XlsxSource, layout: _Layout, count: int) -> FileReadReport:
        return FileReadReport(
            path=self.path,
            encoding=reader.encoding,
            header_line=layout.header_line,
            title_lines_skipped=layout.title_rows,
            rows=count,
            extra_columns=layout.extra,
            missing_optional_columns=layout.missing_optional,
            format=self.format,
            sheet=reader.sheet,
        )


def open_file(path: Path, contract: DatasetContract, batch_rows: int = 50_000) -> FileExtraction:
    """A :class:`FileExtraction` of a dropped file, CSV or XLSX by its extension or the contract.

    Args:
        path: the dropped file.
        contract: the dataset contract (a file source).
        batch_rows: rows per record batch.

    Returns:
        The extraction; nothing is read until it is iterated.
    """
    return FileExtraction(path, contract, batch_rows=batch_rows)
