"""Read a dropped department file (CSV or XLSX) as Arrow record batches, or reject it.

A :class:`FileExtraction` streams the file: CSV line by line through Python's ``csv`` module over
text decoded (and checked for NUL bytes and lines in another encoding) a block of lines at a time,
XLSX row by row with openpyxl in read-only mode; a file is never opened through a symbolic link.
At most ``batch_rows`` rows are held at once. The header row is found automatically (government
files often carry a title row such as ``XX市失业保险待遇发放明细（2026年10月）`` above it), columns
are matched by the contract's source names, and every batch conforms exactly to
``arrow_schema(contract)``.

Any problem raises :class:`~huiliu.errors.FileRejectedError` (with its ``kind``) naming the file,
line and column, possibly after some batches were yielded: the lake commits
only when iteration completes, so a rejected file writes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa

from huiliu.contracts.arrow import arrow_schema, arrow_type
from huiliu.contracts.model import ColumnSpec, DatasetContract, FileSource
from huiliu.errors import ConfigurationError, FileRejectedError, RejectKind
from huiliu.sources.convert import reject_scientific_notation, to_arrow_array
from huiliu.sources.csv_reader import CsvSource
from huiliu.sources.file_layout import Layout, Row, Rows
from huiliu.sources.xlsx_reader import XlsxSource

__all__ = [
    "FOOTER_MARKERS",
    "HEADER_SEARCH_ROWS",
    "FileExtraction",
    "FileReadReport",
    "normalise_header",
    "open_file",
]

HEADER_SEARCH_ROWS = 20
FOOTER_MARKERS = (
    "合计",
    "小计",
    "总计",
    "制表人",
    "填表人",
    "审核人",
    "负责人",
    "制表日期",
    "填报日期",
    "备注",
    "说明",
)
"""A row after the header whose first non-empty cell starts with one of these is a footer."""
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
        sheet: the sheet read (XLSX only); when the contract names none, the first sheet whose
            first rows hold the header (e.g. the data sheet behind a 说明 sheet).
        footer_rows_skipped: rows after the data that were skipped as footers (合计, 制表人...).
        declared_encoding: the contract's declared encoding when the file was read with another
            one (a UTF-8 file declared as GBK), else None.
        null_cells: per contract column present in the file, the number of empty cells, when
            not zero.
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
    footer_rows_skipped: int = 0
    declared_encoding: str | None = None
    null_cells: dict[str, int] = field(default_factory=dict)

    def drift(self) -> dict[str, object]:
        """What the file did differently from its contract, recorded on the landing batch."""
        return {
            "extra_columns": list(self.extra_columns),
            "missing_optional_columns": list(self.missing_optional_columns),
            "footer_rows_skipped": self.footer_rows_skipped,
            "declared_encoding": self.declared_encoding,
            "encoding": self.encoding,
        }


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


def footer_marker(cells: Sequence[object]) -> str | None:
    """The footer marker a row's first non-empty cell starts with (NFKC, spaces ignored), or None.

    ``合  计``, ``制表人：张三`` and ``备注:...`` are footers; a marker in any later cell is not.
    """
    for cell in cells:
        if cell is None:
            continue
        text = "".join(unicodedata.normalize("NFKC", str(cell)).split())
        if text:
            return next((marker for marker in FOOTER_MARKERS if text.startswith(marker)), None)
    return None


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

    def _duplicate(self, line: int, column: ColumnSpec) -> FileRejectedError:
        """The rejection of a header that names a contract column more than once."""
        return FileRejectedError(
            self.file,
            "the header has this column more than once; keep one and remove or rename the others",
            line=line,
            column=column.source_column,
            kind=RejectKind.DUPLICATE_COLUMNS,
        )

    def failure(self, empty: bool, sheet: str | None, note: str = "", note_zh: str = "") -> FileRejectedError:
        """The rejection when no header was found: empty file (or sheet), missing columns or no header.

        Args:
            empty: whether the file (or sheet) has no non-blank row.
            sheet: the sheet searched (XLSX), or None.
            note: what to say about the workbook's other sheets, or "".
            note_zh: the same in Chinese.
        """
        expected = ", ".join(self.expected)
        where = f"sheet {sheet!r}" if sheet else "the file"
        where_zh = f"工作表“{sheet}”" if sheet else "文件"
        if empty:
            return FileRejectedError(
                self.file,
                f"{where} has no content{note}; expected a header row with: {expected}",
                kind=RejectKind.EMPTY_FILE,
                details={"expected": expected, "where_zh": where_zh, "note_zh": note_zh},
            )
        if self.best is not None:
            return self._missing(*self.best[1:], sheet=sheet)
        return FileRejectedError(
            self.file,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows of {where}{note}; expected a row "
            f"with the column headers: {expected}",
            kind=RejectKind.NO_HEADER,
            details={
                "expected": expected,
                "rows": HEADER_SEARCH_ROWS,
                "where_zh": where_zh,
                "note_zh": note_zh,
            },
        )

    def _missing(self, line: int, headers: list[str], sheet: str | None) -> FileRejectedError:
        present = {normalise_header(h) for h in headers}
        missing = [c.source_column for c in self.required if normalise_header(c.source_column) not in present]
        return FileRejectedError(
            self.file,
            f"required column(s) missing from the header row: {', '.join(missing)}; "
            f"found headers: {', '.join(headers)}" + (f" (sheet {sheet!r})" if sheet else ""),
            line=line,
            column=missing[0] if len(missing) == 1 else None,
            kind=RejectKind.MISSING_COLUMNS,
            details={
                "missing": "、".join(missing),
                "found": "、".join(headers),
                "where_zh": f"工作表“{sheet}”" if sheet else "文件",
            },
        )


ColumnTexts: TypeAlias = Callable[[list[object], ColumnSpec, list[int]], list[str | None]]


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
        self.null_cells: dict[str, int] = dict.fromkeys(layout.positions, 0)

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
        if self.to_text is not None:
            texts = self.to_text(values, column, lines)
        else:
            texts = values  # type: ignore[assignment]
            if column.type == "string":
                reject_scientific_notation(texts, column, file=self.file, line_numbers=lines)
        array = to_arrow_array(texts, column, file=self.file, first_line=lines[0], line_numbers=lines)
        self.null_cells[column.name] += array.null_count
        return array


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
        """Yield the batches; raise FileRejectedError (after some batches, maybe) on any problem."""
        self.report = None
        reader = self._reader()
        candidates = reader.candidates()
        rows: Rows | None = None
        try:
            rows, layout = self._locate(candidates, reader)
            to_text = reader.column_texts if isinstance(reader, XlsxSource) else None
            builder = _BatchBuilder(self.contract, layout, self.path.name, to_text)
            count = footers = 0
            footer: tuple[int, str] | None = None  # (line, marker) of the first footer row
            for line, cells in rows:
                marker = footer_marker(cells)
                if marker is not None:
                    footers += 1
                    footer = footer or (line, marker)
                    continue
                if footer is not None:
                    raise self._data_after_footer(line, *footer)
                reader.check_row(line, cells, layout)
                builder.add(line, cells)
                count += 1
                if len(builder) >= self.batch_rows:
                    yield builder.flush()
            if len(builder):
                yield builder.flush()
            if isinstance(reader, XlsxSource):
                self._check_formulas(reader, layout, builder.null_cells)
        finally:
            if rows is not None:
                rows.close()
            candidates.close()
        self.report = self._report(reader, layout, count, footers, builder.null_cells)

    def _locate(
        self, candidates: Generator[tuple[str | None, Rows], None, None], reader: CsvSource | XlsxSource
    ) -> tuple[Rows, Layout]:
        """The rows after the header, and the layout, of the first candidate (sheet) with the header."""
        failures: list[tuple[str | None, _HeaderFinder, bool]] = []
        for sheet, rows in candidates:
            finder = _HeaderFinder(self.contract, self.path.name)
            layout, empty = self._find_header(rows, finder)
            if layout is not None:
                return rows, layout
            rows.close()
            failures.append((sheet, finder, empty))
        raise self._no_header(failures, reader)

    def _find_header(self, rows: Iterator[Row], finder: _HeaderFinder) -> tuple[Layout | None, bool]:
        """The layout if the header is among the first rows, and whether there were no rows at all."""
        seen = 0
        for line, cells in rows:
            layout = finder.offer(line, cells)
            if layout is not None:
                return layout, False
            seen += 1
            if seen >= HEADER_SEARCH_ROWS:
                break
        return None, seen == 0

    def _no_header(
        self, failures: list[tuple[str | None, _HeaderFinder, bool]], reader: CsvSource | XlsxSource
    ) -> FileRejectedError:
        """The rejection when no candidate had the header; it names the sheets searched and the others."""
        if not failures:  # a workbook without worksheets is rejected before this
            return _HeaderFinder(self.contract, self.path.name).failure(empty=True, sheet=None)
        partial = [f for f in failures if f[1].best is not None]
        nonempty = [f for f in failures if not f[2]]
        sheet, finder, empty = (partial or nonempty or failures)[0]
        note = note_zh = ""
        if isinstance(reader, XlsxSource) and sheet is not None:
            others = [name for name in reader.sheet_names if name != sheet]
            if not others:
                note, note_zh = " (the workbook has no other sheet)", "（工作簿中没有其他工作表）"
            elif len(failures) > 1:
                note = f" (nor in the workbook's other sheets: {', '.join(others)})"
                note_zh = f"，工作簿中的其他工作表（{'、'.join(others)}）也没有"
            else:
                note = (
                    f" (the workbook's other sheets: {', '.join(others)}; if the data is on one of them, "
                    "set source.sheet in the contract)"
                )
                listed = "、".join(others)
                note_zh = f"；工作簿中还有工作表：{listed}，如数据在其中，请告知数据管理员在合同中指定工作表"
        return finder.failure(empty=empty, sheet=sheet, note=note, note_zh=note_zh)

    def _data_after_footer(self, line: int, footer_line: int, marker: str) -> FileRejectedError:
        return FileRejectedError(
            self.path.name,
            f"a data row comes after the footer row '{marker}' at line {footer_line}: rows below a "
            "total or signature row are ambiguous (are they counted in the total?); move them above "
            "the footer rows or delete them",
            line=line,
            kind=RejectKind.DATA_AFTER_FOOTER,
            details={"footer_line": footer_line, "marker": marker},
        )

    def _check_formulas(self, reader: XlsxSource, layout: Layout, null_cells: dict[str, int]) -> None:
        """Reject formulas without a calculated value in required or non-nullable columns.

        The sheet is scanned again only when such a column has empty cells (rare in a good file).
        """
        checked = {
            layout.positions[c.name]: c.source_column
            for c in self.contract.columns
            if null_cells.get(c.name) and (c.required or not c.nullable)
        }
        found = reader.uncalculated_formula(checked, layout.header_line) if checked else None
        if found is None:
            return
        row, column = found
        raise FileRejectedError(
            self.path.name,
            "the cell holds a formula whose value was never calculated (the workbook was written by a "
            "program and not saved by Excel), so there is no value to read; open the file in Excel or "
            "WPS, save it so the formulas are calculated, and deliver it again",
            line=row,
            column=column,
            kind=RejectKind.FORMULA_NOT_CALCULATED,
        )

    def _report(
        self,
        reader: CsvSource | XlsxSource,
        layout: Layout,
        count: int,
        footers: int,
        null_cells: dict[str, int],
    ) -> FileReadReport:
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
            footer_rows_skipped=footers,
            declared_encoding=reader.declared_encoding if isinstance(reader, CsvSource) else None,
            null_cells={name: n for name, n in null_cells.items() if n},
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
