"""Rows of one sheet of a dropped XLSX workbook, read with openpyxl in read-only mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from huiliu.contracts.model import ColumnSpec, FileSource
from huiliu.sources.convert import excel_cell_text
from huiliu.sources.encoding import FileRejectionError, RejectKind
from huiliu.sources.file_layout import Layout, Row, is_blank

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS_XLSX = "open it in Excel and save it as 'Excel Workbook (*.xlsx)'"


class XlsxSource:
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
            if not is_blank(cells):
                yield number, cells

    def check_row(self, line: int, cells: Sequence[object], layout: Layout) -> None:
        """Rows of a sheet may be ragged: cells beyond the header are ignored."""

    def column_texts(self, values: list[object], column: ColumnSpec, lines: list[int]) -> list[str | None]:
        """The text of one column's typed cells (numbers, dates) for conversion."""
        file, epoch = self.file, self.epoch
        return [
            excel_cell_text(v, column, file=file, line=n, epoch=epoch)
            for v, n in zip(values, lines, strict=True)
        ]
