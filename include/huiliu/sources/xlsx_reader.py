"""Rows of one sheet of a dropped XLSX workbook, read with openpyxl in read-only mode."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from xml.etree.ElementTree import Element

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.functions import iterparse

from huiliu.contracts.model import ColumnSpec, FileSource
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.convert import excel_cell_text
from huiliu.sources.encoding import open_dropped
from huiliu.sources.file_layout import Layout, Row, Rows, is_blank

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_TAG, _CELL_TAG = f"{_SHEET_NS}row", f"{_SHEET_NS}c"
_FORMULA_TAG, _VALUE_TAG = f"{_SHEET_NS}f", f"{_SHEET_NS}v"
_SAVE_AS_XLSX = "open it in Excel and save it as 'Excel Workbook (*.xlsx)'"
_CFB_ENTRY_BYTES = 128
_ENCRYPTED_STREAMS = re.compile(
    b"|".join(re.escape(f"{name}\0".encode("utf-16-le")) for name in ("EncryptionInfo", "EncryptedPackage"))
)


def _encrypted_office_file(handle: io.BufferedReader) -> bool:
    """Whether a compound file (OLE2) is an encrypted Office document rather than an old .xls.

    A password-protected .xlsx is a compound file holding ``EncryptionInfo`` and
    ``EncryptedPackage`` streams (MS-OFFCRYPTO); an old .xls holds a ``Workbook`` stream. The
    compound file's directory entries are 128 bytes, aligned to 128 in the file, each starting with
    its stream's UTF-16LE name and giving the name's length in bytes at offset 64.
    """
    handle.seek(0)
    while block := handle.read(1 << 20):  # a multiple of 128: no entry spans two blocks
        for match in _ENCRYPTED_STREAMS.finditer(block):
            at, size = match.start(), match.end() - match.start()
            if at % _CFB_ENTRY_BYTES == 0 and int.from_bytes(block[at + 64 : at + 66], "little") == size:
                return True
    return False


def _no_cached_value(cell: Element) -> bool:
    """Whether a formula cell has no cached result: no ``<v>``, or an empty one that is not text.

    openpyxl and other writers save ``<f>..</f><v/>``; Excel saves a formula whose result is the
    empty string as ``t="str"`` with an empty ``<v>``, which is a calculated (empty) value.
    """
    value = cell.find(_VALUE_TAG)
    if value is None:
        return True
    return not value.text and cell.get("t") != "str"


class XlsxSource:
    """Rows of one sheet of an XLSX workbook, read with openpyxl in read-only mode."""

    def __init__(self, path: Path, source: FileSource) -> None:
        self.path = path
        self.file = path.name
        self.sheet_name = source.sheet
        self.encoding: str | None = None
        self.sheet: str | None = None
        self.sheet_names: list[str] = []
        self._sheet_path: str | None = None
        self.epoch: dt.datetime = CALENDAR_WINDOWS_1900

    def _check_magic(self, handle: io.BufferedReader) -> bool:
        """False for an empty file; reject files that are not zip archives (not .xlsx)."""
        magic = handle.read(8)
        if not magic:
            return False
        if magic.startswith(_OLE2_MAGIC):
            if _encrypted_office_file(handle):
                raise FileRejectedError(
                    self.file,
                    "the workbook is password-protected (encrypted), so it cannot be read; open it in "
                    "Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, "
                    "clear the password) and save it as 'Excel Workbook (*.xlsx)' without a password",
                    kind=RejectKind.ENCRYPTED_WORKBOOK,
                )
            raise FileRejectedError(
                self.file,
                f"the file is an old Excel 97-2003 (.xls) workbook, which is not supported; {_SAVE_AS_XLSX}",
                kind=RejectKind.LEGACY_XLS,
            )
        if not magic.startswith(_ZIP_MAGIC):
            raise self._not_a_workbook(
                "not a zip archive: perhaps a CSV or other file renamed to .xlsx",
                "不是 zip 压缩格式，可能是 CSV 或其他文件改了扩展名",
            )
        handle.seek(0)
        return True

    def _not_a_workbook(self, why: str, why_zh: str, line: int | None = None) -> FileRejectedError:
        return FileRejectedError(
            self.file,
            f"not a valid Excel workbook ({why}); {_SAVE_AS_XLSX}",
            line=line,
            kind=RejectKind.NOT_A_WORKBOOK,
            details={"why_zh": why_zh},
        )

    def _open(self, handle: io.BufferedReader) -> Workbook:
        try:
            return openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged or foreign files
            error = type(exc).__name__
            raise self._not_a_workbook(
                f"the workbook cannot be opened: {error}", f"工作簿无法打开：{error}"
            ) from None

    def _worksheets(self, workbook: Workbook) -> list[ReadOnlyWorksheet]:
        """The sheets that may hold the data: the contract's sheet, or every worksheet in order."""
        names = list(workbook.sheetnames)
        if self.sheet_name is None and workbook.worksheets:
            return list(workbook.worksheets)
        if self.sheet_name is not None and self.sheet_name in names:
            return [workbook[self.sheet_name]]
        wanted = self.sheet_name or "(first sheet)"
        raise FileRejectedError(
            self.file,
            f"sheet {wanted!r} not found; the workbook has: {', '.join(names) or 'no sheets'}; "
            "rename the sheet or correct source.sheet in the contract",
            kind=RejectKind.SHEET_NOT_FOUND,
            details={
                "sheet_zh": self.sheet_name or "（第一个工作表）",
                "sheets_zh": "、".join(names) or "无",
            },
        )

    def candidates(self) -> Generator[tuple[str | None, Rows], None, None]:
        """(sheet name, its non-blank rows) of each sheet that may hold the data, in order.

        The workbook stays open until this generator is closed; ``sheet`` is the sheet of the
        last candidate yielded.
        """
        with open_dropped(self.path) as handle:
            if not self._check_magic(handle):
                yield None, self._no_rows()
                return
            workbook = self._open(handle)
            try:
                self.epoch = workbook.epoch
                self.sheet_names = list(workbook.sheetnames)
                for sheet in self._worksheets(workbook):
                    self.sheet = sheet.title
                    self._sheet_path = sheet._worksheet_path
                    sheet.reset_dimensions()
                    yield sheet.title, self._sheet_rows(sheet)
            finally:
                workbook.close()

    @staticmethod
    def _no_rows() -> Rows:
        """The rows of an empty file: none."""
        yield from ()

    def rows(self) -> Iterator[Row]:
        """Non-blank rows (row number, cell values) of the contract's sheet, or the first sheet."""
        candidates = self.candidates()
        try:
            for _sheet, rows in candidates:
                yield from rows
                return
        finally:
            candidates.close()

    def _sheet_rows(self, sheet: ReadOnlyWorksheet) -> Rows:
        rows = sheet.iter_rows(min_row=1, values_only=True)
        number = 0
        while True:
            try:
                number, cells = number + 1, next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet: zip, zlib or XML errors
                error = type(exc).__name__
                raise self._not_a_workbook(
                    f"the sheet is damaged from this row on: {error}",
                    f"工作表从第 {number} 行起已损坏：{error}",
                    number,
                ) from None
            if not is_blank(cells):
                yield number, cells

    def check_row(self, line: int, cells: Sequence[object], layout: Layout) -> None:
        """Rows of a sheet may be ragged: cells beyond the header are ignored."""

    def uncalculated_formula(self, columns: dict[int, str], after_row: int) -> tuple[int, str] | None:
        """The first cell below ``after_row`` in the given columns that is a formula without a value.

        A workbook written by a program (not saved by Excel) holds formulas without their cached
        results, which openpyxl's ``data_only`` mode reads as empty. Scans the sheet's XML once,
        streaming; called only when such columns have empty cells.

        Args:
            columns: 0-based column index -> source column name, of the columns to check.
            after_row: the header row; only rows below it are checked.

        Returns:
            (row number, source column name) of the first such cell, or None.
        """
        if self._sheet_path is None or not columns:
            return None
        with (
            open_dropped(self.path) as handle,
            zipfile.ZipFile(handle) as archive,
            archive.open(self._sheet_path) as stream,
        ):
            row, column = 0, 0
            for _event, element in iterparse(stream):
                if element.tag == _ROW_TAG:
                    element.clear()
                    continue
                if element.tag != _CELL_TAG:
                    continue
                reference = element.get("r")
                if reference:
                    letters, row = coordinate_from_string(reference)
                    column = column_index_from_string(letters) - 1
                else:
                    column += 1
                uncalculated = element.find(_FORMULA_TAG) is not None and _no_cached_value(element)
                element.clear()
                if uncalculated and row > after_row and column in columns:
                    return row, columns[column]
        return None

    def column_texts(self, values: list[object], column: ColumnSpec, lines: list[int]) -> list[str | None]:
        """The text of one column's typed cells (numbers, dates) for conversion."""
        file, epoch = self.file, self.epoch
        return [
            excel_cell_text(v, column, file=file, line=n, epoch=epoch)
            for v, n in zip(values, lines, strict=True)
        ]
