"""A delivery as an Excel workbook, streamed with XlsxWriter's constant-memory mode.

Sheets: ``数据`` (the rows: Chinese headers, frozen header row, autofilter, column widths from the
headers and the first rows), ``数据2``, ``数据3`` … when the rows pass Excel's 1,048,576 rows per
sheet (header included), and ``说明`` (:mod:`huiliu.returnflow.explanation`), which says so.

Cells: text is always a text cell (``write_string``, never a formula; the text number format ``@``
so editing it keeps it text; formula-like text also carries the quote-prefix flag); numbers are
numbers, except integers beyond 2^53 that Excel would round, which are written as text; dates are
dates (``yyyy-mm-dd``), timestamps date-times (``yyyy-mm-dd hh:mm:ss``, in the city's time zone);
dates before 1900-03-01, which Excel cannot hold, are written as ISO text; nulls are empty cells.
Text over Excel's 32,767 characters per cell is cut there (the 说明 sheet counts such cells).
Conversions are vectorised per column and batch; the per-cell loop only calls the typed writer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from huiliu.returnflow.correction_sheet import PREFILL_LIMIT, write_correction_sheet
from huiliu.returnflow.explanation import Explanation, SheetSpan, explain
from huiliu.returnflow.export_formats import local_time, plain
from huiliu.returnflow.manifest import DROP, DeliveryDescription
from huiliu.returnflow.notices import NOTICE_SHEET, NoticeLine
from huiliu.returnflow.spreadsheet_safety import formula_like, is_text

EXCEL_MAX_ROWS = 1_048_576
"""Rows per Excel sheet, the header row included (read when a workbook is opened, so tests may lower it)."""
EXCEL_MAX_CELL_CHARS = 32_767
DATA_SHEET = "数据"
EXPLANATION_SHEET = "说明"
SAFE_INTEGER = 2**53 - 1
UNIX_EPOCH_SERIAL = 25_569.0  # 1970-01-01 in Excel's 1900 date system
FIRST_SERIAL = 61.0  # 1900-03-01: below it Excel's serials are off by its 1900 leap-year bug
PER_DAY = {"s": 86_400.0, "ms": 86_400e3, "us": 86_400e6, "ns": 86_400e9}
WIDTH_SAMPLE = 200
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,
}

Write = Callable[..., int]
Cells = tuple[list[Write], list[Any], list[Format | None]]
"""One column of a batch: per cell, the typed writer, the value (None: empty) and the format."""


def data_sheet_name(index: int) -> str:
    """The name of the ``index``-th (0-based) data sheet: 数据, 数据2, 数据3 …"""
    return DATA_SHEET if index == 0 else f"{DATA_SHEET}{index + 1}"


def sheet_spans(rows: int, per_sheet: int) -> list[SheetSpan]:
    """The data sheets ``rows`` need at ``per_sheet`` data rows a sheet, with their row spans."""
    count = max(1, -(-rows // per_sheet))
    return [
        SheetSpan(name=data_sheet_name(i), first=i * per_sheet + 1, last=min(rows, (i + 1) * per_sheet))
        for i in range(count)
    ]


def _text(value: object) -> str | None:
    """Any other value as text: bytes as hex, the rest as Python prints it."""
    if value is None:
        return None
    return value.hex() if isinstance(value, bytes) else str(value)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_width(header: str, values: pa.Array) -> float:
    type_ = values.type
    if pa.types.is_timestamp(type_):
        longest = 19
    elif pa.types.is_date(type_):
        longest = 10
    else:
        sample = values.slice(0, WIDTH_SAMPLE).drop_null().to_pylist()
        longest = max((display_width(str(v)) for v in sample), default=0)
    return float(min(max(display_width(header), longest, 6) + 2, 60))


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter"})
        self.text = book.add_format({"num_format": "@"})
        self.quoted = book.add_format({"num_format": "@", "quote_prefix": True})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.wrapped = book.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})


class XlsxExport:
    """Rows to an XLSX workbook, row after row in constant memory (see the module docstring)."""

    def __init__(
        self,
        file: BinaryIO,
        schema: pa.Schema,
        description: DeliveryDescription,
        *,
        scratch: Path,
        zone: str,
        key_columns: Sequence[str] = (),
    ) -> None:
        self.rows_per_sheet = EXCEL_MAX_ROWS - 1
        """Data rows one sheet holds (the header takes one of Excel's rows)."""
        self._book = xlsxwriter.Workbook(file, {**WORKBOOK_OPTIONS, "tmpdir": str(scratch)})
        self._book.set_properties(
            {
                "title": f"{description.dataset_title} {description.delivery_id}",
                "author": "huiliu 数据回流",
                "company": description.department,
                "created": description.delivered_at.astimezone(UTC).replace(tzinfo=None),
            }
        )
        self._formats = _Formats(self._book)
        titles = {c.name: c.header for c in description.columns}
        self._headers = [titles.get(f.name, f.name) for f in schema]
        self._description = description
        self._zone = zone
        self._sheets: list[Worksheet] = []
        self._widths: list[float] | None = None
        self._rows_in_sheet = 0
        self.rows = 0
        self.truncated_cells = 0
        self._notices: list[NoticeLine] = []
        self._key_columns = [k for k in key_columns if k in schema.names]
        self._keys: list[tuple[str | None, ...]] = []
        """The key of each row written, as delivered, for the 纠错 form (until there are too many)."""

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._note_keys(batch)
        arrays = [plain(batch.column(i)) for i in range(batch.num_columns)]
        if self._widths is None:
            self._widths = [_column_width(h, a) for h, a in zip(self._headers, arrays, strict=True)]
        columns = list(enumerate(self._cells(a) for a in arrays))
        start = 0
        while start < batch.num_rows:
            if not self._sheets or self._rows_in_sheet == self.rows_per_sheet:
                self._new_sheet()
            count = min(batch.num_rows - start, self.rows_per_sheet - self._rows_in_sheet)
            self._write_rows(columns, start, count)
            start += count
        self.rows += batch.num_rows

    def _write_rows(self, columns: list[tuple[int, Cells]], start: int, count: int) -> None:
        sheet = self._sheets[-1]
        offset = self._rows_in_sheet + 1 - start  # sheet row of batch row i is offset + i
        for i in range(start, start + count):
            row = offset + i
            for col, (writers, values, formats) in columns:
                value = values[i]
                if value is not None:
                    writers[i](sheet, row, col, value, formats[i])
        self._rows_in_sheet += count

    def _new_sheet(self) -> None:
        if self._sheets:
            self._finish_sheet()
        sheet = self._book.add_worksheet(data_sheet_name(len(self._sheets)))
        widths = self._widths or [float(min(max(display_width(h), 6) + 2, 60)) for h in self._headers]
        for col, (header, width) in enumerate(zip(self._headers, widths, strict=True)):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, header, self._formats.header)
        sheet.freeze_panes(1, 0)
        self._sheets.append(sheet)
        self._rows_in_sheet = 0

    def _finish_sheet(self) -> None:
        if self._headers:
            self._sheets[-1].autofilter(0, 0, self._rows_in_sheet, len(self._headers) - 1)

    def _note_keys(self, batch: pa.RecordBatch) -> None:
        room = PREFILL_LIMIT + 1 - len(self._keys)
        if room <= 0 or not self._key_columns:
            return
        part = batch.slice(0, room)
        values = [
            [None if v is None else str(v) for v in part.column(name).to_pylist()]
            for name in self._key_columns
        ]
        self._keys.extend(zip(*values, strict=True))

    def add_notices(self, lines: Sequence[NoticeLine]) -> None:
        """Rows corrected since the grant's last delivery, for the sheet 更正通知 (written at close)."""
        self._notices.extend(lines)

    def close(self) -> None:
        if not self._sheets:
            self._new_sheet()  # an empty extract still shows its headers
        self._finish_sheet()
        self._write_explanation()
        if self._notices:
            self._write_notices()
        d = self._description
        titles = {c.name: c.header for c in d.columns}
        write_correction_sheet(
            self._book,
            delivery_id=d.delivery_id,
            rows=self.rows,
            columns=[(c.name, c.header) for c in d.columns if c.action != DROP],
            steward=d.steward,
            key_titles=[titles.get(k, k) for k in self._key_columns],
            prefilled=self._keys if self.rows <= PREFILL_LIMIT else (),
        )
        self._book.close()

    def _write_notices(self) -> None:
        titles = {c.name: c.header for c in self._description.columns}
        sheet = self._book.add_worksheet(NOTICE_SHEET)
        for col, width in enumerate((20, 12, 24, 48, 48)):
            sheet.set_column(col, col, width)
        headers = ("纠错编号 Correction", "数据行号 Row", "字段 Column", "说明", "Notice")
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header, self._formats.header)
        for i, line in enumerate(self._notices, start=1):
            about = line.as_dict()
            cells = (line.correction_id, str(line.row), titles.get(line.field, line.field))
            for col, text in enumerate((*cells, str(about["message_zh"]), str(about["message_en"]))):
                sheet.write_string(i, col, text, self._formats.text)

    # --- cells ---------------------------------------------------------------------------------

    def _cells(self, values: pa.Array) -> Cells:
        type_, size = values.type, len(values)
        if is_text(type_):
            return self._text_cells(values)
        if pa.types.is_date(type_) or pa.types.is_timestamp(type_):
            return self._date_cells(values)
        if pa.types.is_integer(type_):
            return self._integer_cells(values)
        if pa.types.is_floating(type_) or pa.types.is_decimal(type_):
            numbers = values.cast(pa.float64()).to_pylist()
            return [Worksheet.write_number] * size, numbers, [None] * size
        if pa.types.is_boolean(type_):
            return [Worksheet.write_boolean] * size, values.to_pylist(), [None] * size
        texts = [_text(v) for v in values.to_pylist()]
        return [Worksheet.write_string] * size, texts, [self._formats.text] * size

    def _text_cells(self, values: pa.Array) -> Cells:
        size = len(values)
        formats: list[Format | None] = [self._formats.text] * size
        for i in np.flatnonzero(formula_like(values)).tolist():
            formats[i] = self._formats.quoted
        too_long = pc.sum(pc.greater(pc.utf8_length(values), EXCEL_MAX_CELL_CHARS)).as_py()
        self.truncated_cells += int(too_long or 0)
        return [Worksheet.write_string] * size, values.to_pylist(), formats

    def _integer_cells(self, values: pa.Array) -> Cells:
        size = len(values)
        writers: list[Write] = [Worksheet.write_number] * size
        numbers = values.to_pylist()
        formats: list[Format | None] = [None] * size
        beyond = pc.greater(values, SAFE_INTEGER)
        if pa.types.is_signed_integer(values.type):
            beyond = pc.or_(beyond, pc.less(values, -SAFE_INTEGER))
        for i in np.flatnonzero(beyond.fill_null(False).to_numpy(zero_copy_only=False)).tolist():
            writers[i], numbers[i], formats[i] = Worksheet.write_string, str(numbers[i]), self._formats.text
        return writers, numbers, formats

    def _date_cells(self, values: pa.Array) -> Cells:
        size = len(values)
        if pa.types.is_timestamp(values.type):
            values = local_time(values, self._zone)
            per_day, fmt = PER_DAY[values.type.unit], self._formats.datetime
            counts = values.cast(pa.int64())
        else:
            per_day, fmt = 1.0, self._formats.date
            counts = values.cast(pa.date32()).cast(pa.int32())
        serials = counts.to_numpy(zero_copy_only=False).astype(np.float64) / per_day + UNIX_EPOCH_SERIAL
        cells: list[Any] = serials.tolist()
        writers: list[Write] = [Worksheet.write_number] * size
        formats: list[Format | None] = [fmt] * size
        for i in np.flatnonzero(~values.is_valid().to_numpy(zero_copy_only=False)).tolist():
            cells[i] = None
        for i in np.flatnonzero(np.nan_to_num(serials, nan=FIRST_SERIAL) < FIRST_SERIAL).tolist():
            cells[i] = values[i].as_py().isoformat()
            writers[i], formats[i] = Worksheet.write_string, self._formats.text
        return writers, cells, formats

    # --- 说明 -----------------------------------------------------------------------------------

    def _write_explanation(self) -> None:
        about = explain(
            self._description,
            rows=self.rows,
            sheets=sheet_spans(self.rows, self.rows_per_sheet),
            sheet_rows=self.rows_per_sheet,
            truncated_cells=self.truncated_cells,
            zone=self._zone,
        )
        sheet = self._book.add_worksheet(EXPLANATION_SHEET)
        for col, width in enumerate((16, 44, 22, 44, 26, 44)):
            sheet.set_column(col, col, width)
        sheet.write_string(0, 0, "数据说明", self._formats.title)
        sheet.write_string(0, 2, "About this data", self._formats.title)
        _ExplanationLayout(sheet, self._formats).write(about)


class _ExplanationLayout:
    """The 说明 sheet, written top to bottom (constant-memory mode writes rows in order)."""

    def __init__(self, sheet: Worksheet, formats: _Formats) -> None:
        self.sheet, self.formats, self.row = sheet, formats, 2

    def _line(self, cells: tuple[str, ...], fmt: Format) -> None:
        for col, text in enumerate(cells):
            if text:
                self.sheet.write_string(self.row, col, text, fmt)
        self.row += 1

    def write(self, about: Explanation) -> None:
        self._line(("项目", "内容", "Item", "Details"), self.formats.header)
        for fact in about.facts:
            self._line(fact, self.formats.wrapped)
        self.row += 1
        self._line(("表头（列）", "字段名", "处理方式", "原因", "Handling", "Reason"), self.formats.header)
        for column in about.columns:
            self._line(column, self.formats.wrapped)
        self.row += 1
        self._line(("事项", "说明", "Topic", "Notes"), self.formats.header)
        for note in about.notes:
            self._line(note, self.formats.wrapped)
