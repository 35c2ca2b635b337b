"""Rows past Excel's 1,048,576 rows a sheet continue on 数据2, 数据3 …, and 说明 says so."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from tests.helpers.outbox_cases import DATASET, UNIT, description, rows

from huiliu.returnflow import xlsx_export
from huiliu.returnflow.manifest import DeliveredColumn
from huiliu.returnflow.outbox import delivery_folder, write_delivery


def test_rows_past_the_sheet_limit_continue_on_the_next_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_export, "EXCEL_MAX_ROWS", 5)  # 4 data rows a sheet
    manifest = write_delivery(tmp_path, description(), [rows(3), rows(7, 3)], formats=["xlsx"], zone="UTC")

    assert manifest.data_sheets == ("数据", "数据2", "数据3")
    book = openpyxl.load_workbook(delivery_folder(tmp_path, UNIT, DATASET, "D0001") / f"{DATASET}.xlsx")
    assert book.sheetnames == ["数据", "数据2", "数据3", "说明", "纠错"]
    names = rows(10).column("name").to_pylist()
    seen = []
    for sheet in ("数据", "数据2", "数据3"):
        data = book[sheet]
        assert data["A1"].value == "姓名" and data.freeze_panes == "A2"
        seen += [r[0] for r in data.iter_rows(min_row=2, values_only=True)]
    assert [(v or None) and re.sub("_x000D_", "\r", v) for v in seen] == [v or None for v in names]
    assert [book[s].auto_filter.ref for s in ("数据", "数据2", "数据3")] == ["A1:F5", "A1:F5", "A1:F3"]
    text = " ".join(str(v) for r in book["说明"].iter_rows(values_only=True) for v in r if v)
    assert "本数据分在 3 个工作表中：数据：第 1–4 行；数据2：第 5–8 行；数据3：第 9–10 行" in text
    assert "split over 3 sheets" in text


def test_a_sheet_filled_exactly_opens_no_empty_next_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_export, "EXCEL_MAX_ROWS", 5)
    manifest = write_delivery(tmp_path, description(), [rows(4), rows(4, 4)], formats=["xlsx"], zone="UTC")
    assert manifest.data_sheets == ("数据", "数据2")


def _dimension(book: zipfile.ZipFile, sheet: str) -> str:
    with book.open(f"xl/worksheets/{sheet}.xml") as file:
        head = file.read(4096).decode()
    found = re.search(r'<dimension ref="([^"]+)"', head)
    assert found is not None
    return found.group(1)


@pytest.mark.slow
def test_the_real_limit_moves_row_1048576_to_the_second_sheet(tmp_path: Path) -> None:
    total = xlsx_export.EXCEL_MAX_ROWS + 1  # 1,048,575 rows fill 数据 under its header, 2 go to 数据2
    step = 200_000
    batches = (
        pa.record_batch({"n": pa.array(range(i, min(i + step, total)), pa.int32())})
        for i in range(0, total, step)
    )
    columns = (DeliveredColumn(name="n", title_zh="序号"),)
    manifest = write_delivery(tmp_path, description(columns=columns), batches, formats=["xlsx"], zone="UTC")

    assert manifest.rows == total and manifest.data_sheets == ("数据", "数据2")
    with zipfile.ZipFile(delivery_folder(tmp_path, UNIT, DATASET, "D0001") / f"{DATASET}.xlsx") as book:
        assert _dimension(book, "sheet1") == "A1:A1048576"
        assert _dimension(book, "sheet2") == "A1:A3"
        second = book.read("xl/worksheets/sheet2.xml").decode()
    assert re.findall(r"<v>(\d+)</v>", second) == ["1048575", "1048576"]
