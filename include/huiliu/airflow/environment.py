"""Point Airflow at huiliu's embedded home before Airflow is imported."""

from __future__ import annotations

import os

from huiliu.settings import PROJECT_ROOT, Settings, get_settings


def configure_airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """Default Airflow's home, DAG folder and examples for the embedded set-up.

    Values already in the environment win, so production settings are never overridden.
    """
    settings = settings or get_settings()
    defaults = {
        "AIRFLOW_HOME": str(settings.home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in defaults}
