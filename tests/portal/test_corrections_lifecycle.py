"""A correction in force until the source agrees: confirmed (the overlay retires) when the department's
next extract carries the value, flagged to the steward when the source still differs after
CONTRADICTION_AFTER deliveries, and withdrawn by the steward on demand."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.returnflow.corrections import (
    CONTRADICTION_AFTER,
    CorrectionStatus,
    accept_correction,
    file_correction,
    get_correction,
)
from huiliu.returnflow.overlay import load_overlay
from huiliu.returnflow.push import deliver, fingerprint_key
from huiliu.returnflow.records import Delivery, DeliveryStatus, deliveries
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.store.db import session_scope
from huiliu.store.models import CorrectionRecord
from tests.helpers.deliveries import append_curated
from tests.portal.conftest import DATASET, NOW, A, City

runner = CliRunner()


def _delivered(unit: str) -> Delivery:
    return next(
        d for d in deliveries(unit_code=unit) if d.unit_code == unit and d.status is DeliveryStatus.DELIVERED
    )


def _statuses(unit: str) -> list[str]:
    text = (Path(_delivered(unit).outbox_path or "") / f"{DATASET}.csv").read_text(encoding="utf-8-sig")
    return [row["status"] for row in csv.DictReader(io.StringIO(text))]


@pytest.fixture
def applied(city: City) -> str:
    """A's correction of row 5's status to 迁出, accepted by the steward."""
    contract = load_contract(DATASET)
    deliver(contract, settings=city.settings)
    filed = file_correction(
        contract,
        unit_code=A,
        filed_by="test",
        delivery_id=_delivered(A).id,
        row=5,
        field="status",
        value="迁出",
        reason="该居民已迁出本社区",
        settings=city.settings,
        fingerprint_key=fingerprint_key(city.settings),
    )
    accept_correction(filed.id, load_contract, by="steward")
    return filed.id


def _source_row(correction_id: str) -> dict[str, object]:
    with session_scope() as session:
        key = session.get(CorrectionRecord, correction_id).record_key  # type: ignore[union-attr]
    contract = load_contract(DATASET)
    names = [c.name for c in contract.columns]
    rows = CuratedSnapshot(contract).columns(names)
    return rows.filter(pc.equal(rows.column("id_number"), pa.scalar(key[0]))).to_pylist()[0]


def test_the_overlay_retires_once_the_source_carries_the_value(city: City, applied: str) -> None:
    contract = load_contract(DATASET)
    row = _source_row(applied)
    append_curated(contract, [{**row, "status": "迁出"}], "b2", NOW + timedelta(days=1))

    deliver(contract, settings=city.settings)

    correction = get_correction(applied)
    assert correction.status is CorrectionStatus.CONFIRMED
    assert [s.action.value for s in correction.history][-1] == "confirmed"
    assert not load_overlay(contract)
    assert _statuses(A).count("迁出") == 1  # now straight from the source


def test_a_source_that_keeps_differing_is_flagged_to_the_steward(city: City, applied: str) -> None:
    contract = load_contract(DATASET)
    for _ in range(CONTRADICTION_AFTER - 1):
        deliver(contract, settings=city.settings)
        assert get_correction(applied).status is CorrectionStatus.APPLIED
    deliver(contract, settings=city.settings)

    assert get_correction(applied).status is CorrectionStatus.CONTRADICTED
    assert _statuses(A).count("迁出") == 1  # still in force until the steward decides
    flagged = runner.invoke(app, ["corrections", "list", "--status", "contradicted", "--json"])
    assert applied in flagged.stdout

    retired = runner.invoke(
        app, ["corrections", "retire", applied, "--by", "steward", "--reason", "户籍系统核实未迁出"]
    )
    assert retired.exit_code == 0, retired.output
    assert get_correction(applied).status is CorrectionStatus.RETIRED and not load_overlay(contract)
    deliver(contract, settings=city.settings)
    assert "迁出" not in _statuses(A)


def test_only_a_correction_in_force_can_be_retired_and_only_by_its_steward(city: City, applied: str) -> None:
    by_officer = runner.invoke(
        app, ["corrections", "retire", applied, "--by", "officer", "--reason", "不需要了"]
    )
    assert by_officer.exit_code == 1
    assert (
        runner.invoke(
            app, ["corrections", "retire", applied, "--by", "steward", "--reason", "核实有误"]
        ).exit_code
        == 0
    )
    again = runner.invoke(app, ["corrections", "retire", applied, "--by", "steward", "--reason", "再次撤回"])
    assert again.exit_code == 1 and "not in force" in again.stderr
