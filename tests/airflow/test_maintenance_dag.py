"""The daily lake_maintenance DAG: well-formed, and run by Airflow it removes what the library would."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.airflow.conftest import AirflowEnv
from tests.lake.test_writer import SCHEMA, _batch

from huiliu.airflow.environment import configure_airflow_env
from huiliu.lake.catalog import lake_table
from huiliu.lake.maintenance import remove_orphans
from huiliu.lake.writer import StagedBatchWriter
from huiliu.settings import PROJECT_ROOT, Settings

configure_airflow_env()

from airflow.dag_processing.dagbag import DagBag  # noqa: E402 - needs the environment above

TABLE = "landing.t_maintained"


def test_the_maintenance_dag_is_daily_owned_retried_and_time_limited() -> None:
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "maintenance.py"))

    assert bag.import_errors == {}
    dag = bag.dags["lake_maintenance"]
    assert dag.owner not in ("", "airflow") and "maintenance" in dag.tags
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.timetable.expression.endswith(" * * *")  # once a day
    for task in dag.tasks:
        assert task.retries >= 1 and task.execution_timeout is not None


def _strand(settings: Settings, batch_id: str, hours_old: float) -> list[Path]:
    table = lake_table(TABLE, SCHEMA, settings)
    with StagedBatchWriter(table, "b1", SCHEMA) as committed:
        committed.write(_batch("b1", ["1"]))
        committed.commit()
    writer = StagedBatchWriter(table, batch_id, SCHEMA)
    writer.write(_batch(batch_id, ["2"]))
    writer._close_file()
    paths = [Path(p.removeprefix("file://")) for p in writer.staged_files]
    then = time.time() - hours_old * 3600
    for path in paths:
        os.utime(path, (then, then))
    return paths


@pytest.mark.airflow
@pytest.mark.xdist_group("airflow")
def test_a_dag_run_removes_what_the_library_finds(huiliu_home: Settings, airflow_env: AirflowEnv) -> None:
    old = _strand(huiliu_home, "killed", hours_old=48)
    young = _strand(huiliu_home, "running", hours_old=1)
    expected = remove_orphans(dry_run=True, settings=huiliu_home)

    run = airflow_env.huiliu("dags", "run", "lake_maintenance")

    assert run.returncode == 0, run.stdout + run.stderr
    assert "lake_maintenance: success" in run.stdout
    assert [f.path for t in expected.tables for f in t.files] == [f"data/killed/{p.name}" for p in old]
    assert not any(p.exists() for p in old) and all(p.exists() for p in young)
    assert sorted(lake_table(TABLE, settings=huiliu_home).scan().to_arrow()["id"].to_pylist()) == ["1"]
