"""Freshness of a source against its contract's expected interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.quality.freshness import check_freshness, judge
from huiliu.quality.scorecard import build_scorecard
from huiliu.settings import Settings
from tests.helpers.source_tables import SourceDb

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_delivery_within_the_interval_is_fresh() -> None:
    result = judge(load_contract("hotline_tickets"), NOW - timedelta(hours=1), NOW, "cursor")
    assert result.status == "fresh" and result.age_hours == 1.0


def test_a_delivery_older_than_the_interval_is_stale_and_says_so() -> None:
    result = judge(load_contract("hotline_tickets"), NOW - timedelta(hours=5), NOW, "cursor")
    assert result.stale
    assert "5.0 h before the check, expected every 2 h" in result.message()


def test_never_delivered_is_unknown() -> None:
    result = judge(load_contract("resident_registry"), None, NOW, "cursor")
    assert result.status == "unknown" and "nothing delivered yet" in result.message()


def test_nothing_delivered_since_the_first_landing_run_is_stale_once_the_interval_has_passed() -> None:
    contract = load_contract("resident_registry")  # expected every 24 h
    asked = NOW - timedelta(days=10)
    result = judge(contract, None, NOW, "cursor", asked_since=asked)
    assert result.stale
    assert "nothing delivered since the first landing run at 2026-10-22 00:00 UTC" in result.message()
    recent = judge(contract, None, NOW, "cursor", asked_since=NOW - timedelta(hours=3))
    assert recent.status == "unknown" and not recent.stale


def test_a_source_whose_every_batch_is_empty_goes_stale(source: SourceDb, huiliu_home: Settings) -> None:
    contract = load_contract("resident_registry")
    for key in ("20261101T000000", "20261102T000000"):
        assert land_dataset(contract, key).rows == 0
    now = datetime.now(UTC)
    assert check_freshness(contract, now).status == "unknown"  # asked an hour ago or less: too early
    later = check_freshness(contract, now + timedelta(hours=25))
    assert later.stale and "nothing delivered since the first landing run" in later.message()
    department = next(
        d for d in build_scorecard(now + timedelta(hours=25))["departments"] if contract.name in d["datasets"]
    )
    assert contract.name in department["stale_datasets"]
