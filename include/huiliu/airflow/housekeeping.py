"""The shape every housekeeping DAG of the data bureau shares: one task on a cron schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, CronTriggerTimetable, task

from huiliu.airflow.records import MULTIPLE_OUTPUTS

OWNER = "data-bureau"


def housekeeping_dag(
    dag_id: str,
    *,
    description: str,
    schedule: str,
    tags: list[str],
    retry_delay: timedelta,
    execution_timeout: timedelta,
    doc_md: str,
    task_id: str,
    run: Callable[[], Any],
) -> DAG:
    """A DAG owned by the bureau that runs ``run`` as its one task on ``schedule`` (a cron expression
    in the city's time zone): no catch-up, one run at a time, one retry; its report is the task's
    return value."""
    from huiliu.settings import get_settings

    with DAG(
        dag_id=dag_id,
        description=description,
        schedule=CronTriggerTimetable(schedule, timezone=get_settings().timezone),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["huiliu", *tags],
        default_args={
            "owner": OWNER,
            "retries": 1,
            "retry_delay": retry_delay,
            "execution_timeout": execution_timeout,
        },
        doc_md=doc_md,
    ) as dag:
        task(task_id=task_id, multiple_outputs=MULTIPLE_OUTPUTS)(run)()
    return dag
