"""Run DAGs locally through Airflow's own ``dag.test()`` against a real metadata database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from huiliu.airflow.environment import configure_airflow_env
from huiliu.errors import ConfigurationError


def migrate_metadata_db() -> None:
    """Create or upgrade Airflow's metadata database (idempotent)."""
    configure_airflow_env()
    airflow_bin = Path(sys.executable).with_name("airflow")
    subprocess.run(
        [str(airflow_bin), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy()
    )


def run_dag(dag_id: str, logical_date: datetime | None = None) -> str:
    """Run one DAG of the DAG folder with ``dag.test()``; return the run's final state.

    Raises:
        ConfigurationError: a DAG file does not import, or there is no DAG of that id.
    """
    configure_airflow_env()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        errors = "; ".join(f"{f}: {e}" for f, e in bag.import_errors.items())
        raise ConfigurationError(f"DAG 文件无法导入 / DAG files do not import: {errors}")
    dag = bag.dags.get(dag_id)
    if dag is None:
        folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
        raise ConfigurationError(
            f"{folder} 中没有 DAG {dag_id!r}，可用 `huiliu dags list` 查看 / "
            f"no DAG {dag_id!r} in {folder}; list them with `huiliu dags list`"
        )
    for task in dag.tasks:
        task.retries = 0  # a local run reports a failure at once instead of waiting out retry delays
    run = dag.test(logical_date=logical_date)
    return str(run.state)
