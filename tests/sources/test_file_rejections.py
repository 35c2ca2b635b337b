"""Files that must be rejected, each with the file name, line, column and an actionable reason."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from filedrop_samples import (
    UB_HEADER,
    UB_ROWS,
    VP_ROWS,
    assert_no_personal_values,
    csv_text,
    with_source,
    write_csv,
    write_xlsx_openpyxl,
)

from huiliu.contracts.model import DatasetContract
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.dropbox import ZH_TEMPLATES, message_zh
from huiliu.sources.files import FileExtraction

CSV_NAME = "unemployment_benefit_202610.csv"
XLSX_NAME = "volunteer_points_202601.xlsx"


@dataclass(frozen=True)
class Case:
    """A broken file: how to write it and what the rejection must say."""

    write: Callable[[Path], None]
    kind: RejectKind
    line: int | None
    column: str | None
    says: tuple[str, ...]
    contract: str = "unemployment_benefit"
    name: str = CSV_NAME
    declared: str | None = None
    secret: str | None = None


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data) and None


def _csv(rows: list[list[str]], encoding: str = "utf-8", **options: object) -> Callable[[Path], None]:
    return lambda path: write_csv(path, rows, encoding=encoding, **options) and None


def _replace(row: int, column: int, value: str) -> list[list[str]]:
    rows = [r.copy() for r in UB_ROWS]
    rows[row][column] = value
    return rows


def _truncated_last_line(path: Path) -> None:
    text = csv_text(UB_ROWS[:4]) + "BX2026100005,520111199912310018,钱七,参保,6"
    path.write_bytes(text.encode("gbk"))


def _unterminated_quote(path: Path) -> None:
    text = (
        csv_text(UB_ROWS[:3])
        + 'BX2026100004,520103198811230021,"赵六,终止,1,1500.5,2025-11-03,520103002002\r\n'
    )
    path.write_bytes(text.encode("gbk"))


def _stray_quote_mid_file(path: Path) -> None:
    text = (
        csv_text(UB_ROWS[:2])
        + 'BX2026100003,"520103197001011234"x,欧阳明,参保,1,2,2025-11-15,520103002001\r\n'
    )
    path.write_bytes(text.encode("utf-8"))


def _wrong_column_count(path: Path) -> None:
    rows = [r.copy() for r in UB_ROWS]
    del rows[2][3]
    write_csv(path, rows, encoding="gbk")


def _extra_cell(path: Path) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[3].append("多出的值")
    write_csv(path, rows, encoding="gbk")


def _nul_bytes(path: Path) -> None:
    data = csv_text(UB_ROWS).encode("gbk").split(b"\r\n")
    data[4] = data[4].replace(b"BX", b"B\x00X")
    path.write_bytes(b"\r\n".join(data))


def _invalid_gbk(path: Path) -> None:
    data = csv_text(UB_ROWS).encode("gbk").split(b"\r\n")
    data[3] = data[3].replace("李小梅".encode("gbk"), b"\x81\x20\xff")
    path.write_bytes(b"\r\n".join(data))


def _latin1_in_utf8(path: Path) -> None:
    text = csv_text(_replace(0, 3, "José")).replace("José", "\x00MARK\x00")
    path.write_bytes(text.encode("utf-8").replace(b"\x00MARK\x00", "José".encode("latin-1")))


def _utf16(path: Path) -> None:
    path.write_bytes(csv_text(UB_ROWS).encode("utf-16"))


def _no_header(path: Path) -> None:
    write_csv(path, UB_ROWS * 5, header=["a"] * 8, title=None)


def _missing_column(path: Path) -> None:
    index = UB_HEADER.index("身份证号")
    write_csv(
        path,
        [[c for i, c in enumerate(r) if i != index] for r in UB_ROWS],
        header=[h for h in UB_HEADER if h != "身份证号"],
        encoding="gbk",
    )


def _duplicate_column(path: Path) -> None:
    write_csv(path, [[*r, r[1]] for r in UB_ROWS], header=[*UB_HEADER, "身份证号"])


def _xlsx_rows(row: int, column: int, value: object) -> Callable[[Path], None]:
    rows = [r.copy() for r in VP_ROWS]
    rows[row][column] = value
    return lambda path: write_xlsx_openpyxl(path, rows) and None


def _empty_sheet(path: Path) -> None:
    openpyxl.Workbook().save(path)


CASES = [
    pytest.param(
        Case(
            _bytes(b""), RejectKind.EMPTY_FILE, None, None, (CSV_NAME, "no content", "业务流水号, 身份证号")
        ),
        id="csv-empty-0-bytes",
    ),
    pytest.param(
        Case(_bytes(b"\r\n \r\n,,,\r\n"), RejectKind.EMPTY_FILE, None, None, ("no content",)),
        id="csv-only-blank-lines",
    ),
    pytest.param(
        Case(_truncated_last_line, RejectKind.TRUNCATED, 7, None, ("truncated", "expected 8", "5 columns")),
        id="csv-truncated-last-line",
    ),
    pytest.param(
        Case(_unterminated_quote, RejectKind.UNTERMINATED_QUOTE, 6, None, ("never closed",)),
        id="csv-unterminated-quote-at-end",
    ),
    pytest.param(
        Case(
            _stray_quote_mid_file,
            RejectKind.MALFORMED_CSV,
            5,
            None,
            ("not valid CSV",),
            secret="520103197001011234",
        ),
        id="csv-text-after-closing-quote",
    ),
    pytest.param(
        Case(
            _bytes(csv_text(UB_ROWS, newline="\r\n").replace("欧阳明", "欧阳\r明").encode()),
            RejectKind.LINE_BREAK_IN_FIELD,
            5,
            None,
            ("line break", "enclose the field in double quotes"),
        ),
        id="csv-carriage-return-inside-an-unquoted-field",
    ),
    pytest.param(
        Case(_wrong_column_count, RejectKind.COLUMN_COUNT, 5, None, ("row has 7 columns, expected 8",)),
        id="csv-row-with-too-few-columns",
    ),
    pytest.param(
        Case(
            _extra_cell,
            RejectKind.COLUMN_COUNT,
            6,
            None,
            ("row has 9 columns, expected 8",),
            secret="多出的值",
        ),
        id="csv-row-with-too-many-columns",
    ),
    pytest.param(Case(_nul_bytes, RejectKind.NUL_BYTES, 5, None, ("NUL",)), id="csv-nul-bytes"),
    pytest.param(
        Case(_invalid_gbk, RejectKind.UNDECODABLE, 4, None, ("not valid gb18030",)),
        id="csv-invalid-gbk-sequence",
    ),
    pytest.param(
        Case(
            _latin1_in_utf8,
            RejectKind.UNDECODABLE,
            3,
            None,
            ("not valid utf-8", "declares"),
            declared="utf-8",
            secret="Jos",
        ),
        id="csv-latin1-bytes-declared-utf8",
    ),
    pytest.param(
        Case(_utf16, RejectKind.UNSUPPORTED_ENCODING, None, None, ("UTF-16", "CSV UTF-8")), id="csv-utf16"
    ),
    pytest.param(
        Case(_no_header, RejectKind.NO_HEADER, None, None, ("first 20 rows", "业务流水号, 身份证号, 姓名")),
        id="csv-no-header",
    ),
    pytest.param(
        Case(
            _missing_column,
            RejectKind.MISSING_COLUMNS,
            2,
            "身份证号",
            ("身份证号", "found headers: 业务流水号, 姓名, 参保状态"),
        ),
        id="csv-missing-required-column",
    ),
    pytest.param(
        Case(_duplicate_column, RejectKind.DUPLICATE_COLUMNS, 2, "身份证号", ("more than once",)),
        id="csv-duplicate-column",
    ),
    pytest.param(
        Case(
            _csv(_replace(2, 6, "11/15/2025"), "gbk"),
            RejectKind.BAD_VALUE,
            5,
            "起始日期",
            ("not a date", "YYYY-MM-DD"),
            secret="11/15/2025",
        ),
        id="csv-bad-date",
    ),
    pytest.param(
        Case(
            _csv(_replace(2, 6, "2025-13-45"), "gbk"),
            RejectKind.BAD_VALUE,
            5,
            "起始日期",
            ("not a valid calendar date",),
            secret="2025-13-45",
        ),
        id="csv-month-13",
    ),
    pytest.param(
        Case(
            _csv(_replace(1, 6, "2026-02-30")),
            RejectKind.BAD_VALUE,
            4,
            "起始日期",
            ("not a valid calendar date",),
            secret="2026-02-30",
        ),
        id="csv-impossible-date",
    ),
    pytest.param(
        Case(
            _csv(_replace(4, 4, "六个月")),
            RejectKind.BAD_VALUE,
            7,
            "领取月数",
            ("not a whole number",),
            secret="六个月",
        ),
        id="csv-bad-integer",
    ),
    pytest.param(
        Case(
            _csv(_replace(3, 5, "1500.555")),
            RejectKind.BAD_VALUE,
            6,
            "月发放金额",
            ("more than 2 decimal places",),
            secret="1500.555",
        ),
        id="csv-decimal-too-precise",
    ),
    pytest.param(
        Case(
            _bytes("记录编号,身份证号\r\nJF1,5201\r\n".encode()),
            RejectKind.NOT_A_WORKBOOK,
            None,
            None,
            (XLSX_NAME, "renamed to .xlsx", "Excel Workbook (*.xlsx)"),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-csv-renamed",
    ),
    pytest.param(
        Case(
            _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504),
            RejectKind.LEGACY_XLS,
            None,
            None,
            (".xls",),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-old-xls-renamed",
    ),
    pytest.param(
        Case(
            _bytes(b"PK\x03\x04broken"),
            RejectKind.NOT_A_WORKBOOK,
            None,
            None,
            ("not a valid Excel",),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-damaged-zip",
    ),
    pytest.param(
        Case(
            _bytes(b""),
            RejectKind.EMPTY_FILE,
            None,
            None,
            ("no content", "记录编号"),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-empty-0-bytes",
    ),
    pytest.param(
        Case(
            _empty_sheet,
            RejectKind.EMPTY_FILE,
            None,
            None,
            ("sheet 'Sheet'", "no content"),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-empty-sheet",
    ),
    pytest.param(
        Case(
            _xlsx_rows(2, 1, 520103197001011234.0),
            RejectKind.PRECISION_LOST,
            6,
            "身份证号",
            ("15 significant digits", "format the column as Text"),
            contract="volunteer_points",
            name=XLSX_NAME,
            secret="52010319700101",
        ),
        id="xlsx-id-number-stored-as-float",
    ),
    pytest.param(
        Case(
            _xlsx_rows(0, 1, 520102199003074514),
            RejectKind.PRECISION_LOST,
            4,
            "身份证号",
            ("format the column as Text",),
            contract="volunteer_points",
            name=XLSX_NAME,
            secret="52010219900307",
        ),
        id="xlsx-id-number-stored-as-integer",
    ),
    pytest.param(
        Case(
            _xlsx_rows(3, 7, "上周五"),
            RejectKind.BAD_VALUE,
            7,
            "记录日期",
            ("not a date",),
            contract="volunteer_points",
            name=XLSX_NAME,
            secret="上周五",
        ),
        id="xlsx-bad-date",
    ),
    pytest.param(
        Case(
            _xlsx_rows(1, 4, 2.5),
            RejectKind.BAD_VALUE,
            5,
            "积分变动",
            ("not a whole number",),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-fractional-points",
    ),
    pytest.param(
        Case(
            _xlsx_rows(4, 4, "#N/A"),
            RejectKind.EXCEL_ERROR,
            8,
            "积分变动",
            ("Excel error value", "fix the formula"),
            contract="volunteer_points",
            name=XLSX_NAME,
        ),
        id="xlsx-excel-error-cell",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_rejection(tmp_path: Path, contracts: dict[str, DatasetContract], case: Case) -> None:
    path = tmp_path / case.name
    case.write(path)
    contract = contracts[case.contract]
    if case.declared is not None:
        contract = with_source(contract, encoding=case.declared)

    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, contract))

    error = caught.value
    message = str(error)
    assert (error.kind, error.line, error.column) == (case.kind, case.line, case.column)
    assert error.file == case.name and message.startswith(case.name)
    if case.line is not None:
        assert f"line {case.line}" in message
    if case.column is not None:
        assert case.column in message
    for text in case.says:
        assert text in message
    assert_no_personal_values(message, *([case.secret] if case.secret else []))
    zh = message_zh(error)
    assert zh.startswith(f"文件被拒收（{case.name}）：") and "{" not in zh and "详见" not in zh
    if case.line is not None and case.kind is not RejectKind.MISSING_COLUMNS:
        assert f"第 {case.line} 行" in zh
    assert_no_personal_values(zh, *([case.secret] if case.secret else []))
    assert pickle.loads(pickle.dumps(error)).__dict__ == error.__dict__


def test_sheet_not_found_lists_the_sheets(tmp_path: Path, volunteer: DatasetContract) -> None:
    path = write_xlsx_openpyxl(tmp_path / XLSX_NAME, sheet="汇总")

    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, with_source(volunteer, sheet="积分明细")))

    assert caught.value.kind is RejectKind.SHEET_NOT_FOUND
    assert "'积分明细' not found" in str(caught.value) and "汇总" in str(caught.value)


def _large_csv(rows: int) -> list[list[str]]:
    base = UB_ROWS[0]
    return [[f"BX{i:010d}", *base[1:]] for i in range(rows)]


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        pytest.param(b"\x81\x20", RejectKind.UNDECODABLE, id="invalid-gbk-after-the-sample"),
        pytest.param(b"\x00", RejectKind.NUL_BYTES, id="nul-after-the-sample"),
    ],
)
def test_damage_far_into_a_large_file_is_found_while_streaming(
    tmp_path: Path, unemployment: DatasetContract, damage: bytes, kind: RejectKind
) -> None:
    lines = csv_text(_large_csv(3000)).encode("gbk").split(b"\r\n")
    lines[2700] = lines[2700].replace(b"BX", b"B" + damage + b"X")  # line 2701, far beyond 64 KiB
    path = tmp_path / CSV_NAME
    path.write_bytes(b"\r\n".join(lines))
    extraction = FileExtraction(path, unemployment, batch_rows=1000)
    batches = []

    with pytest.raises(FileRejectedError) as caught:
        for batch in extraction:
            batches.append(batch)

    assert (caught.value.kind, caught.value.line) == (kind, 2701)
    assert [b.num_rows for b in batches] == [1000, 1000]  # streamed, then rejected: nothing is committed
    assert extraction.report is None


def test_bad_value_in_a_later_batch_names_its_line(tmp_path: Path, unemployment: DatasetContract) -> None:
    rows = _large_csv(50)
    rows[36][6] = "2026-1-32"
    path = write_csv(tmp_path / CSV_NAME, rows)

    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, unemployment, batch_rows=10))

    assert (caught.value.line, caught.value.column) == (39, "起始日期")


def test_every_kind_has_a_chinese_template() -> None:
    assert set(ZH_TEMPLATES) == set(RejectKind)
