"""Freshness of a source against its contract's expected interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from huiliu.contracts import load_contract
from huiliu.quality.freshness import judge

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
