"""Converting cell text (and typed XLSX cells) to the contract's Arrow types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from huiliu.contracts.model import ColumnSpec
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.convert import excel_cell_text, to_arrow_array


def spec(type_: str, nullable: bool = True) -> ColumnSpec:
    return ColumnSpec(name="value", type=type_, nullable=nullable, source_name="数值")


@pytest.mark.parametrize(
    ("type_", "values", "expected"),
    [
        pytest.param(
            "string",
            [" 张三 ", "", "　", None, "a,b"],
            ["张三", None, None, None, "a,b"],
            id="string-trimmed",
        ),
        pytest.param("string", ["ＡＢ１２"], ["ＡＢ１２"], id="string-not-normalised"),
        pytest.param(
            "integer",
            ["1", "-2", "+3", "1,234", "１２", "7.0", " ", None],
            [1, -2, 3, 1234, 12, 7, None, None],
            id="integer",
        ),
        pytest.param(
            "float",
            ["1.5", "1,234.5", "-2e3", ".5", "３.２５", "+1"],
            [1.5, 1234.5, -2000.0, 0.5, 3.25, 1.0],
            id="float",
        ),
        pytest.param(
            "decimal(10,2)",
            ["1,234.50", "0.5", "-3", "¥12.3", "45元", "１２３．４", "1234.500"],
            [
                Decimal("1234.50"),
                Decimal("0.50"),
                Decimal("-3.00"),
                Decimal("12.30"),
                Decimal("45.00"),
                Decimal("123.40"),
                Decimal("1234.50"),
            ],
            id="decimal",
        ),
        pytest.param(
            "boolean",
            ["是", "否", "TRUE", "false", "1", "0", "Y", "no", ""],
            [True, False, True, False, True, False, True, False, None],
            id="boolean",
        ),
        pytest.param(
            "date",
            [
                "2026-01-05",
                "2026/1/5",
                "20260105",
                "2026年1月5日",
                "2026.1.5",
                "２０２６－０１－０５",
                "2026-01-05 00:00:00",
                "2026年 1月 5日",
            ],
            [dt.date(2026, 1, 5)] * 8,
            id="date",
        ),
        pytest.param(
            "timestamp",
            [
                "2026-01-05 08:30",
                "2026/1/5 8:30:15",
                "2026-01-05T08:30:15.25",
                "2026-01-05",
                "20260105 08:30:00",
            ],
            [
                dt.datetime(2026, 1, 5, 8, 30),
                dt.datetime(2026, 1, 5, 8, 30, 15),
                dt.datetime(2026, 1, 5, 8, 30, 15, 250000),
                dt.datetime(2026, 1, 5),
                dt.datetime(2026, 1, 5, 8, 30),
            ],
            id="timestamp",
        ),
    ],
)
def test_accepted_formats(type_: str, values: list[str | None], expected: list[object]) -> None:
    array = to_arrow_array(values, spec(type_), file="f.csv", first_line=3)

    assert array.to_pylist() == expected
    assert array.type == {
        "string": pa.string(),
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }.get(type_, pa.decimal128(10, 2))


def test_empty_value_in_non_nullable_column_is_null_not_an_error() -> None:
    array = to_arrow_array(["", "5"], spec("integer", nullable=False), file="f.csv", first_line=2)

    assert array.to_pylist() == [None, 5]


@pytest.mark.parametrize(
    ("type_", "bad", "says"),
    [
        pytest.param("integer", "十二", "not a whole number", id="integer-words"),
        pytest.param("integer", "12,34", "not a whole number", id="integer-bad-grouping"),
        pytest.param("integer", "12.5", "not a whole number", id="integer-fraction"),
        pytest.param("integer", "99999999999999999999", "too large", id="integer-overflow"),
        pytest.param("float", "1.2.3", "not a number", id="float"),
        pytest.param("decimal(10,2)", "12.345", "more than 2 decimal places", id="decimal-scale"),
        pytest.param(
            "decimal(10,2)",
            "123456789",
            "more than 8 digits before the decimal point",
            id="decimal-precision",
        ),
        pytest.param("decimal(10,2)", "abc", "not a decimal number", id="decimal-text"),
        pytest.param("boolean", "maybe", "not a yes/no value", id="boolean"),
        pytest.param("date", "05/01/2026", "not a date (expected YYYY-MM-DD", id="date-format"),
        pytest.param("date", "2026-02-30", "not a valid calendar date", id="date-calendar"),
        pytest.param("date", "2026-01-05 10:30", "not a date", id="date-with-time"),
        pytest.param("timestamp", "2026-01-05 25:00", "not a valid date and time", id="timestamp-hour"),
        pytest.param("timestamp", "yesterday 10:00", "not a date and time", id="timestamp-text"),
    ],
)
def test_failures_name_line_and_column_without_the_value(type_: str, bad: str, says: str) -> None:
    values = ["1"] * 7 + [bad] + ["1"] * 3
    if type_ in {"date", "timestamp"}:
        values = ["2026-01-01"] * 7 + [bad] + ["2026-01-02"] * 3
    lines = [10 + 2 * i for i in range(len(values))]

    with pytest.raises(FileRejectedError) as caught:
        to_arrow_array(values, spec(type_), file="f.csv", first_line=10, line_numbers=lines)

    error = caught.value
    assert (error.file, error.line, error.column, error.kind) == ("f.csv", 24, "数值", RejectKind.BAD_VALUE)
    assert says in error.reason
    assert bad not in str(error)


def test_line_defaults_to_first_line_plus_index() -> None:
    with pytest.raises(FileRejectedError) as caught:
        to_arrow_array(["1", "2", "x"], spec("integer"), file="f.csv", first_line=5)

    assert caught.value.line == 7


@pytest.mark.parametrize(
    ("value", "type_", "expected"),
    [
        pytest.param(520102001001, "string", "520102001001", id="int-in-string"),
        pytest.param(520102001001.0, "string", "520102001001", id="whole-float-in-string"),
        pytest.param(3.5, "string", "3.5", id="fraction-in-string"),
        pytest.param(True, "boolean", "true", id="bool"),
        pytest.param(0.1 + 0.2, "decimal(10,2)", "0.3", id="float-rounded-to-15-digits"),
        pytest.param(12.000000000000002, "integer", "12", id="computed-whole-number"),
        pytest.param(12.5, "integer", "12.5", id="fraction-left-for-the-converter"),
        pytest.param(1.25, "float", "1.25", id="float"),
        pytest.param(dt.datetime(2026, 1, 5), "date", "2026-01-05", id="midnight-datetime"),
        pytest.param(dt.datetime(2026, 1, 5, 8, 30), "timestamp", "2026-01-05 08:30:00", id="datetime"),
        pytest.param(dt.date(2026, 1, 5), "string", "2026-01-05", id="date-in-string"),
        pytest.param(46027, "date", "2026-01-05", id="excel-serial-date"),
        pytest.param(20260105, "date", "20260105", id="yyyymmdd-number"),
        pytest.param(None, "integer", None, id="empty"),
    ],
)
def test_excel_cell_text(value: object, type_: str, expected: str | None) -> None:
    assert excel_cell_text(value, spec(type_), file="v.xlsx", line=4) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(520102199003074514, id="int"),
        pytest.param(5.20102199003075e17, id="float-as-excel-saves-it"),
        pytest.param(6222021234567890, id="16-digit-card"),
    ],
)
def test_long_numbers_in_string_columns_are_rejected(value: float) -> None:
    with pytest.raises(FileRejectedError) as caught:
        excel_cell_text(value, spec("string"), file="v.xlsx", line=9)

    error = caught.value
    assert (error.kind, error.line, error.column) == (RejectKind.PRECISION_LOST, 9, "数值")
    assert "format the column as Text" in error.reason
    assert str(int(value))[:10] not in str(error)
