"""One holder per dataset at a time, on each kind of governance store; a killed holder's lease
runs out; two processes landing one dataset at once never land the same rows twice."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from huiliu.errors import DatasetBusyError
from huiliu.settings import Settings, reset_settings
from huiliu.store import db
from huiliu.store.leases import dataset_lease, lease_of
from tests.helpers import crash_worker
from tests.helpers.source_tables import SourceDb

pytestmark = pytest.mark.xdist_group("crash")
HOLD = """
import sys, time
from huiliu.store.leases import dataset_lease
with dataset_lease("resident_registry", "landing"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def governance(request: pytest.FixtureRequest, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    """The governance store on each database kind (SQLite: a lease outlives its holder by 2 s)."""
    if request.param != "sqlite":
        url = request.getfixturevalue("postgres_url" if request.param == "postgresql" else "mariadb_url")
        monkeypatch.setenv("HUILIU_GOVERNANCE_URL", url)
    monkeypatch.setenv("HUILIU_LEASE_TTL_SECONDS", "2")
    reset_settings()
    db.get_engine.cache_clear()
    db._ready.clear()
    return request.param


def _holder() -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True, env=os.environ)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_holder_is_refused_with_who_holds_it_and_a_killed_holder_frees_the_lease(
    governance: str,
) -> None:
    holder = _holder()
    try:
        with (
            pytest.raises(DatasetBusyError) as refused,
            dataset_lease("resident_registry", "gating", wait_seconds=0.5),
        ):
            pass
        message = str(refused.value)
        assert f"pid {holder.pid} (landing)" in message and "数据集 resident_registry" in message
        assert refused.value.retryable
        record = lease_of("resident_registry")
        assert record is not None and record.purpose == "landing"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    started = time.monotonic()
    with dataset_lease("resident_registry", "gating", wait_seconds=30) as lease:
        assert lease.purpose == "gating"
    waited = time.monotonic() - started
    assert waited < 30  # the database freed it (PostgreSQL, MariaDB) or it ran out (SQLite)
    assert lease_of("resident_registry") is None  # a released lease leaves no row


def test_the_same_thread_may_take_its_lease_again_and_another_thread_waits(governance: str) -> None:
    order: list[str] = []
    with dataset_lease("resident_registry", "landing"), dataset_lease("resident_registry", "gating"):
        other = threading.Thread(
            target=lambda: (
                dataset_lease("resident_registry", "x", wait_seconds=20).__enter__() and order.append("other")
            )
        )
        other.start()
        time.sleep(0.5)
        order.append("first done")
    other.join(30)
    assert order == ["first done", "other"]


def _land_pair(context, environment: dict[str, str], keys: tuple[str, str]) -> list[int]:  # type: ignore[no-untyped-def]
    children = [context.Process(target=crash_worker.land_once, args=(environment, key)) for key in keys]
    for child in children:
        child.start()
    for child in children:
        child.join(300)
    return [c.exitcode for c in children]


def test_twenty_concurrent_landing_pairs_land_no_key_twice(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    from huiliu.lake.catalog import lake_table

    table = sqlite_source.create(rows=0)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["huiliu.ingest", "tests.helpers.crash_worker"])
    environment = {k: v for k, v in os.environ.items() if k.startswith("HUILIU_")}
    start = datetime(2026, 10, 2, 8, 0)
    for pair in range(20):
        sqlite_source.insert(table, range(pair * 50, pair * 50 + 50), start + timedelta(hours=pair))
        keys = (f"p{pair}a", f"p{pair}b") if pair % 4 else (f"p{pair}", f"p{pair}")  # also the same run key
        assert _land_pair(context, environment, keys) == [0, 0]
    landed = lake_table("landing.resident_registry", settings=huiliu_home).scan().to_arrow()
    counts = Counter(landed["id_number"].to_pylist())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    print(f"\nduplicate keys over 20 concurrent landing pairs: {duplicates}")
    assert duplicates == 0 and len(counts) == 1000
    referenced = {
        Path(f.file.file_path.removeprefix("file://"))
        for f in _files(lake_table("landing.resident_registry", settings=huiliu_home))
    }
    on_disk = set(
        Path(huiliu_home.warehouse_location.removeprefix("file://")).rglob(
            "landing/resident_registry/data/**/*.parquet"
        )
    )
    assert on_disk <= referenced | _historic(huiliu_home)


def _files(table):  # type: ignore[no-untyped-def]
    return list(table.scan().plan_files())


def _historic(settings: Settings) -> set[Path]:
    """Data files of any snapshot (replaced batches stay in older snapshots)."""
    from huiliu.lake.catalog import lake_table

    table = lake_table("landing.resident_registry", settings=settings)
    paths = set()
    for snapshot in table.snapshots():
        for task in table.scan(snapshot_id=snapshot.snapshot_id).plan_files():
            paths.add(Path(task.file.file_path.removeprefix("file://")))
    return paths


def test_a_sqlite_lease_of_another_host_holds_until_it_runs_out(huiliu_home: Settings) -> None:
    from huiliu.store.db import session_scope
    from huiliu.store.models import DatasetLease, utcnow

    def held_elsewhere(expires_in: float) -> None:
        with session_scope() as session:
            session.merge(
                DatasetLease(
                    dataset="resident_registry",
                    token="t" * 32,
                    holder="worker-7 pid 4242 (landing)",
                    host="worker-7",
                    pid=4242,
                    purpose="landing",
                    acquired_at=utcnow(),
                    expires_at=utcnow() + timedelta(seconds=expires_in),
                )
            )

    held_elsewhere(600)
    with (
        pytest.raises(DatasetBusyError, match="worker-7 pid 4242"),
        dataset_lease("resident_registry", "gating", wait_seconds=0.3),
    ):
        pass
    held_elsewhere(-1)  # its holder stopped renewing it a second ago
    with dataset_lease("resident_registry", "gating", wait_seconds=0) as lease:
        assert lease_of("resident_registry").token == lease.token  # type: ignore[union-attr]
