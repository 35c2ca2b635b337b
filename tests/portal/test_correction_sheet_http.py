"""Sending back the delivered workbook with its 纠错 sheet filled in, over HTTP against a real portal:
every row is filed or none, a bad row is named with its sheet row, another unit's workbook reads as
nothing, and an accepted row reaches the next delivery."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.returnflow.correction_sheet import CORRECTION_SHEET, FIRST_FORM_ROW, fill_correction
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import Delivery, DeliveryStatus, deliveries
from tests.helpers.deliveries import STREET
from tests.portal.conftest import DATASET, A, City

runner = CliRunner()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _delivered(unit: str) -> Delivery:
    return next(
        d for d in deliveries(unit_code=unit) if d.unit_code == unit and d.status is DeliveryStatus.DELIVERED
    )


@pytest.fixture
def delivered(city: City) -> City:
    deliver(load_contract(DATASET), settings=city.settings)
    return city


def _filled(unit: str, lines: list[tuple[object, str, str, str]]) -> bytes:
    """The unit's delivered workbook with ``lines`` (row, column, value, reason) in its 纠错 sheet."""
    book = openpyxl.load_workbook(Path(_delivered(unit).outbox_path or "") / f"{DATASET}.xlsx")
    for offset, (row, field, value, reason) in enumerate(lines):
        fill_correction(book, offset, row=row, field=str(field), value=str(value), reason=str(reason))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _send(city: City, unit: str, content: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {city.tokens[unit]}", "Content-Type": XLSX}
    return httpx.post(city.url + "/api/v1/corrections/xlsx", headers=headers, content=content, timeout=60)


def test_the_form_lists_every_row_with_its_key_locked_and_only_the_cells_to_fill_open(
    delivered: City,
) -> None:
    path = Path(_delivered(A).outbox_path or "") / f"{DATASET}.xlsx"
    sheet = openpyxl.load_workbook(path)[CORRECTION_SHEET]

    assert sheet.protection.sheet
    assert (
        sheet.cell(row=2, column=2).value == _delivered(A).id
        and sheet.cell(row=2, column=2).protection.locked
    )
    headers = [c.value for c in sheet[FIRST_FORM_ROW]]
    assert headers[0] == "数据行号 Row" and headers[-3:] == [
        "字段 Column",
        "正确的值 New value",
        "理由 Reason",
    ]
    lines = list(sheet.iter_rows(min_row=FIRST_FORM_ROW + 1, max_row=FIRST_FORM_ROW + 40))
    assert [line[0].value for line in lines] == list(range(1, 41))  # every delivered row, numbered
    assert all("*" in str(line[1].value) for line in lines)  # the key as delivered: masked
    assert all(line[0].protection.locked and line[1].protection.locked for line in lines)
    assert not any(c.protection.locked for line in lines for c in line[-3:])
    assert sheet.cell(row=FIRST_FORM_ROW + 41, column=1).value is None
    choices = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert choices and "(status)" in choices[0].formula1 and "ethnicity" not in choices[0].formula1


def test_every_filled_row_is_filed_and_an_accepted_one_reaches_the_next_delivery(
    governance_store: str, delivered: City
) -> None:
    content = _filled(
        A,
        [
            (3, "人口状态 正常 / 死亡 / 迁出 (status)", "死亡", "家属报告已于十一月去世"),
            (7, "phone", "13800001111", "本人提供的新号码"),
        ],
    )
    response = _send(delivered, A, content)

    assert response.status_code == 201, response.text
    filed = response.json()["corrections"]
    assert [(c["row"], c["field"], c["status"]) for c in filed] == [
        (3, "status", "submitted"),
        (7, "phone", "submitted"),
    ]
    accepted = runner.invoke(app, ["corrections", "accept", filed[0]["id"], "--by", "steward"])
    assert accepted.exit_code == 0, accepted.output

    deliver(load_contract(DATASET), settings=delivered.settings)
    text = (Path(_delivered(A).outbox_path or "") / f"{DATASET}.csv").read_text(encoding="utf-8-sig")
    assert "死亡" in text


def test_a_sheet_with_a_bad_row_is_refused_whole_naming_each_row(delivered: City) -> None:
    content = _filled(
        A,
        [
            (3, "status", "迁出", "已迁出本社区"),
            (999, "status", "迁出", "已迁出本社区"),  # A received 40 rows
            (4, "status", "", ""),  # incomplete
            ("第五行", "status", "迁出", "已迁出本社区"),
            (5, "ethnicity", "汉族", "核对户口本"),  # not returned to communities
        ],
    )
    response = _send(delivered, A, content)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_correction_sheet"
    first = FIRST_FORM_ROW + 1
    # the sheet's own shape is checked first: an incomplete row and a row that is not a number
    assert [(p["sheet_row"], p["field"]) for p in body["problems"]] == [
        (first + 2, "value"),
        (first + 3, "row"),
    ]
    assert delivered.get("/api/v1/corrections", A).json()["corrections"] == []
    fixed = _filled(A, [(3, "status", "迁出", "已迁出本社区"), (999, "status", "迁出", "已迁出本社区")])
    again = _send(delivered, A, fixed).json()
    assert [(p["sheet_row"], p["field"]) for p in again["problems"]] == [(first + 1, "row")]
    wrong_column = _send(delivered, A, _filled(A, [(5, "ethnicity", "汉族", "核对户口本")])).json()
    assert [(p["sheet_row"], p["field"]) for p in wrong_column["problems"]] == [(first, "field")]
    assert delivered.get("/api/v1/corrections", A).json()["corrections"] == []


def test_unreadable_foreign_and_altered_workbooks(delivered: City) -> None:
    missing = delivered.get("/api/v1/datasets/no_such/download", A).json()

    garbage = _send(delivered, A, b"PK\x03\x04 not really a workbook")
    assert (garbage.status_code, garbage.json()["problems"][0]["field"]) == (422, "file")
    empty = _send(delivered, A, _filled(A, []))
    assert empty.status_code == 422 and "no correction" in empty.json()["problems"][0]["message_en"]

    street_sheet = _filled(STREET, [(3, "status", "迁出", "已迁出本社区")])
    foreign = _send(delivered, A, street_sheet)  # the street's workbook sent with A's token
    assert (foreign.status_code, foreign.json()) == (404, missing)

    book = openpyxl.load_workbook(io.BytesIO(_filled(A, [(3, "status", "迁出", "已迁出本社区")])))
    book[CORRECTION_SHEET].cell(row=2, column=2, value="../../etc/passwd")
    altered = io.BytesIO()
    book.save(altered)
    refused = _send(delivered, A, altered.getvalue())
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "file"
    assert "passwd" not in refused.text
