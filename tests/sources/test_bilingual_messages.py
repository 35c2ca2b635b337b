"""Every rejection says the same thing in Chinese and in English: same lines, column, numbers and cause.

A table of malformed drops, one per way a file can be refused; for each, the Chinese message (for
the department's staff) and the English one (for engineers) are compared.
"""

from __future__ import annotations

import io
import re
import zipfile
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
    cfb_bytes,
    csv_text,
    with_source,
    write_csv,
    write_xlsx_openpyxl,
)

from huiliu.contracts.model import DatasetContract
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.dropbox import ZH_TEMPLATES, message_en, message_zh
from huiliu.sources.files import FileExtraction

CSV_NAME = "unemployment_benefit_202610.csv"
XLSX_NAME = "volunteer_points_202601.xlsx"


@dataclass(frozen=True)
class Drop:
    """A malformed drop and the cause both messages must give."""

    write: Callable[[Path], object]
    kind: RejectKind
    en: str
    zh: str
    xlsx: bool = False
    declared: str | None = None
    sheet: str | None = None


def _csv_bytes(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def _rows(row: int, column: int, value: str) -> list[list[str]]:
    rows = [r.copy() for r in UB_ROWS]
    rows[row][column] = value
    return rows


def _csv(rows: list[list[str]], encoding: str = "gbk", **options: object) -> Callable[[Path], object]:
    return lambda path: write_csv(path, rows, encoding=encoding, **options)


def _gbk_lines(replace: Callable[[list[bytes]], None], encoding: str = "gbk") -> Callable[[Path], object]:
    def write(path: Path) -> None:
        lines = csv_text(UB_ROWS).encode(encoding).split(b"\r\n")
        replace(lines)
        path.write_bytes(b"\r\n".join(lines))

    return write


def _set(index: int, value: bytes) -> Callable[[list[bytes]], None]:
    def replace(lines: list[bytes]) -> None:
        lines[index] = value

    return replace


def _sub(index: int, old: bytes, new: bytes) -> Callable[[list[bytes]], None]:
    def replace(lines: list[bytes]) -> None:
        lines[index] = lines[index].replace(old, new)

    return replace


def _xlsx(rows: list[list[object]] | None = None, **options: object) -> Callable[[Path], object]:
    return lambda path: write_xlsx_openpyxl(path, rows, **options)  # type: ignore[arg-type]


def _xlsx_cell(row: int, column: int, value: object) -> Callable[[Path], object]:
    rows = [r.copy() for r in VP_ROWS]
    rows[row][column] = value
    return _xlsx(rows)


def _truncated_xlsx(path: Path) -> None:
    write_xlsx_openpyxl(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _damaged_sheet(path: Path) -> None:
    """A workbook whose sheet XML stops in the middle of its rows (a broken copy)."""
    write_xlsx_openpyxl(path, VP_ROWS * 40)
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="120"') + 20]
            target.writestr(item, data)
    path.write_bytes(buffer.getvalue())


def _empty_workbook(path: Path) -> None:
    openpyxl.Workbook().save(path)


def _other_sheets(path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["填报说明"])
    workbook.create_sheet("汇总").append(["社区", "人数"])
    workbook.save(path)


BIG5 = ["BX2026100006", "520102199003074514", "陳美玲", "參保", "3", "980.00", "2026-01-05", "520102001001"]
DROPS = {
    # empty, header, delimiter, shape
    "empty-file": Drop(_csv_bytes(b""), RejectKind.EMPTY_FILE, "has no content", "没有任何内容"),
    "blank-lines-only": Drop(
        _csv_bytes(b"\r\n ,,\r\n"), RejectKind.EMPTY_FILE, "has no content", "没有任何内容"
    ),
    "wrong-delimiter": Drop(
        _csv(UB_ROWS, delimiter=";"), RejectKind.NO_HEADER, "no header row", "找不到表头行"
    ),
    "no-header": Drop(
        _csv(UB_ROWS * 5, header=["a"] * 8, title=None), RejectKind.NO_HEADER, "first 20 rows", "前 20 行"
    ),
    "missing-column": Drop(
        _csv([r[1:] for r in UB_ROWS], header=UB_HEADER[1:]), RejectKind.MISSING_COLUMNS, "missing", "缺少"
    ),
    "duplicate-column": Drop(
        _csv([[*r, r[2]] for r in UB_ROWS], header=[*UB_HEADER, "姓名"]),
        RejectKind.DUPLICATE_COLUMNS,
        "more than once",
        "不止一次",
    ),
    "ragged-row-short": Drop(
        _csv([*UB_ROWS[:2], UB_ROWS[2][:7], *UB_ROWS[3:]]),
        RejectKind.COLUMN_COUNT,
        "missing or extra",
        "缺少或多出",
    ),
    "ragged-row-long": Drop(
        _csv([*UB_ROWS[:3], [*UB_ROWS[3], "x"], UB_ROWS[4]]),
        RejectKind.COLUMN_COUNT,
        "9 columns",
        "实际 9 列",
    ),
    "row-spanning-lines": Drop(
        _csv_bytes(
            (
                csv_text(UB_ROWS[:2])
                + 'BX2026100003,"5201\r\n欧阳明",参保,1,"2,000",20251115,520103002001\r\n'
                + csv_text(UB_ROWS[3:], header=[], title=None)[2:]
            ).encode("gbk")
        ),
        RejectKind.COLUMN_COUNT,
        "runs to line 6",
        "延续到第 6 行",
    ),
    "truncated-last-line": Drop(
        _csv_bytes((csv_text(UB_ROWS[:4]) + "BX2026100005,520111199912310018,钱七").encode("gbk")),
        RejectKind.TRUNCATED,
        "truncated",
        "截断",
    ),
    # quotes and line breaks
    "unclosed-quote-at-end": Drop(
        _csv_bytes((csv_text(UB_ROWS[:3]) + 'BX2026100004,"520103198811230021,赵六\r\n').encode("gbk")),
        RejectKind.UNTERMINATED_QUOTE,
        "never closed",
        "都没有闭合",
    ),
    "text-after-closing-quote": Drop(
        _csv_bytes((csv_text(UB_ROWS[:2]) + 'BX3,"5201"x,欧阳明,参保,1,2,2025-11-15,5201\r\n').encode()),
        RejectKind.MALFORMED_CSV,
        "text follows a closing double quote",
        "右双引号后面还有其他字符",
    ),
    "carriage-return-in-field": Drop(
        _gbk_lines(_sub(3, "李小梅".encode("gbk"), "李\r小梅".encode("gbk"))),
        RejectKind.LINE_BREAK_IN_FIELD,
        "contains a line break",
        "含有换行符",
    ),
    "huge-unquoted-field": Drop(
        _csv(_rows(1, 3, "y" * 200_000)), RejectKind.FIELD_TOO_LONG, "longer than 131,072", "超过 131,072"
    ),
    "quote-swallowing-the-file": Drop(
        _csv_bytes(
            (
                csv_text(UB_ROWS[:2]) + 'BX3,"5201,x\r\n' + "BX9,5201,钱七,参保,1,2,2025-1-1,5\r\n" * 6000
            ).encode()
        ),
        RejectKind.UNTERMINATED_QUOTE,
        "passes the limit of 131,072",
        "超过单个字段 131,072 个字符",
    ),
    # bytes and encodings
    "nul-bytes": Drop(_gbk_lines(_sub(4, b"BX", b"B\x00X")), RejectKind.NUL_BYTES, "NUL bytes", "空字符"),
    "invalid-gbk": Drop(
        _gbk_lines(_sub(3, "李小梅".encode("gbk"), b"\x81\x20\xff")),
        RejectKind.UNDECODABLE,
        "detected from the start",
        "按文件开头识别出的编码",
    ),
    "declared-utf8-but-latin1": Drop(
        _gbk_lines(_sub(2, b"BX", "Jos\u00e9".encode("latin-1")), encoding="utf-8"),
        RejectKind.UNDECODABLE,
        "contract declares encoding utf-8",
        "合同声明的编码为 utf-8",
        declared="utf-8",
    ),
    "declared-gbk-neither-gbk-nor-utf8": Drop(
        _gbk_lines(_sub(3, "李小梅".encode("gbk"), b"\x81\x20\xff")),
        RejectKind.UNDECODABLE,
        "UTF-8 was also tried and fails at line 1",
        "按 UTF-8 读取也在第 1 行出错",
        declared="gbk",
    ),
    "utf8-bom-then-gbk": Drop(
        _csv_bytes(
            b"\xef\xbb\xbf" + csv_text(UB_ROWS[:2]).encode() + csv_text(UB_ROWS[2:], title=None).encode("gbk")
        ),
        RejectKind.UNDECODABLE,
        "not valid utf-8",
        "按 utf-8 编码",
    ),
    "utf16-le-bom": Drop(
        _csv_bytes(csv_text(UB_ROWS).encode("utf-16")), RejectKind.UNSUPPORTED_ENCODING, "UTF-16", "UTF-16"
    ),
    "utf16-be-bom": Drop(
        _csv_bytes(b"\xfe\xff" + csv_text(UB_ROWS).encode("utf-16-be")),
        RejectKind.UNSUPPORTED_ENCODING,
        "Unicode text",
        "Unicode 文本",
    ),
    "utf32-bom": Drop(
        _csv_bytes(csv_text(UB_ROWS).encode("utf-32")), RejectKind.UNSUPPORTED_ENCODING, "UTF-32", "UTF-32"
    ),
    "big5-row": Drop(
        _gbk_lines(_set(5, ",".join(BIG5).encode("big5"))),
        RejectKind.MIXED_ENCODING,
        "Big5",
        "Big5（繁体中文）",
    ),
    "utf8-row": Drop(
        _gbk_lines(_set(5, ",".join([*BIG5[:2], "张三", "参保", *BIG5[4:]]).encode())),
        RejectKind.MIXED_ENCODING,
        "not GBK but UTF-8",
        "其编码为 UTF-8，",
    ),
    "latin1-name": Drop(
        _gbk_lines(_sub(6, "钱七".encode("gbk"), "Müller".encode("latin-1"))),
        RejectKind.MIXED_ENCODING,
        "Latin-1",
        "Latin-1（西欧字母",
    ),
    # values
    "bad-date": Drop(_csv(_rows(2, 6, "11/15/2025")), RejectKind.BAD_VALUE, "not a date", "不是日期"),
    "impossible-date": Drop(
        _csv(_rows(1, 6, "2026-02-30")),
        RejectKind.BAD_VALUE,
        "not a valid calendar date",
        "不是真实存在的日期",
    ),
    "bad-integer": Drop(_csv(_rows(4, 4, "六个月")), RejectKind.BAD_VALUE, "not a whole number", "不是整数"),
    "too-many-decimals": Drop(
        _csv(_rows(3, 5, "1500.555")), RejectKind.BAD_VALUE, "more than 2 decimal places", "超过 2 位小数"
    ),
    "too-many-digits": Drop(
        _csv(_rows(3, 5, "123456789012345.5")),
        RejectKind.BAD_VALUE,
        "digits before the decimal point",
        "整数部分超过",
    ),
    "scientific-notation": Drop(
        _csv(_rows(0, 1, "5.20103E+17")), RejectKind.PRECISION_LOST, "scientific notation", "科学计数法"
    ),
    "data-after-footer": Drop(
        _csv_bytes(
            (csv_text(UB_ROWS[:2]) + "合计,,,,,980.00,,\r\n" + ",".join(UB_ROWS[2]) + "\r\n").encode()
        ),
        RejectKind.DATA_AFTER_FOOTER,
        "after the footer row",
        "表尾（合计）之后",
    ),
    # workbooks
    "xlsx-csv-renamed": Drop(
        _csv_bytes("记录编号,身份证号\r\n".encode()),
        RejectKind.NOT_A_WORKBOOK,
        "renamed",
        "改了扩展名",
        xlsx=True,
    ),
    "xlsx-truncated": Drop(
        _truncated_xlsx, RejectKind.NOT_A_WORKBOOK, "cannot be opened", "无法打开", xlsx=True
    ),
    "xlsx-damaged-sheet": Drop(_damaged_sheet, RejectKind.NOT_A_WORKBOOK, "damaged", "已损坏", xlsx=True),
    "xlsx-old-xls": Drop(
        _csv_bytes(cfb_bytes({"Workbook": b"\x09\x08"})),
        RejectKind.LEGACY_XLS,
        "97-2003",
        "97-2003",
        xlsx=True,
    ),
    "xlsx-password": Drop(
        _csv_bytes(cfb_bytes({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x01" * 5000})),
        RejectKind.ENCRYPTED_WORKBOOK,
        "password-protected",
        "打开密码",
        xlsx=True,
    ),
    "xlsx-empty-file": Drop(
        _csv_bytes(b""), RejectKind.EMPTY_FILE, "has no content", "没有任何内容", xlsx=True
    ),
    "xlsx-empty-sheet": Drop(
        _empty_workbook, RejectKind.EMPTY_FILE, "sheet 'Sheet'", "工作表“Sheet”", xlsx=True
    ),
    "xlsx-sheet-not-found": Drop(
        _xlsx(sheet="汇总"),
        RejectKind.SHEET_NOT_FOUND,
        "'积分明细' not found",
        "找不到工作表“积分明细”",
        xlsx=True,
        sheet="积分明细",
    ),
    "xlsx-no-header-other-sheets": Drop(
        _other_sheets, RejectKind.NO_HEADER, "other sheets: 汇总", "汇总", xlsx=True
    ),
    "xlsx-id-as-number": Drop(
        _xlsx_cell(2, 1, 520103197001011234.0),
        RejectKind.PRECISION_LOST,
        "15 significant digits",
        "15 位有效数字",
        xlsx=True,
    ),
    "xlsx-excel-error": Drop(
        _xlsx_cell(4, 4, "#N/A"), RejectKind.EXCEL_ERROR, "Excel error value", "Excel 错误值", xlsx=True
    ),
    "xlsx-uncalculated-formula": Drop(
        _xlsx_cell(1, 4, "=2+3"),
        RejectKind.FORMULA_NOT_CALCULATED,
        "never calculated",
        "没有计算结果",
        xlsx=True,
    ),
    "xlsx-bad-date": Drop(
        _xlsx_cell(3, 7, "上周五"), RejectKind.BAD_VALUE, "not a date", "不是日期", xlsx=True
    ),
}

_EN_LINE = re.compile(r"\b(?:line|row) (\d+)")
_ZH_LINE = re.compile(r"第 (\d+) 行")
_NUMBER = re.compile(r"\d+(?:,\d{3})*")


def _numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(text))


@pytest.mark.parametrize("case", [pytest.param(d, id=k) for k, d in DROPS.items()])
def test_both_languages_give_the_same_lines_column_numbers_and_cause(
    tmp_path: Path, contracts: dict[str, DatasetContract], case: Drop
) -> None:
    name = XLSX_NAME if case.xlsx else CSV_NAME
    contract = contracts["volunteer_points" if case.xlsx else "unemployment_benefit"]
    if case.declared or case.sheet:
        contract = with_source(
            contract, **({"encoding": case.declared} if case.declared else {"sheet": case.sheet})
        )
    path = tmp_path / name
    case.write(path)

    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, contract))

    error = caught.value
    zh, en = message_zh(error), message_en(error)
    assert error.kind is case.kind
    assert "详见" not in zh and "{" not in zh  # the kind's own template, every detail filled
    assert case.en in en and case.zh in zh
    zh_body, en_body = zh.replace(name, ""), en.replace(name, "")
    assert set(_EN_LINE.findall(en_body)) == set(_ZH_LINE.findall(zh_body))
    assert (error.line is None) == (not _ZH_LINE.search(zh_body))
    if error.column is not None:
        assert f"column {error.column!r}" in en and error.column in zh
    assert _numbers(en_body) <= _numbers(zh_body), "the Chinese message leaves out a number"
    assert_no_personal_values(en + zh, "陳美玲", "Müller", "José")


def test_every_kind_is_in_the_table() -> None:
    assert {d.kind for d in DROPS.values()} | {RejectKind.SYMLINK} == set(RejectKind) == set(ZH_TEMPLATES)
