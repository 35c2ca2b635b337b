"""The PII approval through Airflow's human-in-the-loop task, answered with `huiliu pii approve|reject`.

The DAG runs in a background process (``dag.test()`` keeps waiting while ``pii_approval`` awaits
input); the test answers like a compliance officer would, from another process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.airflow.conftest import HUILIU, WAIT_SECONDS, AirflowEnv, finish
from tests.airflow.test_dag_runs import RECENT, _landed_ids
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb

from huiliu.pii.decisions import decision_history
from huiliu.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

NAMES = [s + g for g in ("伟", "芳", "敏", "静") for s in "王李张刘陈"]
# an answer sent to Airflow's HITL response handler as the Required Actions UI and the REST API send
# it, without `huiliu pii`'s own check of the reason in front
ANSWER_IN_AIRFLOW = """
import json, sys
from huiliu.airflow.environment import configure_airflow_env
configure_airflow_env()
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
from airflow.utils.session import create_session

class Officer(BaseUser):
    def get_id(self): return "张科长"
    def get_name(self): return "张科长"

dag_id, run_id, option, params_input = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
payload = UpdateHITLDetailPayload(chosen_options=[option], params_input=params_input)
with create_session() as session:
    update_hitl_detail(dag_id=dag_id, dag_run_id=run_id, task_id="pii_approval",
                       update_hitl_detail_payload=payload, user=Officer(), session=session, map_index=-1)
"""


@pytest.fixture
def held_run(
    airflow_env: AirflowEnv, sqlite_source: SourceDb, huiliu_home: Settings, tmp_path: Path
) -> AirflowEnv:
    """40 residents, and a resident contract that forgot to declare its phone column."""
    with sqlite_source.engine.begin() as conn:
        sqlite_source.table().create(conn)
    community = a_community(huiliu_home)
    insert(sqlite_source, [person(i, community, name=NAMES[i % 20], updated_at=RECENT) for i in range(40)])
    folder = tmp_path / "contracts"
    shutil.copytree(PROJECT_ROOT / "include" / "contracts", folder)
    contract = yaml.safe_load((folder / "resident_registry.yaml").read_text("utf-8"))
    contract["personal_information"] = [p for p in contract["personal_information"] if p["column"] != "phone"]
    (folder / "resident_registry.yaml").write_text(yaml.safe_dump(contract, allow_unicode=True), "utf-8")
    airflow_env.env["HUILIU_SOURCE_GONGAN"] = sqlite_source.url
    airflow_env.env["HUILIU_CONTRACTS_DIR"] = str(folder)
    return airflow_env


def start_run(env: AirflowEnv) -> subprocess.Popen[str]:
    command = [HUILIU, "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"]
    return subprocess.Popen(command, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_approval(env: AirflowEnv, run: subprocess.Popen[str]) -> dict[str, Any]:
    """The pending approval, once Airflow's approval task is waiting for an answer."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if run.poll() is not None:
            pytest.fail(f"the run ended before asking for approval: {finish(run)[-3000:]}")
        listed = env.huiliu("pii", "approvals", "--json")
        assert listed.returncode == 0, listed.stderr[-2000:]
        waiting = [a for a in json.loads(listed.stdout) if a["awaiting_input"]]
        if waiting:
            return waiting[0]
        time.sleep(3)
    run.kill()
    pytest.fail(f"no approval was pending within {WAIT_SECONDS}s: {finish(run)[-3000:]}")


def test_an_approved_batch_continues_and_the_decision_is_recorded(
    held_run: AirflowEnv, huiliu_home: Settings
) -> None:
    run = start_run(held_run)
    pending = wait_for_approval(held_run, run)
    assert pending["dataset"] == "resident_registry" and pending["dag_id"] == "ingest_resident_registry"
    assert [(f["column"], f["entity_type"], f["rule"]) for f in pending["findings"]] == [
        ("phone", "CN_MOBILE", "undeclared_column")
    ]
    reason = "回访需要联系电话，契约将补充声明"
    answer = held_run.huiliu(
        "pii",
        "approve",
        "resident_registry",
        "--batch",
        pending["batch_id"],
        "--by",
        "张科长",
        "--reason",
        reason,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr

    output = finish(run)
    assert run.returncode == 0 and "ingest_resident_registry: success" in output, output[-3000:]
    (decision,) = decision_history("resident_registry")
    assert (decision.status, decision.decided_by, decision.reason) == ("approved", "张科长", reason)
    assert decision.channel == "airflow_hitl" and isinstance(decision.decided_at, datetime)
    assert len(_landed_ids(huiliu_home, "resident_registry", "id_number", "curated")) == 40
    again = held_run.huiliu("pii", "approve", "resident_registry", "--by", "张科长", "--reason", "再次")
    assert again.returncode == 1 and "no PII approval pending" in again.stderr


def test_a_rejected_batch_goes_to_quarantine_and_the_run_fails_clearly(
    held_run: AirflowEnv, huiliu_home: Settings
) -> None:
    run = start_run(held_run)
    pending = wait_for_approval(held_run, run)
    missing_reason = held_run.huiliu("pii", "reject", "resident_registry", "--by", "张科长", "--reason", " ")
    assert missing_reason.returncode == 1 and "reason" in missing_reason.stderr
    answer = held_run.huiliu(
        "pii", "reject", "resident_registry", "--by", "张科长", "--reason", "未声明的手机号不得入库"
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert pending["batch_id"] in answer.stdout

    output = finish(run)
    assert run.returncode == 1
    assert "is held in quarantine.resident_registry" in output, output[-3000:]
    assert "personal information rejected by 张科长" in output
    assert "未声明的手机号不得入库" not in output  # free text stays with the decision, out of messages
    (decision,) = decision_history("resident_registry")
    assert (decision.status, decision.decided_by) == ("rejected", "张科长")
    assert len(_landed_ids(huiliu_home, "resident_registry", "id_number", "quarantine")) == 40
    assert _landed_ids(huiliu_home, "resident_registry", "id_number", "curated") == []


def answer_in_airflow(
    env: AirflowEnv, pending: dict[str, Any], option: str, params_input: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """Answer the pending approval through Airflow's HITL response handler."""
    command = [sys.executable, "-c", ANSWER_IN_AIRFLOW, pending["dag_id"], pending["run_id"], option]
    return subprocess.run(
        [*command, json.dumps(params_input)], env=env.env, capture_output=True, text=True, timeout=300
    )


def test_an_answer_without_a_reason_is_refused_and_the_batch_stays_pending(
    held_run: AirflowEnv, huiliu_home: Settings
) -> None:
    run = start_run(held_run)
    pending = wait_for_approval(held_run, run)
    for blank in ({"reason": ""}, {"reason": " \u3000\t"}, {}):
        sent = answer_in_airflow(held_run, pending, "Reject", blank)
        assert sent.returncode == 0, sent.stdout[-2000:] + sent.stderr[-2000:]
        asked_again = wait_for_approval(held_run, run)
        assert asked_again["batch_id"] == pending["batch_id"]
        (decision,) = decision_history("resident_registry")
        assert decision.status == "pending", blank

    answer = held_run.huiliu(
        "pii", "reject", "resident_registry", "--by", "张科长", "--reason", "未声明的手机号不得入库"
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr

    output = finish(run)
    assert run.returncode == 1, output[-3000:]
    assert output.count("answer refused, asking again") == 3, output[-3000:]
    (decision,) = decision_history("resident_registry")
    assert (decision.status, decision.decided_by) == ("rejected", "张科长")
    assert decision.reason == "未声明的手机号不得入库"
    assert _landed_ids(huiliu_home, "resident_registry", "id_number", "curated") == []
