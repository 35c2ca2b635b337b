"""Corrections over HTTP against a real portal: a community names a wrong record as it received it,
the owning department's steward decides, and what is accepted reaches every unit that holds the
record — in its next push delivery and its next pull — while curated keeps the source's value."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.returnflow.overlay import load_overlay
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import Delivery, DeliveryStatus, deliveries
from huiliu.returnflow.snapshot import CuratedSnapshot
from tests.helpers.deliveries import STREET
from tests.portal.conftest import DATASET, A, B, City

runner = CliRunner()
ROW = 5
REASON = "该居民已于十一月迁出本社区"


def _delivered(unit: str) -> Delivery:
    return next(
        d for d in deliveries(unit_code=unit) if d.unit_code == unit and d.status is DeliveryStatus.DELIVERED
    )


def _row_of(delivery: Delivery, fingerprint: int) -> dict[str, str]:
    """The delivered CSV row of the record with that fingerprint."""
    folder = Path(delivery.outbox_path or "")
    fingerprints = pq.read_table(folder / "fingerprints.parquet").column("fingerprint").to_pylist()
    text = (folder / f"{DATASET}.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))[fingerprints.index(fingerprint)]


def _fingerprint(delivery: Delivery, row: int) -> int:
    folder = Path(delivery.outbox_path or "")
    return int(pq.read_table(folder / "fingerprints.parquet").column("fingerprint")[row - 1].as_py())


def _assert_notice(delivery: Delivery, record: int, correction: str) -> None:
    """The delivery's 更正通知 names the corrected record's row and the correction, in JSON and XLSX."""
    folder = Path(delivery.outbox_path or "")
    fingerprints = pq.read_table(folder / "fingerprints.parquet").column("fingerprint").to_pylist()
    row = fingerprints.index(record) + 1
    notices = json.loads((folder / "corrections.json").read_text(encoding="utf-8"))["notices"]
    assert [(n["correction_id"], n["row"], n["field"]) for n in notices] == [(correction, row, "status")]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notices"]["count"] == 1 and len(manifest["notices"]["sha256"]) == 64
    sheet = openpyxl.load_workbook(folder / f"{DATASET}.xlsx", read_only=True)["更正通知"]
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in lines] == [(correction, str(row))]


@pytest.fixture
def delivered(city: City) -> City:
    deliver(load_contract(DATASET), settings=city.settings)
    return city


def _file(city: City, unit: str, **changes: object) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {
        "delivery_id": _delivered(unit).id,
        "row": ROW,
        "field": "status",
        "value": "迁出",
        "reason": REASON,
        **changes,
    }
    response = city.post("/api/v1/corrections", unit, body)
    return response.status_code, response.json()


def test_an_accepted_correction_reaches_every_unit_that_holds_the_record(
    governance_store: str, delivered: City
) -> None:
    old_a, old_street = _delivered(A), _delivered(STREET)
    record = _fingerprint(old_a, ROW)
    assert _row_of(old_a, record)["status"] == "正常"

    status, filed = _file(delivered, A)
    assert status == 201, filed
    assert (filed["status"], filed["row"], filed["field"]) == ("submitted", ROW, "status")
    listed = delivered.get("/api/v1/corrections", A).json()["corrections"]
    assert [c["id"] for c in listed] == [filed["id"]]

    accepted = runner.invoke(app, ["corrections", "accept", str(filed["id"]), "--by", "steward"])
    assert accepted.exit_code == 0, accepted.output
    seen = delivered.get(f"/api/v1/corrections/{filed['id']}", A).json()
    assert seen["status"] == "applied"
    assert [s["action"] for s in seen["history"]] == ["filed", "accepted", "applied"]

    pulled = delivered.get(f"/api/v1/datasets/{DATASET}/download", A, format="csv")
    assert pulled.status_code == 200  # made afresh: the published file predates the correction
    assert "迁出" in pulled.content.decode("utf-8-sig")

    deliver(load_contract(DATASET), settings=delivered.settings)
    new_a, new_street = _delivered(A), _delivered(STREET)
    assert (new_a.id, new_street.id) != (old_a.id, old_street.id)
    assert _row_of(new_a, record)["status"] == "迁出"
    assert _row_of(new_street, record)["status"] == "迁出"  # the street held the same record
    for new in (new_a, new_street):
        _assert_notice(new, record, str(filed["id"]))

    contract = load_contract(DATASET)
    source = CuratedSnapshot(contract).columns(["status"]).column("status").to_pylist()
    assert "迁出" not in source  # curated keeps the department's value; the overlay corrects it
    assert len(load_overlay(contract).values["status"]) == 1


def test_a_masked_column_is_corrected_by_key_without_the_unit_seeing_it(delivered: City) -> None:
    old_a, old_street = _delivered(A), _delivered(STREET)
    record = _fingerprint(old_a, ROW)
    assert "*" in _row_of(old_a, record)["phone"]

    status, filed = _file(delivered, A, field="phone", value="13912345678", reason="住户本人提供的新号码")
    assert status == 201, filed
    assert runner.invoke(app, ["corrections", "accept", str(filed["id"]), "--by", "steward"]).exit_code == 0
    deliver(load_contract(DATASET), settings=delivered.settings)

    community_phone = _row_of(_delivered(A), record)["phone"]
    assert "*" in community_phone and community_phone != _row_of(old_a, record)["phone"]
    delivered_text = (Path(_delivered(A).outbox_path or "") / f"{DATASET}.csv").read_text("utf-8-sig")
    assert "13912345678" not in delivered_text
    assert _row_of(_delivered(STREET), record)["phone"] == community_phone == "139****5678"
    assert _row_of(old_street, record)["phone"] != community_phone  # the street held the old number


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"row": 41}, "invalid_correction", "row"),  # A received 40 rows
        ({"row": 0}, "invalid_request", "row"),
        ({"field": "ethnicity"}, "invalid_correction", "field"),  # not returned to communities
        ({"field": "id_number", "value": "520102198001011234"}, "invalid_correction", "field"),  # the key
        ({"field": "birth_date", "value": "不详"}, "invalid_correction", "value"),
        ({"reason": "错"}, "invalid_correction", "reason"),
        ({"reason": ""}, "invalid_request", "reason"),
        ({"extra": "x"}, "invalid_request", "extra"),
    ],
)
def test_a_malformed_correction_is_refused_naming_the_field(
    delivered: City, changes: dict[str, object], code: str, field: str
) -> None:
    status, body = _file(delivered, A, **changes)

    assert (status, body["code"], body["field"]) == (422, code, field)
    assert "不详" not in json.dumps(body, ensure_ascii=False)  # the value is never repeated
    assert delivered.get("/api/v1/corrections", A).json()["corrections"] == []


def test_another_units_delivery_and_correction_answer_like_nothing(delivered: City) -> None:
    missing = delivered.get("/api/v1/datasets/no_such/download", A).json()
    street_delivery = _delivered(STREET).id

    status, body = _file(delivered, A, delivery_id=street_delivery)
    assert (status, body) == (404, missing)
    status, body = _file(delivered, A, delivery_id="D0000000000000000")
    assert (status, body) == (404, missing)

    _, filed = _file(delivered, A)
    for unit in (B, STREET):
        other = delivered.get(f"/api/v1/corrections/{filed['id']}", unit)
        assert (other.status_code, other.json()) == (404, missing)
        assert delivered.get("/api/v1/corrections", unit).json()["corrections"] == []
    nothing = delivered.get("/api/v1/corrections/C0000000000000000", A)
    assert (nothing.status_code, nothing.json()) == (404, missing)


def test_only_the_owning_steward_decides_and_a_rejection_reaches_the_unit(delivered: City) -> None:
    _, filed = _file(delivered, A)
    correction = str(filed["id"])

    by_officer = runner.invoke(app, ["corrections", "accept", correction, "--by", "officer"])
    assert by_officer.exit_code == 1 and "steward" in by_officer.stderr
    no_reason = runner.invoke(app, ["corrections", "reject", correction, "--by", "steward", "--reason", ""])
    assert no_reason.exit_code == 1
    rejected = runner.invoke(
        app, ["corrections", "reject", correction, "--by", "steward", "--reason", "户籍系统显示仍在本社区"]
    )
    assert rejected.exit_code == 0, rejected.output

    seen = delivered.get(f"/api/v1/corrections/{correction}", A).json()
    assert (seen["status"], seen["decision_reason"]) == ("rejected", "户籍系统显示仍在本社区")
    again = runner.invoke(app, ["corrections", "accept", correction, "--by", "steward"])
    assert again.exit_code == 1 and "decided already" in again.stderr
    assert not load_overlay(load_contract(DATASET))

    listed = json.loads(runner.invoke(app, ["corrections", "list", "--status", "rejected", "--json"]).stdout)
    assert [c["id"] for c in listed] == [correction]
