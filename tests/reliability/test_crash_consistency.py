"""Processes killed at the gate's and a quarantine release's commit boundaries, and at random
moments of the gate: a reader never sees curated and quarantine of a batch disagree, and the next
run converges to what an uninterrupted run gives."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from huiliu.contracts import load_contract
from huiliu.faults import CRASH_AT_VARIABLE
from huiliu.ingest import land_dataset
from huiliu.quality import quarantine
from huiliu.quality.gate import run_gate
from huiliu.settings import Settings
from tests.helpers import crash_worker
from tests.helpers.residents import a_community, bad_rows, insert, person
from tests.helpers.source_tables import SourceDb
from tests.helpers.zones_state import curated_ids, zone_state

CONTRACT = load_contract("resident_registry")
AS_OF = "2026-11-01T08:00:00"
HUILIU = str(Path(sys.executable).parent / "huiliu")
pytestmark = pytest.mark.xdist_group("crash")


def _landed(source: SourceDb, settings: Settings) -> str:
    community = a_community(settings)
    insert(source, [person(i, community) for i in range(200)] + list(bad_rows(community).values()))
    return land_dataset(CONTRACT, "20261101T000000").batch_id


def _huiliu(*args: str, crash_at: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, CRASH_AT_VARIABLE: crash_at}
    return subprocess.run([HUILIU, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "point", ["gate.files_written", "gate.between_zone_commits", "lake.group_staged", "gate.lake_committed"]
)
def test_a_gate_killed_at_a_commit_boundary_leaves_both_zones_old_or_both_new(
    source: SourceDb, huiliu_home: Settings, point: str
) -> None:
    batch = _landed(source, huiliu_home)
    first = run_gate(CONTRACT, batch)
    before = zone_state(CONTRACT, batch, huiliu_home)
    assert (first.rows_curated, first.rows_quarantined) == (200, 5) and not before.mixed

    killed = _huiliu("quality", "run", CONTRACT.name, "--batch", batch, "--as-of", AS_OF, crash_at=point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = zone_state(CONTRACT, batch, huiliu_home)
    assert not after.mixed
    assert (after.curated_rows, after.quarantine_rows) == (200, 5)
    if point == "gate.lake_committed":
        assert after.curated_run != before.curated_run  # both zones moved, together
    else:
        assert after == before  # neither moved
    rerun = run_gate(CONTRACT, batch)
    settled = zone_state(CONTRACT, batch, huiliu_home)
    assert (rerun.rows_curated, rerun.rows_quarantined) == (200, 5)
    assert not settled.mixed and (settled.curated_rows, settled.quarantine_rows) == (200, 5)


def test_a_first_gate_killed_before_its_commit_shows_the_batch_in_neither_zone(
    source: SourceDb, huiliu_home: Settings
) -> None:
    batch = _landed(source, huiliu_home)

    killed = _huiliu("quality", "run", CONTRACT.name, "--batch", batch, crash_at="lake.group_staged")

    assert killed.returncode == -signal.SIGKILL
    state = zone_state(CONTRACT, batch, huiliu_home)
    assert (state.curated_rows, state.quarantine_rows) == (0, 0) and not state.mixed
    assert run_gate(CONTRACT, batch).rows_curated == 200


def _one_released_row(source: SourceDb, huiliu_home: Settings) -> tuple[str, str]:
    batch = _landed(source, huiliu_home)
    run_gate(CONTRACT, batch)
    row = next(r for r in quarantine.list_rows(CONTRACT) if "not_be_blank(name)" in r.failed_rules)
    return row.quarantine_id, row.values["id_number"]


@pytest.mark.parametrize(
    ("point", "released"), [("release.recorded", False), ("release.curated_committed", True)]
)
def test_a_release_killed_at_a_commit_boundary_shows_the_row_in_exactly_one_zone(
    source: SourceDb, huiliu_home: Settings, point: str, released: bool
) -> None:
    qid, id_number = _one_released_row(source, huiliu_home)

    killed = _huiliu(
        "quarantine",
        "release",
        CONTRACT.name,
        qid,
        "--set",
        "name=王芳",
        "--reason",
        "姓名已核实补录",
        "--by",
        "steward",
        crash_at=point,
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pending = [r.quarantine_id for r in quarantine.list_rows(CONTRACT)]
    in_curated = id_number in curated_ids(CONTRACT, huiliu_home)
    assert (qid in pending) != in_curated  # in quarantine or in curated, never both or neither
    assert qid in pending and not in_curated  # until the release is settled, readers see the old state

    rolled_back = quarantine.settle_releases(CONTRACT)

    pending = [r.quarantine_id for r in quarantine.list_rows(CONTRACT)]
    in_curated = id_number in curated_ids(CONTRACT, huiliu_home)
    assert (in_curated, qid in pending, rolled_back == []) == (released, not released, released)
    if not released:  # rolled back: the steward can release it again, and it lands once
        outcome = quarantine.release(
            CONTRACT, [qid], actor="steward", reason="姓名已核实补录", changes={"name": "王芳"}
        )
        assert outcome.released == [qid]
        assert curated_ids(CONTRACT, huiliu_home).count(id_number) == 1


def test_fifty_kills_at_random_moments_of_the_gate_leave_no_mixed_state(
    source: SourceDb, huiliu_home: Settings
) -> None:
    batch = _landed(source, huiliu_home)
    clock = time.perf_counter()
    run_gate(CONTRACT, batch)
    one_run = time.perf_counter() - clock
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["huiliu.quality.gate", "tests.helpers.crash_worker"])
    environment = {k: v for k, v in os.environ.items() if k.startswith("HUILIU_")}
    chance = random.Random(20261205)
    kills = mixed = 0
    for _ in range(50):
        ready = context.Event()
        child = context.Process(target=crash_worker.gate_forever, args=(environment, batch, ready))
        child.start()
        assert ready.wait(120), "the gate worker did not start"
        time.sleep(chance.uniform(0, 1.5 * one_run))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        kills += child.exitcode == -signal.SIGKILL
        state = zone_state(CONTRACT, batch, huiliu_home)
        mixed += state.mixed or (state.curated_rows, state.quarantine_rows) != (200, 5)
    print(f"\nmixed gate states after {kills} kills at random moments of the gate: {mixed}")
    assert kills == 50 and mixed == 0
    final = run_gate(CONTRACT, batch)
    assert (final.rows_curated, final.rows_quarantined) == (200, 5)


LAND = """
from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
land_dataset(load_contract("resident_registry"), "20261102T000000")
"""


@pytest.mark.parametrize("point", ["landing.files_written", "landing.lake_committed"])
def test_a_landing_killed_at_a_commit_boundary_leaves_the_whole_batch_or_none_and_a_rerun_converges(
    source: SourceDb, huiliu_home: Settings, point: str
) -> None:
    from huiliu.lake.catalog import lake_table

    first = _landed(source, huiliu_home)
    community = a_community(huiliu_home)
    insert(source, [person(i, community, updated_at=datetime(2026, 10, 21, 9, 0)) for i in range(300, 350)])
    env = {**os.environ, CRASH_AT_VARIABLE: point}

    killed = subprocess.run(
        [sys.executable, "-c", LAND], env=env, capture_output=True, text=True, timeout=600
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    landed = lake_table(CONTRACT.landing_table, settings=huiliu_home).scan().to_arrow()
    batches = Counter(landed["_batch_id"].to_pylist())
    expected = {first: 205, "resident_registry:20261102T000000": 50}
    assert batches == ({first: 205} if point == "landing.files_written" else expected)

    rerun = land_dataset(CONTRACT, "20261102T000000")

    landed = lake_table(CONTRACT.landing_table, settings=huiliu_home).scan().to_arrow()
    assert rerun.rows == 50 and Counter(landed["_batch_id"].to_pylist()) == expected
    assert len(set(landed["id_number"].to_pylist())) == 255
