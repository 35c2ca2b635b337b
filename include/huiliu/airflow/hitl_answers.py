"""Answer Airflow human-in-the-loop tasks without the UI, the way the Required Actions UI does.

The HITL REST route's own handler (``update_hitl_detail``) runs on a session of Airflow's metadata
database with the person answering as the responding user: it records ``responded_by``,
``responded_at``, ``chosen_options`` and ``params_input`` and resumes the task. Like the REST API,
each answer is also written to Airflow's audit log. Used by ``huiliu pii approve|reject`` and
``huiliu deliveries release|withhold``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from huiliu.airflow.environment import configure_airflow_env
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

# Airflow is imported only after configure_airflow_env(), so that its logging set-up sees the
# embedded defaults and keeps stdout clean for --json output.


def awaiting_runs(task_id: str) -> set[tuple[str, str]]:
    """(dag id, run id) of every ``task_id`` task waiting for an answer."""
    configure_airflow_env()
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    query = (
        select(TaskInstance.dag_id, TaskInstance.run_id)
        .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
        .where(TaskInstance.task_id == task_id)
        .where(TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
    )
    try:
        with create_session() as session:
            return {(dag_id, run_id) for dag_id, run_id in session.execute(query).all()}
    except OperationalError:  # no metadata database yet: nothing can be waiting
        return set()


def is_running(dag_id: str, run_id: str) -> bool:
    """Whether the DAG run is still queued or running (False when unknown or no metadata database)."""
    configure_airflow_env()
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    query = select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    try:
        with create_session() as session:
            state = session.execute(query).scalar_one_or_none()
    except OperationalError:
        return False
    return state in (DagRunState.QUEUED, DagRunState.RUNNING)


def _responder(name: str) -> BaseUser:
    """The responding user, as the API's auth layer would hand it to the route."""
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

    class Responder(BaseUser):
        def get_id(self) -> str:
            return name

        def get_name(self) -> str:
            return name

    return Responder()


def answer(
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    option: str,
    params: dict[str, Any],
    by: str,
    via: str,
    error: type[HuiliuError],
) -> None:
    """Answer a waiting HITL task as ``by`` with one option and the form's fields.

    Raises:
        error: Airflow refused the answer (the task is not waiting, the option is unknown …).
    """
    configure_airflow_env()
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
    from airflow.models.log import Log
    from airflow.utils.session import create_session
    from fastapi import HTTPException

    payload = UpdateHITLDetailPayload(chosen_options=[option], params_input=params)
    answered = {"chosen_options": [option], "params_input": params, "method": "PATCH", "via": via}
    extra = json.dumps(answered, ensure_ascii=False)
    try:
        with create_session() as session:
            update_hitl_detail(
                dag_id=dag_id,
                dag_run_id=run_id,
                task_id=task_id,
                update_hitl_detail_payload=payload,
                user=_responder(by),
                session=session,
                map_index=-1,
            )
            session.add(
                Log(
                    event="update_hitl_detail",
                    owner=by,
                    owner_display_name=by,
                    extra=extra,
                    dag_id=dag_id,
                    run_id=run_id,
                    task_id=task_id,
                )
            )
    except HTTPException as exc:
        raise error(f"Airflow refused the answer for {dag_id} run {run_id}: {exc.detail}") from None
