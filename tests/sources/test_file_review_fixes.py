"""Footer rows, CSV scientific notation, UTF-8 files declared as GBK, sheet search, uncalculated formulas."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from filedrop_samples import (
    UB_HEADER,
    UB_ROWS,
    VP_HEADER,
    VP_ROWS,
    VP_TITLE,
    assert_no_personal_values,
    csv_text,
    read_all,
    with_source,
    write_csv,
    write_xlsx_openpyxl,
)

from huiliu.contracts.model import DatasetContract
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.dropbox import message_zh
from huiliu.sources.files import FileExtraction

CSV_NAME = "unemployment_benefit_202610.csv"
XLSX_NAME = "volunteer_points_202601.xlsx"
UB_IDS = [r[0] for r in UB_ROWS]
VP_IDS = [r[0] for r in VP_ROWS]


def _pad(*cells: str) -> list[str]:
    return [*cells, *[""] * (len(UB_HEADER) - len(cells))]


def _reject(path: Path, contract: DatasetContract) -> FileRejectedError:
    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, contract))
    return caught.value


# --- 1. footer rows ---------------------------------------------------------------------------

CSV_FOOTERS = [
    pytest.param(["合计,,,,,12345.00,,"], id="total-row-with-amount"),
    pytest.param(["小计,,,,,100.00,,", "总计,,,,,200.00,,"], id="subtotal-and-grand-total"),
    pytest.param(["制表人：张三"], id="preparer-alone-on-a-short-line"),
    pytest.param(["填表人:李四,,审核人：王五"], id="filler-and-reviewer-short-line"),
    pytest.param(["负责人：赵六,,,,,,,,,"], id="person-in-charge-longer-line"),
    pytest.param(["制表日期：2026-10-31", "填报日期：2026-11-01"], id="dates"),
    pytest.param(["备注：金额单位为元，含补发", "说明：数据来源于业务系统"], id="notes"),
    pytest.param(["合　计,,,,,12345.00,,"], id="total-with-full-width-space"),
    pytest.param([",合计,,,,12345.00,,"], id="total-in-second-cell-after-empty-first"),
    pytest.param(
        ["合计,,,,,12345.00,,", "", "制表人：张三,,,,审核人：王五,,,"], id="total-blank-line-signatures"
    ),
]


@pytest.mark.parametrize("footer", CSV_FOOTERS)
def test_csv_footer_rows_are_skipped_and_counted(
    tmp_path: Path, unemployment: DatasetContract, footer: list[str]
) -> None:
    text = csv_text(UB_ROWS) + "".join(f"{line}\r\n" for line in footer)
    path = tmp_path / CSV_NAME
    path.write_bytes(text.encode("gbk"))

    table, extraction = read_all(path, unemployment)

    assert table.column("record_id").to_pylist() == UB_IDS
    assert extraction.report is not None
    assert extraction.report.rows == 5
    assert extraction.report.footer_rows_skipped == len([line for line in footer if line])


@pytest.mark.parametrize(
    ("column", "value"),
    [
        pytest.param(2, "合计", id="name-cell-says-total"),
        pytest.param(3, "说明", id="status-cell-says-note"),
        pytest.param(7, "备注520102", id="last-cell-starts-with-note"),
    ],
)
def test_marker_in_a_later_cell_of_a_data_row_is_data(
    tmp_path: Path, unemployment: DatasetContract, column: int, value: str
) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[1][column] = value
    path = write_csv(tmp_path / CSV_NAME, rows)

    table, extraction = read_all(path, unemployment)

    assert table.num_rows == 5 and table.column(column).to_pylist()[1] == value
    assert extraction.report is not None and extraction.report.footer_rows_skipped == 0


@pytest.mark.parametrize(
    ("footer", "footer_line"),
    [
        pytest.param(_pad("合计", "", "", "", "", "980.00"), 5, id="data-below-total"),
        pytest.param(["制表人：张三"], 5, id="data-below-preparer-line"),
    ],
)
def test_csv_data_row_after_a_footer_is_rejected(
    tmp_path: Path, unemployment: DatasetContract, footer: list[str], footer_line: int
) -> None:
    text = csv_text(UB_ROWS[:2]) + ",".join(footer) + "\r\n" + csv_text(UB_ROWS[2:], header=[], title=None)
    text = text.replace("\r\n\r\n", "\r\n")
    path = tmp_path / CSV_NAME
    path.write_bytes(text.encode("utf-8"))

    error = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.DATA_AFTER_FOOTER, footer_line + 1)
    assert f"line {footer_line}" in str(error) and "footer" in str(error)
    zh = message_zh(error)
    assert f"第 {footer_line + 1} 行" in zh and f"第 {footer_line} 行" in zh and "{" not in zh
    assert_no_personal_values(str(error) + zh, "张三")


def _xlsx_with_tail(path: Path, tail: list[list[object]]) -> Path:
    return write_xlsx_openpyxl(path, [*VP_ROWS, *tail])


@pytest.mark.parametrize(
    ("tail", "skipped"),
    [
        pytest.param([["合计", None, None, None, 16]], 1, id="total-row"),
        pytest.param([["制表人：张三"], [None, "审核人：王五"]], 2, id="signatures"),
        pytest.param(
            [["合计", None, None, None, 16], [], ["制表日期：2026-01-31"]], 2, id="total-blank-date"
        ),
    ],
)
def test_xlsx_footer_rows_are_skipped_and_counted(
    tmp_path: Path, volunteer: DatasetContract, tail: list[list[object]], skipped: int
) -> None:
    path = _xlsx_with_tail(tmp_path / XLSX_NAME, tail)

    table, extraction = read_all(path, volunteer)

    assert table.column("record_id").to_pylist() == VP_IDS
    assert extraction.report is not None and extraction.report.footer_rows_skipped == skipped


def test_xlsx_data_row_after_a_footer_is_rejected(tmp_path: Path, volunteer: DatasetContract) -> None:
    path = _xlsx_with_tail(tmp_path / XLSX_NAME, [["合计", None, None, None, 16], VP_ROWS[0]])

    error = _reject(path, volunteer)

    assert (error.kind, error.line) == (RejectKind.DATA_AFTER_FOOTER, 10)
    assert "line 9" in str(error)


# --- 2. scientific notation in CSV string columns ---------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        pytest.param(0, 1, "5.20103E+17", id="id-number-as-excel-shows-it"),
        pytest.param(2, 1, "5.20103e+17", id="lower-case-e"),
        pytest.param(3, 7, "5.20103E+11", id="community-code"),
        pytest.param(4, 1, " ５.２０１E＋17 ", id="full-width-with-spaces"),
        pytest.param(1, 0, "1E+20", id="record-id-without-fraction"),
    ],
)
def test_csv_scientific_notation_in_a_string_column_is_rejected(
    tmp_path: Path, unemployment: DatasetContract, row: int, column: int, value: str
) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[row][column] = value
    path = write_csv(tmp_path / CSV_NAME, rows, encoding="gbk")

    error = _reject(path, unemployment)

    assert (error.kind, error.line, error.column) == (RejectKind.PRECISION_LOST, row + 3, UB_HEADER[column])
    assert error.file == CSV_NAME and "scientific notation" in str(error) and "Text" in str(error)
    zh = message_zh(error)
    assert f"第 {row + 3} 行「{UB_HEADER[column]}」列" in zh and "丢失精度" in zh
    assert_no_personal_values(str(error) + zh, value, "5.20103")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("R01E5", id="code-with-letter-e"),
        pytest.param("5.2E+17号", id="text-after-the-exponent"),
        pytest.param("E17", id="no-mantissa"),
        pytest.param("5.2E", id="no-exponent"),
    ],
)
def test_csv_text_that_only_looks_numeric_lands(
    tmp_path: Path, unemployment: DatasetContract, value: str
) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[0][7] = value
    path = write_csv(tmp_path / CSV_NAME, rows)

    table, _ = read_all(path, unemployment)

    assert table.column("community_code").to_pylist()[0] == value


# --- 3. UTF-8 file declared as GBK ------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "read_as"),
    [
        pytest.param("utf-8", "utf-8", id="utf-8"),
        pytest.param("utf-8-sig", "utf-8-sig", id="utf-8-with-bom"),
    ],
)
@pytest.mark.parametrize(
    "declared", [pytest.param("gbk", id="declared-gbk"), pytest.param("gb2312", id="gb2312")]
)
def test_utf8_file_declared_gbk_is_read_as_utf8(
    tmp_path: Path, unemployment: DatasetContract, encoding: str, read_as: str, declared: str
) -> None:
    path = write_csv(tmp_path / CSV_NAME, encoding=encoding)

    table, extraction = read_all(path, with_source(unemployment, encoding=declared))

    assert table.column("name").to_pylist() == [r[2] for r in UB_ROWS]
    assert extraction.report is not None
    assert (extraction.report.encoding, extraction.report.declared_encoding) == (read_as, declared)


def test_gbk_file_declared_gbk_reports_no_override(tmp_path: Path, unemployment: DatasetContract) -> None:
    path = write_csv(tmp_path / CSV_NAME, encoding="gbk")

    table, extraction = read_all(path, with_source(unemployment, encoding="gbk"))

    assert table.column("name").to_pylist() == [r[2] for r in UB_ROWS]
    assert extraction.report is not None
    assert (extraction.report.encoding, extraction.report.declared_encoding) == ("gb18030", None)


def test_neither_declared_gbk_nor_utf8_is_rejected_naming_both(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    data = csv_text(UB_ROWS).encode("gbk").split(b"\r\n")
    data[3] = data[3].replace("李小梅".encode("gbk"), b"\x81\x20\xff")
    path = tmp_path / CSV_NAME
    path.write_bytes(b"\r\n".join(data))

    error = _reject(path, with_source(unemployment, encoding="gbk"))

    assert (error.kind, error.line) == (RejectKind.UNDECODABLE, 4)
    assert "declares encoding gbk" in str(error) and "UTF-8 was also tried" in str(error)
    zh = message_zh(error)
    assert "第 4 行" in zh and "gbk" in zh and "UTF-8" in zh


# --- 4. the sheet that holds the header -------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path


INSTRUCTIONS = [["填报说明"], ["1. 身份证号请按文本格式填写"], ["2. 积分为整数"]]
DATA = [[VP_TITLE], VP_HEADER, *VP_ROWS]


@pytest.mark.parametrize(
    "sheets",
    [
        pytest.param({"说明": INSTRUCTIONS, "积分明细": DATA}, id="instructions-sheet-first"),
        pytest.param(
            {"封面": [], "说明": INSTRUCTIONS, "积分明细": DATA}, id="empty-cover-then-instructions"
        ),
        pytest.param({"积分明细": DATA, "说明": INSTRUCTIONS}, id="data-sheet-first"),
    ],
)
def test_the_first_sheet_with_the_header_is_read(
    tmp_path: Path, volunteer: DatasetContract, sheets: dict[str, list[list[object]]]
) -> None:
    path = _workbook(tmp_path / XLSX_NAME, sheets)

    table, extraction = read_all(path, volunteer)

    assert table.column("record_id").to_pylist() == VP_IDS
    assert extraction.report is not None and extraction.report.sheet == "积分明细"


@pytest.mark.parametrize(
    ("sheet", "says", "says_zh"),
    [
        pytest.param(
            None, ("sheet '说明'", "other sheets: 汇总"), ("工作表“说明”", "汇总"), id="no-sheet-has-it"
        ),
        pytest.param(
            "说明",
            ("sheet '说明'", "other sheets: 汇总", "set source.sheet"),
            ("工作表“说明”", "汇总", "指定工作表"),
            id="contract-sheet-lacks-it",
        ),
    ],
)
def test_no_header_names_the_sheet_and_lists_the_others(
    tmp_path: Path,
    volunteer: DatasetContract,
    sheet: str | None,
    says: tuple[str, ...],
    says_zh: tuple[str, ...],
) -> None:
    path = _workbook(tmp_path / XLSX_NAME, {"说明": INSTRUCTIONS, "汇总": [["社区", "人数"], ["A", 3]]})

    error = _reject(path, with_source(volunteer, sheet=sheet))

    assert error.kind is RejectKind.NO_HEADER
    for text in says:
        assert text in str(error)
    zh = message_zh(error)
    for text in says_zh:
        assert text in zh
    assert "详见" not in zh and "身份证号请按" not in str(error) + zh


def test_missing_columns_on_a_later_sheet_name_that_sheet(tmp_path: Path, volunteer: DatasetContract) -> None:
    header = [h for h in VP_HEADER if h != "身份证号"]
    path = _workbook(tmp_path / XLSX_NAME, {"说明": INSTRUCTIONS, "积分明细": [header]})

    error = _reject(path, volunteer)

    assert (error.kind, error.line, error.column) == (RejectKind.MISSING_COLUMNS, 1, "身份证号")
    assert "sheet '积分明细'" in str(error)


# --- 5. formulas without a calculated value ----------------------------------------------------


def test_uncalculated_formula_in_a_required_column_is_rejected(
    tmp_path: Path, volunteer: DatasetContract
) -> None:
    rows = [r.copy() for r in VP_ROWS]
    rows[1][4] = "=2+3"  # openpyxl saves the formula without a cached value
    path = write_xlsx_openpyxl(tmp_path / XLSX_NAME, rows)

    error = _reject(path, volunteer)

    assert (error.kind, error.line, error.column) == (RejectKind.FORMULA_NOT_CALCULATED, 5, "积分变动")
    assert "save it" in str(error) and "Excel" in str(error)
    zh = message_zh(error)
    assert "第 5 行「积分变动」列" in zh and "保存" in zh


def test_empty_cells_are_counted_not_taken_for_formulas(tmp_path: Path, volunteer: DatasetContract) -> None:
    rows = [r.copy() for r in VP_ROWS]
    rows[0][3] = None  # plus the empty points cell of the last sample row
    path = write_xlsx_openpyxl(tmp_path / XLSX_NAME, rows)

    table, extraction = read_all(path, volunteer)

    assert table.num_rows == 5
    assert extraction.report is not None
    assert extraction.report.null_cells == {"activity": 1, "points": 1}


def test_a_code_with_an_unsigned_e_is_not_taken_for_scientific_notation() -> None:
    from huiliu.contracts import load_contract
    from huiliu.sources.convert import to_arrow_array

    column = load_contract("unemployment_benefit").schema_.column("record_id")
    array = to_arrow_array(["520102E001", "R2"], column, file="x.csv", first_line=3)
    assert array.to_pylist() == ["520102E001", "R2"]
