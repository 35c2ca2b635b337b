"""The corrections_intake DAG: every 15 minutes, file the 纠错 workbooks units dropped in their inbox."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from huiliu.airflow.housekeeping import housekeeping_dag
from huiliu.airflow.records import CorrectionsIntake

DAG_ID = "corrections_intake"
SCHEDULE = "*/15 * * * *"


def take_in_task() -> CorrectionsIntake:
    """File every settled workbook of the units' inbox folders (unchanged for the settings'
    ``inbox_settle_seconds``: a copy may still be under way); report what was filed and refused."""
    from huiliu.contracts import load_contract
    from huiliu.returnflow.corrections_inbox import take_in
    from huiliu.settings import get_settings

    settings = get_settings()
    intake = take_in(settings, load_contract, settle_seconds=settings.inbox_settle_seconds)
    return {
        "workbooks_filed": len(intake.filed),
        "corrections": sum(len(ids) for ids in intake.filed.values()),
        "refused": len(intake.refused),
        "waiting": len(intake.waiting),
        "filed": intake.filed,
        "refused_files": intake.refused,
    }


def build_corrections_dag() -> DAG:
    return housekeeping_dag(
        DAG_ID,
        description="纠错回收: file the correction workbooks units dropped in their inbox folders",
        schedule=SCHEDULE,
        tags=["returnflow", "corrections"],
        retry_delay=timedelta(minutes=5),
        execution_timeout=timedelta(minutes=30),
        doc_md="Files the 纠错 sheet of every workbook in `inbox/<unit_code>/` as that unit's corrections "
        "(moved to `done/`), or moves it to `refused/` with `<name>.problems.json` naming each problem in "
        "Chinese and English. A workbook changed in the last minute waits for the next sweep. The owning "
        "department's steward then decides each correction (`huiliu corrections accept|reject`).",
        task_id="take_in_corrections",
        run=take_in_task,
    )
