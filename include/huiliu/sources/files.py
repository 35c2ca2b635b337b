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

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from huiliu.contracts.arrow import arrow_schema, arrow_type
from huiliu.contracts.model import ColumnSpec, DatasetContract, FileSource
from huiliu.errors import ConfigurationError
from huiliu.sources.convert import to_arrow_array
from huiliu.sources.csv_reader import CsvSource
from huiliu.sources.encoding import FileRejectionError, RejectKind
from huiliu.sources.file_layout import Layout, Row
from huiliu.sources.xlsx_reader import XlsxSource

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

    def offer(self, line: int, cells: Sequence[object]) -> Layout | None:
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

    def _layout(self, line: int, cells: Sequence[object], names: list[str]) -> Layout:
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
        return Layout(line, self.rows_seen, positions, width, extra, missing)

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
        self, contract: DatasetContract, layout: Layout, file: str, to_text: ColumnTexts | None
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

    def _reader(self) -> CsvSource | XlsxSource:
        if self.format == "xlsx":
            return XlsxSource(self.path, self.source)
        return CsvSource(self.path, self.source)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        """Yield the batches; raise FileRejectionError (after some batches, maybe) on any problem."""
        self.report = None
        reader = self._reader()
        rows = reader.rows()
        try:
            layout = self._find_header(rows, reader)
            to_text = reader.column_texts if isinstance(reader, XlsxSource) else None
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

    def _find_header(self, rows: Iterator[Row], reader: CsvSource | XlsxSource) -> Layout:
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

    def _report(self, reader: CsvSource | XlsxSource, layout: Layout, count: int) -> FileReadReport:
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
