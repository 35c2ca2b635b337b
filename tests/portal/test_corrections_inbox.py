"""The correction inbox: workbooks a unit drops in its own folder are filed as its corrections, or
moved aside with every problem named; another unit's workbook reads as an unknown delivery."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.returnflow.correction_sheet import FIRST_FORM_ROW, fill_correction
from huiliu.returnflow.corrections import list_corrections
from huiliu.returnflow.corrections_inbox import INBOX_LEASE, take_in
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import Delivery, DeliveryStatus, deliveries
from huiliu.store.leases import dataset_lease
from tests.helpers.deliveries import STREET
from tests.portal.conftest import DATASET, A, City

runner = CliRunner()


def _delivered(unit: str) -> Delivery:
    return next(
        d for d in deliveries(unit_code=unit) if d.unit_code == unit and d.status is DeliveryStatus.DELIVERED
    )


def _drop(city: City, folder: str, workbook_of: str, name: str, lines: list[tuple[object, ...]]) -> Path:
    book = openpyxl.load_workbook(Path(_delivered(workbook_of).outbox_path or "") / f"{DATASET}.xlsx")
    for offset, (row, field, value, reason) in enumerate(lines):
        fill_correction(book, offset, row=row, field=str(field), value=str(value), reason=str(reason))
    target = city.settings.inbox_path / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    book.save(out)
    target.write_bytes(out.getvalue())
    return target


@pytest.fixture
def delivered(city: City) -> City:
    deliver(load_contract(DATASET), settings=city.settings)
    return city


def test_dropped_workbooks_are_filed_or_refused_with_their_problems(delivered: City) -> None:
    inbox = delivered.settings.inbox_path
    _drop(delivered, A, A, "good.xlsx", [(3, "status", "迁出", "已迁出本社区")])
    _drop(delivered, A, A, "bad.xlsx", [(999, "status", "迁出", "已迁出本社区")])
    _drop(delivered, A, STREET, "street.xlsx", [(3, "status", "迁出", "已迁出本社区")])

    result = runner.invoke(app, ["corrections", "intake", "--json"])
    assert result.exit_code == 0, result.output
    intake = json.loads(result.stdout)

    assert list(intake["filed"]) == [str(inbox / A / "done" / "good.xlsx")]
    filed = list_corrections(unit_code=A)
    assert [(c.row, c.field, c.filed_by) for c in filed] == [(3, "status", f"inbox:{A}")]
    assert sorted(Path(p).name for p in intake["refused"]) == ["bad.xlsx", "street.xlsx"]
    bad = json.loads((inbox / A / "refused" / "bad.xlsx.problems.json").read_text(encoding="utf-8"))
    assert [(p["sheet_row"], p["field"]) for p in bad["problems"]] == [(FIRST_FORM_ROW + 1, "row")]
    foreign = json.loads((inbox / A / "refused" / "street.xlsx.problems.json").read_text(encoding="utf-8"))
    assert "not this unit's" in foreign["problems"][0]["message_en"]
    assert not list((inbox / A).glob("*.xlsx"))

    again = json.loads(runner.invoke(app, ["corrections", "intake", "--json"]).stdout)
    assert again == {"filed": {}, "refused": [], "waiting": []} and len(list_corrections(unit_code=A)) == 1


def test_a_workbook_still_changing_waits_for_the_next_sweep(delivered: City) -> None:
    fresh = _drop(delivered, A, A, "fresh.xlsx", [(3, "status", "迁出", "已迁出本社区")])

    settled = time.time() - 600  # copied with its source's time: the inode's time still says fresh
    os.utime(fresh, (settled, settled))
    waiting = take_in(delivered.settings, load_contract, settle_seconds=60)
    assert waiting.as_dict() == {"filed": {}, "refused": [], "waiting": [str(fresh)]}
    assert fresh.exists() and list_corrections(unit_code=A) == []

    filed = take_in(delivered.settings, load_contract, settle_seconds=60, now=time.time() + 120)
    assert list(filed.filed) == [str(delivered.settings.inbox_path / A / "done" / "fresh.xlsx")]
    assert [c.row for c in list_corrections(unit_code=A)] == [3]


def test_a_sweep_waits_for_another_sweep_s_lease(delivered: City) -> None:
    _drop(delivered, A, A, "good.xlsx", [(3, "status", "迁出", "已迁出本社区")])
    with dataset_lease(INBOX_LEASE, "intake"):
        sweeping = threading.Thread(target=take_in, args=(delivered.settings, load_contract))
        sweeping.start()
        sweeping.join(timeout=2)
        assert sweeping.is_alive() and list_corrections(unit_code=A) == []  # waits for the lease
    sweeping.join(timeout=60)
    assert not sweeping.is_alive() and [c.row for c in list_corrections(unit_code=A)] == [3]
