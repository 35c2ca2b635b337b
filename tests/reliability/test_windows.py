"""Incremental windows end at the run's data interval end (or now): a source row dated in the
future never moves the watermark past today, and no later update is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow.compute as pc

from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.settings import Settings
from huiliu.store import batches as store
from tests.helpers.source_tables import SourceDb

CONTRACT = load_contract("resident_registry")


def _now_local() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


def _landed(settings: Settings) -> list[str]:
    rows = lake_table("landing.resident_registry", settings=settings).scan().to_arrow()
    return rows["id_number"].to_pylist()


def test_a_future_dated_row_waits_and_later_updates_still_land(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    now = _now_local()
    table = sqlite_source.create(rows=20)  # dated 2026-10-01
    sqlite_source.insert(table, range(20, 21), now + timedelta(days=30))  # a clock error in the source

    first = land_dataset(CONTRACT, "w1")

    assert first.rows == 20 and first.drift["rows_after_window"] == 1
    mark = store.get_watermark(CONTRACT.name)
    assert mark is not None and mark <= now
    assert datetime.fromisoformat(first.high_watermark or "") <= now

    sqlite_source.insert(table, range(21, 26), now - timedelta(hours=1))  # updated since, dated today
    second = land_dataset(CONTRACT, "w2")

    assert second.rows == 5  # not skipped behind a watermark in the future
    waiting = f"52010219900101{20:04d}"  # lands with the batch whose window reaches its date
    assert sorted(_landed(huiliu_home)) == sorted(f"52010219900101{i:04d}" for i in range(26) if i != 20)
    assert waiting not in _landed(huiliu_home)


def test_a_window_ends_at_the_data_interval_end_and_the_next_batch_takes_what_follows(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    table = sqlite_source.create(rows=10)  # 2026-10-01 08:00:00 + i seconds, Beijing time
    sqlite_source.insert(table, range(10, 15), datetime(2026, 10, 2, 12, 0))
    interval_end = datetime(2026, 10, 2, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)

    first = land_dataset(CONTRACT, "20261001", until=interval_end)
    second = land_dataset(CONTRACT, "20261002", until=interval_end + timedelta(days=1))
    rerun = land_dataset(CONTRACT, "20261001", until=interval_end)

    assert (first.rows, second.rows, rerun.rows) == (10, 5, 10)
    assert first.drift["rows_after_window"] == 5
    landed = lake_table("landing.resident_registry", settings=huiliu_home).scan().to_arrow()
    per_batch = {
        b: pc.sum(pc.equal(landed["_batch_id"], b)).as_py() for b in (first.batch_id, second.batch_id)
    }
    assert per_batch == {first.batch_id: 10, second.batch_id: 5}


def test_a_watermark_left_in_the_future_is_not_trusted(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    table = sqlite_source.create(rows=10)
    land_dataset(CONTRACT, "f1")
    store.set_watermark(CONTRACT.name, "updated_at", _now_local() + timedelta(days=365), "legacy")
    sqlite_source.insert(table, range(10, 13), _now_local() - timedelta(minutes=5))

    assert land_dataset(CONTRACT, "f2").rows == 3
