"""Turn the text of CSV and XLSX cells into the Arrow type a contract column lands as.

Conversion is vectorised with ``pyarrow.compute``: the cells of a batch are normalised (NFKC, so
full-width digits and punctuation become ASCII; surrounding whitespace trimmed; empty -> null),
matched against the formats Chinese government spreadsheets use, rewritten to the canonical ISO
form and cast. Only when something fails is the batch searched (by bisection) for the first failing
cell, to name its line. Messages say what was expected, never what was found: a cell may hold an
ID number or a name.

Empty values are nulls even in non-nullable columns: whether a null is acceptable is the quality
gate's decision, not the reader's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils.datetime import from_excel

from huiliu.contracts.arrow import arrow_type
from huiliu.contracts.model import ColumnSpec
from huiliu.errors import FileRejectedError, RejectKind

EXCEL_SIGNIFICANT_DIGITS = 15
_EXCEL_EXACT_LIMIT = 10**EXCEL_SIGNIFICANT_DIGITS
_EXCEL_SERIAL_MAX = 2_958_465  # 9999-12-31
_EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)
_TRUE = ("是", "true", "t", "yes", "y", "1")
_FALSE = ("否", "false", "f", "no", "n", "0")
_NUMBER = r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
_INTEGER = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?$"
_FLOAT = rf"^[+-]?{_NUMBER}(?:[eE][+-]?\d+)?$"
_DECIMAL = rf"^[+-]?¥?{_NUMBER}元?$"
_SCIENTIFIC = r"^[+-]?\d+(?:\.\d+)?[eE][+-]\d+$"  # Excel writes the sign: 5.20103E+17
_COMPACT_DATE = (r"^(\d{4})(\d{2})(\d{2})($|[ T].*)$", r"\1-\2-\3\4")
_DATE_PART = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
_DATE = rf"^{_DATE_PART}$"
_MIDNIGHT = r"[ T]+0{1,2}:00(?::00(?:\.0+)?)?$"
_TIMESTAMP = (
    rf"^{_DATE_PART}(?:[ T]+(?P<hh>\d{{1,2}}):(?P<mm>\d{{2}})(?::(?P<ss>\d{{2}})(?:\.(?P<us>\d{{1,6}}))?)?)?$"
)

DATE_FORMATS = "YYYY-MM-DD, YYYY/M/D, YYYYMMDD or YYYY年M月D日"
TIMESTAMP_FORMATS = "YYYY-MM-DD HH:MM[:SS] or YYYY/M/D HH:MM[:SS]"
_DATE_FORMATS_ZH = "YYYY-MM-DD、YYYY/M/D、YYYYMMDD 或 YYYY年M月D日"
_TIMESTAMP_FORMATS_ZH = "YYYY-MM-DD HH:MM[:SS] 或 YYYY/M/D HH:MM[:SS]"


class _CellError(Exception):
    """A cell at ``index`` of a batch failed conversion for ``reason`` (``reason_zh`` in Chinese)."""

    def __init__(self, index: int, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason
        self.reason_zh = reason_zh


def _type_key(column: ColumnSpec) -> str:
    """``decimal`` for decimal(p,s) columns, else the contract type name."""
    return "decimal" if column.decimal_precision_scale is not None else column.type


def _clean(values: list[str | None], *, normalise: bool) -> pa.StringArray:
    """Cells as an Arrow string array: NFKC-normalised if asked, trimmed, empty -> null."""
    array = pa.array(values, type=pa.string())
    if normalise:
        array = pc.utf8_normalize(array, "NFKC")
    array = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _first_mismatch(text: pa.Array, matches: pa.Array) -> int:
    """Index of the first non-null cell whose ``matches`` is false, or -1."""
    checked = pc.or_kleene(pc.is_null(text), matches)
    return int(pc.index(checked, False).as_py())


def _require_pattern(text: pa.Array, pattern: str, reason: str, reason_zh: str) -> None:
    """Raise a _CellError at the first non-null cell that does not match the pattern."""
    index = _first_mismatch(text, pc.match_substring_regex(text, pattern))
    if index >= 0:
        raise _CellError(index, reason, reason_zh)


def _casts(array: pa.Array, target: pa.DataType) -> bool:
    """Whether the whole array casts to the target type."""
    try:
        pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _first_cast_failure(array: pa.Array, target: pa.DataType) -> int:
    """Index of the first element that does not cast, found by bisection (array must fail)."""
    offset = 0
    while len(array) > 1:
        half = len(array) // 2
        left = array.slice(0, half)
        if _casts(left, target):
            offset += half
            array = array.slice(half)
        else:
            array = left
    return offset


Reason: TypeAlias = Callable[[int], tuple[str, str]]
"""The reason (English, Chinese) a cell at an index of a batch does not convert."""


def _cast(candidate: pa.Array, target: pa.DataType, reason: Reason) -> pa.Array:
    """Cast, or raise a _CellError at the first cell that does not cast."""
    try:
        return pc.cast(candidate, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        index = _first_cast_failure(candidate, target)
        raise _CellError(index, *reason(index)) from None


def _convert_integer(text: pa.Array, _column: ColumnSpec) -> pa.Array:
    """int64 from digits with optional sign, thousands separators and a ``.0`` tail."""
    _require_pattern(
        text,
        _INTEGER,
        "value is not a whole number (expected digits such as 1234 or 1,234)",
        "的值不是整数（应为 1234 或 1,234 这样的数字）",
    )
    candidate = pc.replace_substring_regex(pc.replace_substring(text, ",", ""), r"^\+|\.0*$", "")
    too_large = ("number is too large for a 64-bit integer column", "的数字太大，超出了 64 位整数列的范围")
    return _cast(candidate, pa.int64(), lambda _: too_large)


def _convert_float(text: pa.Array, _column: ColumnSpec) -> pa.Array:
    """float64 from decimal or exponent notation, with optional thousands separators."""
    reason = (
        "value is not a number (expected e.g. 1234.5 or 1,234.5)",
        "的值不是数字（应如 1234.5 或 1,234.5）",
    )
    _require_pattern(text, _FLOAT, *reason)
    candidate = pc.replace_substring_regex(text, r"^\+|,", "")
    return _cast(candidate, pa.float64(), lambda _: reason)


def _decimal_reason(candidate: pa.Array, column: ColumnSpec) -> Reason:
    """Explain why a decimal cell does not fit decimal(p,s), from that one cell."""
    precision, scale = column.decimal_precision_scale or (38, 0)
    kind = f"decimal({precision},{scale})"

    def reason(index: int) -> tuple[str, str]:
        digits = Decimal(str(candidate[index].as_py())).normalize().as_tuple()
        exponent = int(digits.exponent) if isinstance(digits.exponent, int) else 0
        if -exponent > scale:
            return (
                f"value has more than {scale} decimal places (column is {kind})",
                f"的值超过 {scale} 位小数（该列为 {kind}）",
            )
        return (
            f"value has more than {precision - scale} digits before the decimal point (column is {kind})",
            f"的值整数部分超过 {precision - scale} 位（该列为 {kind}）",
        )

    return reason


def _convert_decimal(text: pa.Array, column: ColumnSpec) -> pa.Array:
    """decimal128(p,s) from amounts such as 1,234.50, ¥12.3 or 45元; no rounding."""
    _require_pattern(
        text,
        _DECIMAL,
        "value is not a decimal number (expected e.g. 1234.50 or 1,234.50)",
        "的值不是金额或小数（应如 1234.50 或 1,234.50）",
    )
    candidate = pc.replace_substring_regex(text, r"[,¥元]", "")
    candidate = pc.replace_substring_regex(candidate, r"\.$", "")
    return _cast(candidate, arrow_type(column), _decimal_reason(candidate, column))


def _convert_boolean(text: pa.Array, _column: ColumnSpec) -> pa.Array:
    """bool from 是/否, true/false, t/f, yes/no, y/n or 1/0 (any case)."""
    lowered = pc.utf8_lower(text)
    known = pc.is_in(lowered, value_set=pa.array(_TRUE + _FALSE))
    index = _first_mismatch(text, known)
    if index >= 0:
        raise _CellError(
            index,
            "value is not a yes/no value (expected 是/否, true/false or 1/0)",
            "的值不是是/否值（应为 是/否、true/false 或 1/0）",
        )
    is_true = pc.is_in(lowered, value_set=pa.array(_TRUE))
    return pc.if_else(pc.is_valid(text), is_true, pa.scalar(None, pa.bool_()))


def _padded(part: pa.Array, width: int, default: str) -> pa.Array:
    """A numeric text part left-padded with zeros, or ``default`` when the part is empty."""
    padded = pc.utf8_lpad(part, width=width, padding="0")
    return pc.if_else(pc.equal(part, ""), default, padded)


def _iso_date(parts: pa.StructArray) -> pa.Array:
    """``YYYY-MM-DD`` text from the y/m/d fields of an extract_regex result."""
    year, month, day = (pc.struct_field(parts, name) for name in ("y", "m", "d"))
    return pc.binary_join_element_wise(year, _padded(month, 2, "01"), _padded(day, 2, "01"), "-")


def _convert_date(text: pa.Array, _column: ColumnSpec) -> pa.Array:
    """date32 from Y-M-D with - / . or 年月日 separators, or YYYYMMDD; a midnight time is dropped."""
    normalised = pc.replace_substring_regex(text, *_COMPACT_DATE)
    normalised = pc.replace_substring_regex(normalised, _MIDNIGHT, "")
    _require_pattern(
        normalised,
        _DATE,
        f"value is not a date (expected {DATE_FORMATS})",
        f"的值不是日期（应为 {_DATE_FORMATS_ZH}）",
    )
    candidate = _iso_date(pc.extract_regex(normalised, _DATE))
    invalid = (
        "value is not a valid calendar date (e.g. month 13 or 30 February)",
        "的值不是真实存在的日期（如 13 月或 2 月 30 日）",
    )
    return _cast(candidate, pa.date32(), lambda _: invalid)


def _convert_timestamp(text: pa.Array, _column: ColumnSpec) -> pa.Array:
    """timestamp[us] from a date as for dates plus optional HH:MM[:SS[.ffffff]]."""
    normalised = pc.replace_substring_regex(text, *_COMPACT_DATE)
    _require_pattern(
        normalised,
        _TIMESTAMP,
        f"value is not a date and time (expected {TIMESTAMP_FORMATS})",
        f"的值不是日期时间（应为 {_TIMESTAMP_FORMATS_ZH}）",
    )
    parts = pc.extract_regex(normalised, _TIMESTAMP)
    hh, mm, ss, us = (pc.struct_field(parts, name) for name in ("hh", "mm", "ss", "us"))
    clock = pc.binary_join_element_wise(_padded(hh, 2, "00"), _padded(mm, 2, "00"), _padded(ss, 2, "00"), ":")
    micros = pc.utf8_rpad(us, width=6, padding="0")
    candidate = pc.binary_join_element_wise(_iso_date(parts), clock, " ")
    candidate = pc.binary_join_element_wise(candidate, micros, ".")
    invalid = (
        "value is not a valid date and time (e.g. month 13 or hour 25)",
        "的值不是真实存在的日期时间（如 13 月或 25 点）",
    )
    return _cast(candidate, pa.timestamp("us"), lambda _: invalid)


_CONVERTERS: dict[str, Callable[[pa.Array, ColumnSpec], pa.Array]] = {
    "integer": _convert_integer,
    "float": _convert_float,
    "decimal": _convert_decimal,
    "boolean": _convert_boolean,
    "date": _convert_date,
    "timestamp": _convert_timestamp,
}


def to_arrow_array(
    values: list[str | None],
    column: ColumnSpec,
    *,
    file: str,
    first_line: int,
    line_numbers: list[int] | None = None,
) -> pa.Array:
    """Convert the text cells of one column of a batch to the column's Arrow type.

    Accepted forms: integers with thousands separators (1,234; "12.0" too); decimals such as
    1,234.50 (optionally ¥ or 元); floats with an exponent; booleans 是/否, true/false, yes/no, 1/0;
    dates 2026-01-05, 2026/1/5, 2026.1.5, 20260105, 2026年1月5日 (a midnight time is allowed);
    timestamps with ``-`` or ``/`` dates and HH:MM[:SS[.ffffff]]. Full-width characters are
    NFKC-normalised for typed columns; string columns are only trimmed. Empty or blank cells
    become nulls whatever the column's nullability.

    Args:
        values: the cells, top to bottom.
        column: the contract column.
        file: file name, for the error.
        first_line: line (or row) number of the first cell, used when ``line_numbers`` is None.
        line_numbers: the line (or row) number of each cell, when rows are not contiguous.

    Returns:
        An Arrow array of ``arrow_type(column)`` with ``len(values)`` elements.

    Raises:
        FileRejectedError: a cell does not convert (kind ``bad_value``), naming its line and the
            column's source name, and saying what was expected (never the cell's value).
    """
    key = _type_key(column)
    text = _clean(values, normalise=key != "string")
    if key == "string":
        return text
    try:
        return _CONVERTERS[key](text, column)
    except _CellError as problem:
        line = line_numbers[problem.index] if line_numbers is not None else first_line + problem.index
        raise FileRejectedError(
            file,
            problem.reason,
            line=line,
            column=column.source_column,
            kind=RejectKind.BAD_VALUE,
            details={"reason_zh": problem.reason_zh},
        ) from None


def reject_scientific_notation(
    values: list[str | None], column: ColumnSpec, *, file: str, line_numbers: list[int]
) -> None:
    """Reject a text cell of a string column written in scientific notation (e.g. ``1.2E+17``).

    That is how Excel shows a long number typed into a General-format cell; saving as CSV writes
    what is shown, so the digits of an ID or card number beyond the first few are lost.

    Args:
        values: the column's cells (text), top to bottom.
        column: the contract column (a string column).
        file: file name, for the error.
        line_numbers: the line number of each cell.

    Raises:
        FileRejectedError: kind ``precision_lost``, naming the first such cell's line and column.
    """
    text = _clean(values, normalise=True)
    found = pc.index(pc.match_substring_regex(text, _SCIENTIFIC), True).as_py()
    if found < 0:
        return
    raise FileRejectedError(
        file,
        "the value is written in scientific notation (digits, E and an exponent): Excel stored a long "
        f"number (e.g. an ID or card number) as a number, kept at most {EXCEL_SIGNIFICANT_DIGITS} "
        "significant digits and saved the CSV as shown, so the value is lost; format the column as Text "
        "in Excel, enter the values again and save the file again",
        line=line_numbers[found],
        column=column.source_column,
        kind=RejectKind.PRECISION_LOST,
        details={
            "cause_zh": (
                "的值是科学计数法（数字、E 和指数）：Excel 把长数字（如身份证号、银行卡号）按数字保存，"
                f"最多只保留 {EXCEL_SIGNIFICANT_DIGITS} 位有效数字，并按显示的样子存成 CSV，数值已丢失精度"
            )
        },
    )


def _datetime_text(value: dt.datetime) -> str:
    """ISO text of an Excel datetime: the date alone at midnight, else with the time."""
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


def _excel_error(column: ColumnSpec, *, file: str, line: int) -> FileRejectedError:
    """The rejection of a cell that holds an Excel error such as #N/A instead of a value."""
    return FileRejectedError(
        file,
        "the cell holds an Excel error value (such as #N/A, #VALUE! or #REF!) instead of data; "
        "fix the formula or enter the value",
        line=line,
        column=column.source_column,
        kind=RejectKind.EXCEL_ERROR,
    )


def _number_as_string(value: int | float, column: ColumnSpec, *, file: str, line: int) -> str:
    """Text of a number in a string column; reject numbers Excel cannot hold exactly."""
    is_whole = isinstance(value, int) or value.is_integer()
    if is_whole and abs(value) >= _EXCEL_EXACT_LIMIT:
        raise FileRejectedError(
            file,
            f"a number with more than {EXCEL_SIGNIFICANT_DIGITS} digits is stored as a number, so Excel has "
            f"kept only {EXCEL_SIGNIFICANT_DIGITS} significant digits and the value (e.g. an ID or card "
            "number) is probably wrong; format the column as Text in Excel and enter the values again",
            line=line,
            column=column.source_column,
            kind=RejectKind.PRECISION_LOST,
            details={
                "cause_zh": (
                    f"的数字超过 {EXCEL_SIGNIFICANT_DIGITS} 位却按数字保存，Excel 只保留 "
                    f"{EXCEL_SIGNIFICANT_DIGITS} 位有效数字，该值（如身份证号、银行卡号）很可能已出错"
                )
            },
        )
    if is_whole:
        return str(int(value))
    return f"{value:.15g}"


def _number_as_typed(value: int | float, key: str, epoch: dt.datetime) -> str:
    """Text of a number in a typed column (Excel serial numbers become dates)."""
    if isinstance(value, int):
        if key in {"date", "timestamp"} and 0 < value <= _EXCEL_SERIAL_MAX:
            return _datetime_text(from_excel(value, epoch=epoch))
        return str(value)
    if key in {"date", "timestamp"} and 0 < value <= _EXCEL_SERIAL_MAX:
        return _datetime_text(from_excel(value, epoch=epoch))
    if key == "float":
        return repr(value)
    rounded = Decimal(f"{value:.15g}")
    if key in {"integer", "boolean"} and rounded == rounded.to_integral_value():
        return str(int(rounded))
    return format(rounded, "f")


def excel_cell_text(
    value: object,
    column: ColumnSpec,
    *,
    file: str,
    line: int,
    epoch: dt.datetime = dt.datetime(1899, 12, 30),
) -> str | None:
    """The text form of an XLSX cell value, ready for :func:`to_arrow_array`.

    Numbers in string columns become their integer text without ``.0``; whole numbers of 16 or
    more digits are rejected, since Excel keeps only 15 significant digits (the classic ID number
    stored as a number). Floats in numeric columns are rounded to Excel's 15 significant digits,
    so ``0.1 + 0.2`` lands as 0.3. Dates and datetimes become ISO text; numbers in date columns are
    read as Excel serial dates (or as YYYYMMDD when they are 8-digit).

    Args:
        value: what openpyxl returned (``None``, str, bool, int, float, date, datetime, time...).
        column: the contract column the cell belongs to.
        file: file name, for the error.
        line: the row number, for the error.
        epoch: the workbook's date epoch (``Workbook.epoch``).

    Returns:
        The cell as text, or None for an empty cell.

    Raises:
        FileRejectedError: a number in a string column has lost precision (kind ``precision_lost``),
            or the cell holds an Excel error value such as ``#N/A`` (kind ``excel_error``).
    """
    key = _type_key(column)
    if isinstance(value, str) and value.strip() in _EXCEL_ERRORS:
        raise _excel_error(column, file=file, line=line)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("true" if value else "false") if key != "string" else ("TRUE" if value else "FALSE")
    if isinstance(value, int | float):
        if key == "string":
            return _number_as_string(value, column, file=file, line=line)
        return _number_as_typed(value, key, epoch)
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
