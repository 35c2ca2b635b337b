"""The ``reconcile_city`` DAG: it parses cheaply, schedules on curated assets, and runs via ``dag.test()``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from huiliu.airflow.environment import configure_airflow_env
from huiliu.errors import ConfigurationError
from huiliu.settings import PROJECT_ROOT
from tests.reconciliation.conftest import CityLake

configure_airflow_env()

from airflow.models import DagBag  # noqa: E402 - needs the environment above
from airflow.sdk import AssetOrTimeSchedule  # noqa: E402

from huiliu.airflow.reconciliation_dag import DAG_ID, build_reconciliation_dag  # noqa: E402

HUILIU = str(Path(sys.executable).with_name("huiliu"))
CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


def test_dag_folder_imports_and_holds_the_reconcile_dag(bag: DagBag) -> None:
    assert bag.import_errors == {}
    dag = bag.dags[DAG_ID]
    assert [t.task_id for t in dag.tasks] == ["reconcile"]
    assert dag.owner not in ("", "airflow") and {"huiliu", "reconciliation"} <= set(dag.tags)
    assert dag.max_active_runs == 1 and dag.catchup is False


def test_a_new_curated_batch_of_any_input_or_the_day_triggers_it(bag: DagBag) -> None:
    dag = bag.dags[DAG_ID]
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    names = {asset.name for asset in dag.timetable.asset_condition.objects}
    assert names == {
        "curated.resident_registry",
        "curated.subsistence_allowance",
        "curated.disability_registry",
        "curated.elderly_care_services",
        "curated.hotline_tickets",
        "curated.grid_events",
    }
    assert type(dag.timetable.asset_condition).__name__ == "AssetAny"


def test_parsing_imports_neither_lake_nor_duckdb() -> None:
    code = (
        "import sys; from huiliu.airflow.reconciliation_dag import build_reconciliation_dag; "
        "build_reconciliation_dag(); "
        "print(sorted(m for m in ('duckdb', 'pyiceberg', 'huiliu.store.db', 'huiliu.reconciliation.runner') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_broken_checks_file_is_refused_at_parse_time() -> None:
    with pytest.raises(
        ConfigurationError, match=r"checks\[0\]\.dataset \(line 13\): unknown dataset 'housing_subsidy'"
    ):
        build_reconciliation_dag(CASES / "unknown_dataset.yaml")


@pytest.mark.airflow
@pytest.mark.xdist_group("airflow")
def test_dag_test_reconciles_the_city(city_lake: CityLake, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
    env.update(
        {
            "HUILIU_HOME": str(city_lake.home),
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    command = [HUILIU, "dags", "run", DAG_ID, "--logical-date", "2026-10-16T03:00:00"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{DAG_ID}: success" in run.stdout
    report = city_lake.home / "reports" / "reconciliation" / "20261016T030000.json"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["totals"]["flagged"] > 0 and data["totals"]["checks"] == len(data["checks"])
