"""Reading dropped CSV and XLSX files into Arrow batches shaped by the real contracts."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from filedrop_samples import (
    UB_EXPECTED,
    UB_HEADER,
    UB_ROWS,
    UB_TITLE,
    VP_EXPECTED,
    VP_HEADER,
    VP_ROWS,
    read_all,
    with_optional,
    with_source,
    write_csv,
    write_xlsx_openpyxl,
    write_xlsx_xlsxwriter,
)

from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.model import DatasetContract
from huiliu.errors import ConfigurationError, FileRejectedError, RejectKind
from huiliu.sources.files import FileExtraction, normalise_header, open_file


def expected_table(contract: DatasetContract, columns: dict[str, list[object]]) -> pa.Table:
    return pa.Table.from_pydict(columns, schema=arrow_schema(contract))


# --- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        pytest.param("utf-8", "utf-8", id="utf-8"),
        pytest.param("utf-8-sig", "utf-8-sig", id="utf-8-with-bom"),
        pytest.param("gbk", "gb18030", id="gbk"),
        pytest.param("gb18030", "gb18030", id="gb18030"),
    ],
)
def test_csv_encodings_with_title_row_read_to_the_same_table(
    tmp_path: Path, unemployment: DatasetContract, encoding: str, detected: str
) -> None:
    path = write_csv(tmp_path / "unemployment_benefit_202610.csv", encoding=encoding)

    table, extraction = read_all(path, unemployment)

    assert table.equals(expected_table(unemployment, UB_EXPECTED))
    report = extraction.report
    assert report is not None
    assert (report.encoding, report.header_line, report.title_lines_skipped, report.rows) == (
        detected,
        2,
        1,
        5,
    )
    assert report.extra_columns == [] and report.missing_optional_columns == []


@pytest.mark.parametrize(
    "declared",
    [pytest.param("gbk", id="declared-gbk"), pytest.param("gb18030", id="declared-gb18030")],
)
def test_declared_gbk_reads_like_auto(tmp_path: Path, unemployment: DatasetContract, declared: str) -> None:
    path = write_csv(tmp_path / "unemployment_benefit_202610.csv", encoding="gbk")

    table, extraction = read_all(path, with_source(unemployment, encoding=declared))

    assert table.equals(expected_table(unemployment, UB_EXPECTED))
    assert extraction.report is not None and extraction.report.encoding == "gb18030"


def test_gb18030_only_characters_in_names_are_read(tmp_path: Path, unemployment: DatasetContract) -> None:
    rows = [row.copy() for row in UB_ROWS]
    rows[0][2] = "刘䶮"  # 䶮 (U+4DAE) is in GB18030 but not in GBK
    path = write_csv(tmp_path / "unemployment_benefit_202610.csv", rows, encoding="gb18030")

    table, _ = read_all(path, unemployment)

    assert table.column("name")[0].as_py() == "刘䶮"


def test_lf_line_endings_no_title_and_semicolon_delimiter(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    path = write_csv(tmp_path / "u.csv", title=None, newline="\n", delimiter=";", encoding="gbk")

    table, extraction = read_all(path, with_source(unemployment, delimiter=";"))

    assert table.equals(expected_table(unemployment, UB_EXPECTED))
    assert extraction.report is not None
    assert (extraction.report.header_line, extraction.report.title_lines_skipped) == (1, 0)


def test_several_title_rows_blank_lines_and_messy_headers(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    header = [
        " 业务流水号 ",
        "身份证号",
        "姓　名",
        "参保状态",
        "领取月数",
        "月发放金额",
        "起始日期",
        "社区代码\n",
    ]
    text = (
        f"{UB_TITLE}\r\n制表单位：市人社局,,,,,,,\r\n\r\n"
        + ",".join(f'"{h}"' for h in header)
        + "\r\n"
        + "\r\n".join(",".join(f'"{cell}"' for cell in row) for row in UB_ROWS)
        + "\r\n\r\n,,,,,,,\r\n"
    )
    path = tmp_path / "u.csv"
    path.write_bytes(text.encode("gbk"))

    table, extraction = read_all(path, unemployment)

    assert table.equals(expected_table(unemployment, UB_EXPECTED))
    assert extraction.report is not None
    assert (extraction.report.header_line, extraction.report.title_lines_skipped) == (4, 2)


def test_trailing_empty_columns_are_tolerated(tmp_path: Path, unemployment: DatasetContract) -> None:
    rows = [[*row, "", ""] for row in UB_ROWS]
    path = write_csv(tmp_path / "u.csv", rows, header=[*UB_HEADER, "", ""])

    table, _ = read_all(path, unemployment)

    assert table.num_rows == 5


def test_quoted_field_with_a_line_break_is_one_cell(tmp_path: Path, unemployment: DatasetContract) -> None:
    rows = [row.copy() for row in UB_ROWS]
    rows[1][3] = "暂停\r\n(待核实)"
    path = write_csv(tmp_path / "u.csv", rows)

    table, _ = read_all(path, unemployment)

    assert table.column("insured_status")[1].as_py() == "暂停\r\n(待核实)"


def test_extra_and_missing_optional_columns_are_reported(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    drop = UB_HEADER.index("参保状态")
    header = [h for h in UB_HEADER if h != "参保状态"] + ["备注", "经办人"]
    rows = [[c for i, c in enumerate(row) if i != drop] + ["", "x"] for row in UB_ROWS]
    path = write_csv(tmp_path / "u.csv", rows, header=header)
    contract = with_optional(unemployment, "insured_status")

    table, extraction = read_all(path, contract)

    assert table.column("insured_status").null_count == 5
    assert table.column("id_number").to_pylist() == UB_EXPECTED["id_number"]
    assert extraction.report is not None
    assert extraction.report.extra_columns == ["备注", "经办人"]
    assert extraction.report.missing_optional_columns == ["参保状态"]


def test_batches_hold_batch_rows_rows_each(tmp_path: Path, unemployment: DatasetContract) -> None:
    path = write_csv(tmp_path / "u.csv")

    batches = list(FileExtraction(path, unemployment, batch_rows=2))

    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert all(b.schema == arrow_schema(unemployment) for b in batches)


def test_header_only_file_gives_no_rows(tmp_path: Path, unemployment: DatasetContract) -> None:
    path = write_csv(tmp_path / "u.csv", [])

    table, extraction = read_all(path, unemployment)

    assert table.num_rows == 0
    assert extraction.report is not None and extraction.report.rows == 0


def test_report_is_none_until_iteration_completes(tmp_path: Path, unemployment: DatasetContract) -> None:
    path = write_csv(tmp_path / "u.csv")
    extraction = open_file(path, unemployment, batch_rows=2)
    iterator = iter(extraction)

    next(iterator)

    assert extraction.report is None
    list(iterator)
    assert extraction.report is not None and extraction.report.rows == 5


def test_sql_contract_is_a_configuration_error(tmp_path: Path, contracts: dict[str, DatasetContract]) -> None:
    sql_contract = next(c for c in contracts.values() if c.source.kind == "sql")

    with pytest.raises(ConfigurationError, match="not a file source"):
        FileExtraction(tmp_path / "x.csv", sql_contract)


def test_header_normalisation() -> None:
    assert normalise_header("\ufeff 身份证号\n") == normalise_header("身份证号")
    assert normalise_header("ＩＤ　Ｎｏ") == normalise_header("id no")


# --- XLSX --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(write_xlsx_openpyxl, id="openpyxl-written"),
        pytest.param(write_xlsx_xlsxwriter, id="xlsxwriter"),
    ],
)
def test_xlsx_with_title_row_numbers_dates_and_text_ids(
    tmp_path: Path, volunteer: DatasetContract, writer
) -> None:
    path = writer(tmp_path / "volunteer_points_202601.xlsx")

    table, extraction = read_all(path, volunteer)

    assert table.equals(expected_table(volunteer, VP_EXPECTED))
    report = extraction.report
    assert report is not None
    assert (report.format, report.sheet, report.encoding, report.header_line) == ("xlsx", "Sheet1", None, 3)
    assert (report.title_lines_skipped, report.rows) == (1, 5)


def test_xlsx_named_sheet_and_header_with_line_break(tmp_path: Path, volunteer: DatasetContract) -> None:
    header = [*VP_HEADER[:6], "社区\n代码", VP_HEADER[7], "备注"]
    path = write_xlsx_openpyxl(tmp_path / "v.xlsx", header=header, sheet="积分明细", title=None)

    table, extraction = read_all(path, with_source(volunteer, sheet="积分明细"))

    assert table.equals(expected_table(volunteer, VP_EXPECTED))
    assert extraction.report is not None and extraction.report.extra_columns == ["备注"]


def test_xlsx_serial_date_and_midnight_datetime_text(tmp_path: Path, volunteer: DatasetContract) -> None:
    rows = [row.copy() for row in VP_ROWS[:2]]
    rows[0][7] = 46027  # Excel serial number of 2026-01-05, cell not formatted as a date
    rows[1][7] = "2026-01-06 00:00:00"
    path = write_xlsx_openpyxl(tmp_path / "v.xlsx", rows)

    table, _ = read_all(path, volunteer)

    assert table.column("recorded_at").to_pylist() == VP_EXPECTED["recorded_at"][:2]


def test_xlsx_batches_stream(tmp_path: Path, volunteer: DatasetContract) -> None:
    path = write_xlsx_openpyxl(tmp_path / "v.xlsx")

    assert [b.num_rows for b in FileExtraction(path, volunteer, batch_rows=2)] == [2, 2, 1]


def test_rejection_is_a_file_rejected_error(tmp_path: Path, unemployment: DatasetContract) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b"")

    with pytest.raises(FileRejectedError) as caught:
        list(open_file(path, unemployment))

    assert caught.value.kind is RejectKind.EMPTY_FILE  # type: ignore[attr-defined]
    assert not caught.value.retryable


def test_zip_that_is_not_a_workbook(tmp_path: Path, volunteer: DatasetContract) -> None:
    path = tmp_path / "v.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    with pytest.raises(FileRejectedError) as caught:
        list(open_file(path, volunteer))

    assert caught.value.kind is RejectKind.NOT_A_WORKBOOK  # type: ignore[attr-defined]
