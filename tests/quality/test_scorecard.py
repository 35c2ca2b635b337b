"""The quality scorecard's figures per dataset and per department, and its pages."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from huiliu.contracts import load_contract
from huiliu.quality.scorecard import dataset_card, department_cards
from huiliu.quality.scorecard_page import render_scorecard
from huiliu.store.models import QualityRun

RESIDENTS, ALLOWANCE = load_contract("resident_registry"), load_contract("subsistence_allowance")
FRESH = {"status": "fresh"}


def run(batch: str, finished: datetime, total: int, quarantined: int, status: str, rules: list | None = None):  # type: ignore[no-untyped-def]
    return QualityRun(
        batch_id=batch,
        dataset="resident_registry",
        suite="resident_registry",
        status=status,
        rows_total=total,
        rows_curated=total - quarantined,
        rows_quarantined=quarantined,
        pass_rate=(total - quarantined) / total if total else None,
        expectations=rules or [],
        finished_at=finished,  # as SQLite hands it back: UTC, without a zone
    )


@pytest.fixture
def beijing_host() -> Iterator[None]:
    """The machine's own zone is Asia/Shanghai, as on the bureau's servers."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_run_late_in_the_utc_evening_counts_on_the_next_beijing_day(beijing_host: None) -> None:
    card = dataset_card(RESIDENTS, [run("b1", datetime(2026, 11, 24, 20, 0), 100, 3, "quarantined")], FRESH)
    assert [p["day"] for p in card["trend"]] == ["2026-11-25"]
    assert card["last_gated_at"] == "2026-11-24T20:00:00+00:00"


def test_an_empty_delivery_does_not_hide_the_last_batchs_problems() -> None:
    failed = [
        {"rule": "expect_column_values_to_not_be_blank(name)", "severity": "critical", "unexpected_count": 3}
    ]
    runs = [
        run("b1", datetime(2026, 11, 24, 1), 100, 3, "quarantined", failed),
        run("b2", datetime(2026, 11, 24, 2), 0, 0, "empty"),
    ]
    card = dataset_card(RESIDENTS, runs, FRESH)
    assert (card["last_status"], card["last_batch_id"], card["last_pass_rate"]) == ("quarantined", "b1", 0.97)
    assert card["failed_rules"] == failed
    assert card["last_gated_at"] == "2026-11-24T02:00:00+00:00"
    assert dataset_card(RESIDENTS, [], FRESH)["last_status"] == "not_run"


def test_departments_have_a_trend_and_pages_speak_each_language() -> None:
    failed = [
        {"rule": "expect_column_values_to_not_be_blank(name)", "severity": "critical", "unexpected_count": 3}
    ]
    cards = [
        dataset_card(RESIDENTS, [run("b1", datetime(2026, 11, 23, 1), 100, 3, "quarantined", failed)], FRESH),
        dataset_card(RESIDENTS, [run("b2", datetime(2026, 11, 24, 1), 100, 0, "passed")], FRESH),
        dataset_card(ALLOWANCE, [], {"status": "not_tracked"}),
    ]
    police = next(d for d in department_cards(cards) if d["owner"] == "市公安局")
    assert [(p["day"], p["pass_rate"], p["rows_quarantined"]) for p in police["trend"]] == [
        ("2026-11-23", 0.97, 3),
        ("2026-11-24", 1.0, 0),
    ]
    card = {
        "generated_at": "2026-11-24T12:00:00+00:00",
        "datasets": cards,
        "departments": department_cards(cards),
    }
    zh, en = render_scorecard(card, "zh"), render_scorecard(card, "en")
    assert "各部门通过率趋势" in zh and "严重" in zh and "未运行" in zh and "未设时限" in zh
    assert "Municipal Public Security Bureau" in en and "Pass rate trend by department" in en
    assert "Critical" in en and "Not run" in en and "市公安局" not in en
