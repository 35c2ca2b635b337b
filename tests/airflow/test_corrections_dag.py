"""The corrections_intake DAG: well-formed, and run by Airflow it files what units dropped in the inbox."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from tests.airflow.conftest import AirflowEnv
from tests.helpers.deliveries import COMMUNITIES, approved_grant, registry_with_a_rare_resident

from huiliu.airflow.environment import configure_airflow_env
from huiliu.contracts import load_contract
from huiliu.returnflow.correction_sheet import fill_correction
from huiliu.returnflow.corrections import list_corrections
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import DeliveryStatus, deliveries
from huiliu.settings import PROJECT_ROOT, Settings

configure_airflow_env()

from airflow.dag_processing.dagbag import DagBag  # noqa: E402 - needs the environment above

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
UNIT = COMMUNITIES[0]


def test_the_intake_dag_sweeps_every_quarter_hour_owned_retried_and_time_limited() -> None:
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "corrections.py"))

    assert bag.import_errors == {}
    dag = bag.dags["corrections_intake"]
    assert dag.owner not in ("", "airflow") and {"returnflow", "corrections"} <= set(dag.tags)
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.timetable.expression == "*/15 * * * *"
    for task in dag.tasks:
        assert task.retries >= 1 and task.execution_timeout is not None


def _dropped_workbook(settings: Settings, name: str, row: int, age_seconds: float) -> Path:
    delivered = next(
        d for d in deliveries(unit_code=UNIT) if d.unit_code == UNIT and d.status is DeliveryStatus.DELIVERED
    )
    book = openpyxl.load_workbook(Path(delivered.outbox_path or "") / "resident_registry.xlsx")
    fill_correction(book, 0, row=row, field="status", value="迁出", reason="已迁出本社区")
    target = settings.inbox_path / UNIT / name
    target.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    book.save(out)
    target.write_bytes(out.getvalue())
    then = time.time() - age_seconds
    os.utime(target, (then, then))
    return target


@pytest.mark.airflow
@pytest.mark.xdist_group("airflow")
def test_a_dag_run_files_settled_workbooks_and_leaves_fresh_ones(
    huiliu_home: Settings, airflow_env: AirflowEnv
) -> None:
    contract = registry_with_a_rare_resident(NOW)
    approved_grant(contract, UNIT, NOW)
    deliver(load_contract(contract.name), settings=huiliu_home)
    settled = _dropped_workbook(huiliu_home, "settled.xlsx", row=3, age_seconds=600)
    fresh = _dropped_workbook(huiliu_home, "fresh.xlsx", row=4, age_seconds=-3600)  # still changing
    refused = _dropped_workbook(huiliu_home, "refused.xlsx", row=999, age_seconds=600)

    airflow_env.env["HUILIU_INBOX_SETTLE_SECONDS"] = "5"  # the test's files were all written just now
    time.sleep(6)
    run = airflow_env.huiliu("dags", "run", "corrections_intake")

    assert run.returncode == 0, run.stdout + run.stderr
    assert "corrections_intake: success" in run.stdout
    assert not settled.exists() and (settled.parent / "done" / settled.name).exists()
    assert fresh.exists()  # a copy may still be under way: the next sweep takes it
    problems = json.loads((refused.parent / "refused" / "refused.xlsx.problems.json").read_text("utf-8"))
    assert problems["problems"][0]["field"] == "row"
    assert [(c.row, c.field, c.filed_by) for c in list_corrections(unit_code=UNIT)] == [
        (3, "status", f"inbox:{UNIT}")
    ]
