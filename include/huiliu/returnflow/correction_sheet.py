"""The 纠错 sheet of a delivered workbook: a form a unit fills in and sends back, and reading it back.

The sheet carries the delivery's id (locked) and one line per delivered row — its 数据行号 (the row
in the data sheet, 1 = the first) and its key as delivered (masked where the policy masks it), both
locked — with 字段 (a dropdown of the columns the unit received), 正确的值 and 理由 to fill; an
extract too large to list gets blank lines where the row number is typed. The sheet is protected so
the id, headers, row numbers and keys stay as written. Reading a
returned workbook gives every filled row, or every problem found with its sheet row and what is
wrong (in Chinese and English), never repeating what was typed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

CORRECTION_SHEET = "纠错"
FORM_ROWS = 200
"""Blank rows to fill when the extract is too large to list row by row (send several workbooks for more)."""
PREFILL_LIMIT = 5_000
"""Extracts up to this many rows list every delivered row in the form, with its key as delivered."""
FIRST_FORM_ROW = 5
"""The 0-based sheet row of the first row to fill (title, id, two lines of help and the header come first)."""
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ROW_HEADER, FIELD_HEADER, VALUE_HEADER, REASON_HEADER = (
    "数据行号 Row",
    "字段 Column",
    "正确的值 New value",
    "理由 Reason",
)
MAX_KEY_COLUMNS = 6
_CHOICE = re.compile(r"\(([a-z][a-z0-9_]*)\)\s*$")


def column_choice(title: str, name: str) -> str:
    """How a column reads in the 字段 dropdown, e.g. ``联系电话 (phone)``."""
    return f"{title} ({name})" if title and title != name else name


def write_correction_sheet(
    book: Workbook,
    *,
    delivery_id: str,
    rows: int,
    columns: Sequence[tuple[str, str]],
    steward: str,
    key_titles: Sequence[str] = (),
    prefilled: Sequence[Sequence[str | None]] = (),
) -> Worksheet:
    """Add the 纠错 sheet.

    Args:
        columns: the received columns' machine names and titles (the 字段 dropdown).
        key_titles: the headers of the record's key columns as delivered.
        prefilled: per delivered row, its key values as delivered; when given (an extract of at most
            :data:`PREFILL_LIMIT` rows), every row is listed with its row number and key locked, and
            only 字段, 正确的值 and 理由 are left to fill; otherwise :data:`FORM_ROWS` blank rows.
    """
    sheet = book.add_worksheet(CORRECTION_SHEET)
    locked = book.add_format({"locked": True, "num_format": "@"})
    locked_number = book.add_format({"locked": True, "num_format": "0"})
    title = book.add_format({"bold": True, "font_size": 14, "locked": True})
    header = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "locked": True})
    editable = book.add_format({"locked": False, "num_format": "@", "bg_color": "#FFFFE0", "border": 1})
    number = book.add_format({"locked": False, "num_format": "0", "bg_color": "#FFFFE0", "border": 1})
    keys = list(key_titles)[:MAX_KEY_COLUMNS]
    headers = (ROW_HEADER, *keys, FIELD_HEADER, VALUE_HEADER, REASON_HEADER)
    for col, width in enumerate((14, *(24 for _ in keys), 30, 36, 48)):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, "纠错表 Corrections", title)
    sheet.write_string(1, 0, "交付编号 Delivery", locked)
    sheet.write_string(1, 1, delivery_id, locked)
    sheet.write_string(
        2,
        0,
        "发现记录有误时，在该记录所在行的黄色格中填写字段、正确的值和理由（数据行号即“数据”表第几行数据，"
        f"1 为第一行），保存后上传或交回；由数据所属部门（{steward}）核实。",
        locked,
    )
    sheet.write_string(
        3,
        0,
        "Fill the yellow cells of the record's line: the column, the right value and why (the data row is "
        "the row of the data sheet, 1 = the first); save and send the workbook back. The owning department "
        "checks each one.",
        locked,
    )
    for col, text in enumerate(headers):
        sheet.write_string(FIRST_FORM_ROW - 1, col, text, header)
    first_input = 1 + len(keys)
    listed = len(prefilled) == rows and rows <= PREFILL_LIMIT and rows > 0
    count = rows if listed else FORM_ROWS
    for i in range(count):
        row = FIRST_FORM_ROW + i
        if listed:
            sheet.write_number(row, 0, i + 1, locked_number)
            for col, value in enumerate(list(prefilled[i])[: len(keys)], start=1):
                sheet.write_string(row, col, value or "", locked)
        else:
            sheet.write_blank(row, 0, None, number)
        for col in range(first_input, first_input + 3):
            sheet.write_blank(row, col, None, editable)
    last = FIRST_FORM_ROW + count - 1
    if rows and not listed:
        sheet.data_validation(
            FIRST_FORM_ROW,
            0,
            last,
            0,
            {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": rows},
        )
    choices = [column_choice(title_zh, name) for name, title_zh in columns]
    if choices and sum(len(c) + 1 for c in choices) <= 255:  # Excel's limit for an inline list
        sheet.data_validation(
            FIRST_FORM_ROW, first_input, last, first_input, {"validate": "list", "source": choices}
        )
    sheet.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    return sheet


def fill_correction(book: Any, line: int, *, row: int | str, field: str, value: str, reason: str) -> None:
    """Fill line ``line`` (0 = the first) of a workbook's 纠错 form, as a unit would in Excel."""
    sheet = book[CORRECTION_SHEET]
    headers = [c.value for c in sheet[FIRST_FORM_ROW]]
    at = FIRST_FORM_ROW + 1 + line
    for header, content in (
        (ROW_HEADER, row),
        (FIELD_HEADER, field),
        (VALUE_HEADER, value),
        (REASON_HEADER, reason),
    ):
        sheet.cell(row=at, column=headers.index(header) + 1, value=content)


@dataclass(frozen=True, kw_only=True)
class FormRow:
    """One filled row of a returned 纠错 sheet (``sheet_row``: as Excel numbers it)."""

    sheet_row: int
    row: int
    field: str
    value: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class FormProblem:
    sheet_row: int | None
    field: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, object]:
        return {
            "sheet_row": self.sheet_row,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True, kw_only=True)
class ReturnedForm:
    delivery_id: str | None
    rows: tuple[FormRow, ...]
    problems: tuple[FormProblem, ...]


def _whole_sheet(zh: str, en: str) -> ReturnedForm:
    return ReturnedForm(
        delivery_id=None,
        rows=(),
        problems=(FormProblem(sheet_row=None, field="file", message_zh=zh, message_en=en),),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _field_name(choice: str) -> str:
    shape = _CHOICE.search(choice)
    return shape.group(1) if shape else choice.strip()


def read_correction_sheet(content: bytes) -> ReturnedForm:
    """The filled rows of a returned workbook's 纠错 sheet, or every problem with it."""
    import openpyxl

    if len(content) > MAX_UPLOAD_BYTES:
        return _whole_sheet("文件过大（上限 50 MB）", "the file is too large (at most 50 MB)")
    unreadable = _whole_sheet(
        "不是可读取的 XLSX 文件；请交回收到的工作簿",
        "not a readable XLSX file; send back the workbook you received",
    )
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # any failure to parse untrusted bytes means the same thing to the sender
        return unreadable
    try:
        if CORRECTION_SHEET not in book.sheetnames:
            return _whole_sheet(
                "工作簿中没有“纠错”表；请使用收到的工作簿",
                "the workbook has no 纠错 sheet; use the workbook you received",
            )
        sheet = book[CORRECTION_SHEET]
        cells = list(
            sheet.iter_rows(
                min_row=1,
                max_row=FIRST_FORM_ROW + max(FORM_ROWS, PREFILL_LIMIT),
                max_col=4 + MAX_KEY_COLUMNS,
                values_only=True,
            )
        )
    except Exception:  # a sheet whose XML is broken
        return unreadable
    finally:
        book.close()
    delivery_id = _text(cells[1][1]) if len(cells) > 1 and len(cells[1]) > 1 else ""
    if not re.fullmatch(r"D[0-9a-f]{16}", delivery_id):
        return _whole_sheet(
            "“纠错”表的交付编号缺失或被改动", "the 纠错 sheet's delivery id is missing or was changed"
        )
    found = [_text(v) for v in cells[FIRST_FORM_ROW - 1]] if len(cells) >= FIRST_FORM_ROW else []
    wanted = (ROW_HEADER, FIELD_HEADER, VALUE_HEADER, REASON_HEADER)
    if not all(h in found for h in wanted):
        return _whole_sheet(
            "“纠错”表的表头被改动；请使用收到的工作簿",
            "the 纠错 sheet's header was changed; use the workbook you received",
        )
    at = [found.index(h) for h in wanted]
    rows: list[FormRow] = []
    problems: list[FormProblem] = []
    for index, line in enumerate(cells[FIRST_FORM_ROW:], start=FIRST_FORM_ROW + 1):
        padded = (*line, *([None] * (max(at) + 1)))
        row_text, choice, value, reason = (_text(padded[i]) for i in at)
        if not any((choice, value, reason)):
            continue  # a listed record no one corrected, or an empty line
        missing = [
            name
            for name, text in (("row", row_text), ("field", choice), ("value", value), ("reason", reason))
            if not text
        ]
        if missing:
            problems.append(
                FormProblem(
                    sheet_row=index,
                    field=missing[0],
                    message_zh=f"第 {index} 行未填完：数据行号、字段、正确的值和理由都要填写",
                    message_en=f"sheet row {index} is incomplete: fill in the row, the column, the value "
                    "and the reason",
                )
            )
            continue
        if not row_text.isdigit():
            problems.append(
                FormProblem(
                    sheet_row=index,
                    field="row",
                    message_zh=f"第 {index} 行的数据行号须为正整数",
                    message_en=f"sheet row {index}: the data row must be a whole number",
                )
            )
            continue
        rows.append(
            FormRow(sheet_row=index, row=int(row_text), field=_field_name(choice), value=value, reason=reason)
        )
    if not rows and not problems:
        return ReturnedForm(
            delivery_id=delivery_id,
            rows=(),
            problems=(
                FormProblem(
                    sheet_row=None,
                    field="file",
                    message_zh="“纠错”表中没有填写任何更正",
                    message_en="the 纠错 sheet holds no correction",
                ),
            ),
        )
    return ReturnedForm(delivery_id=delivery_id, rows=tuple(rows), problems=tuple(problems))
