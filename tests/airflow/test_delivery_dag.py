"""The delivery DAG run by Airflow: deliveries land in the outboxes, and a held extract waits for a
compliance officer's answer (`huiliu deliveries release|withhold`) in Airflow's human-in-the-loop task.

The DAG runs in a background process (``dag.test()`` keeps waiting while ``release_approval`` awaits
input); the test answers from another process, as an officer would.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.airflow.conftest import HUILIU, WAIT_SECONDS, AirflowEnv, finish
from tests.helpers.deliveries import COMMUNITIES, STREET, approved_grant, registry_with_a_rare_resident

from huiliu.returnflow.records import DeliveryStatus, deliveries
from huiliu.settings import Settings

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

NOW = datetime.now(UTC)


@pytest.fixture
def granted(airflow_env: AirflowEnv, huiliu_home: Settings) -> AirflowEnv:
    """The registry with one rare resident in community B; grants for the street and both communities."""
    contract = registry_with_a_rare_resident(NOW)
    for unit in (STREET, *COMMUNITIES[:2]):
        approved_grant(contract, unit, NOW)
    airflow_env.env["HUILIU_ACCOUNT"] = "officer"
    return airflow_env


def start_run(env: AirflowEnv) -> subprocess.Popen[str]:
    command = [HUILIU, "dags", "run", "deliver_resident_registry"]
    return subprocess.Popen(command, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def answer(env: AirflowEnv, run: subprocess.Popen[str], *args: str) -> subprocess.CompletedProcess[str]:
    """Answer the held extracts once the run is waiting for the officer (retrying while it starts)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if run.poll() is not None:
            pytest.fail(f"the run ended before asking: {finish(run)[-3000:]}")
        held = json.loads(env.huiliu("deliveries", "held", "resident_registry", "--json").stdout)
        if held:
            done = env.huiliu("deliveries", *args)
            if done.returncode == 0 or "still running" not in done.stderr:
                return done
        time.sleep(2)
    run.kill()
    pytest.fail(f"no held extract was waiting within {WAIT_SECONDS}s: {finish(run)[-3000:]}")


def test_a_released_extract_is_delivered_by_the_waiting_run(
    granted: AirflowEnv, huiliu_home: Settings
) -> None:
    run = start_run(granted)
    reason = "社区开展入户核验，罕见组合删除后可交付"
    done = answer(granted, run, "release", "resident_registry", "--reason", reason)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "answered Airflow run" in done.stdout

    output = finish(run)
    assert run.returncode == 0 and "deliver_resident_registry: success" in output, output[-3000:]
    mine = deliveries(unit_code=COMMUNITIES[1])
    assert [d.status for d in mine] == [DeliveryStatus.DELIVERED, DeliveryStatus.HELD]
    released, held = mine
    assert held.guard["decision"]["decision"] == "released" and held.guard["decision"]["by"] == "officer"
    assert released.guard["release"]["reason"] == reason and released.rows == 40
    assert Path(released.outbox_path or "", "manifest.json").is_file()
    assert {
        d.unit_code for d in deliveries(dataset="resident_registry") if d.status is DeliveryStatus.DELIVERED
    } == {
        STREET,
        *COMMUNITIES[:2],
    }


def test_a_withheld_extract_gets_nothing_and_says_why(granted: AirflowEnv, huiliu_home: Settings) -> None:
    run = start_run(granted)
    done = answer(granted, run, "withhold", "resident_registry", "--reason", "须先与社区确认用途")
    assert done.returncode == 0, done.stdout + done.stderr

    output = finish(run)
    assert run.returncode == 0, output[-3000:]
    (held,) = deliveries(unit_code=COMMUNITIES[1])
    assert held.status is DeliveryStatus.HELD and held.guard["decision"]["decision"] == "withheld"
    assert not (huiliu_home.outbox_path / COMMUNITIES[1]).exists()
    listed = granted.huiliu("deliveries", "held", "resident_registry", "--json")
    assert json.loads(listed.stdout) == []


def test_only_a_compliance_officer_decides_on_a_held_extract(
    granted: AirflowEnv, huiliu_home: Settings
) -> None:
    from huiliu.contracts import load_contract
    from huiliu.returnflow.push import deliver

    deliver(load_contract("resident_registry"))
    refused = granted.huiliu(
        "deliveries", "release", "resident_registry", "--by", "steward", "--reason", "需要"
    )
    assert refused.returncode == 1 and "only a compliance officer" in refused.stderr
    blank = granted.huiliu("deliveries", "release", "resident_registry", "--reason", "  ")
    assert blank.returncode == 1 and "reason" in blank.stderr
    assert len(json.loads(granted.huiliu("deliveries", "held", "resident_registry", "--json").stdout)) == 1
