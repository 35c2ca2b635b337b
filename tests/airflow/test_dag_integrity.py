"""Every DAG imports cleanly, is owned, retried and tagged; a bad contract is an import error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from huiliu.airflow.environment import configure_airflow_env
from huiliu.settings import PROJECT_ROOT, Settings, reset_settings

configure_airflow_env()

from airflow.dag_processing.dagbag import DagBag  # noqa: E402 - needs the environment above

DAG_FILE = PROJECT_ROOT / "dags" / "ingestion.py"


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


def test_dags_import_without_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert len([d for d in bag.dag_ids if d.startswith("ingest_")]) == 9


@pytest.mark.parametrize(
    "dag_id",
    [
        "ingest_resident_registry",
        "ingest_subsistence_allowance",
        "ingest_disability_registry",
        "ingest_elderly_care_services",
        "ingest_unemployment_benefit",
        "ingest_hotline_tickets",
        "ingest_grid_events",
        "ingest_volunteer_points",
        "ingest_business_registrations",
    ],
)
def test_each_dag_is_owned_retried_and_tagged(bag: DagBag, dag_id: str) -> None:
    dag = bag.dags[dag_id]
    assert dag.owner not in ("", "airflow")
    assert {"huiliu", "ingest"} <= set(dag.tags)
    land = dag.get_task("land")
    assert land.retries >= 1
    assert [a.name for a in land.outlets] == [f"landing.{dag_id.removeprefix('ingest_')}"]
    assert dag.max_active_runs == 1 and dag.catchup is False


def test_owner_is_the_department(bag: DagBag) -> None:
    assert bag.dags["ingest_resident_registry"].owner == "gongan"
    assert (
        bag.dags["ingest_hotline_tickets"].schedule == "@hourly"
        or str(bag.dags["ingest_hotline_tickets"].timetable.summary) == "@hourly"
    )


def test_broken_contract_is_refused_at_parse_time(
    huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    data = yaml.safe_load((PROJECT_ROOT / "include/contracts/grid_events.yaml").read_text(encoding="utf-8"))
    data["extraction"] = {"mode": "incremental"}
    (contracts / "grid_events.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HUILIU_CONTRACTS_DIR", str(contracts))
    reset_settings()
    broken = DagBag(dag_folder=str(DAG_FILE))
    assert broken.dags == {}
    (error,) = broken.import_errors.values()
    assert "grid_events.yaml: extraction" in error
    assert "incremental extraction needs `cursor_column`" in error


def test_each_ingestion_dag_gates_pii_then_quality_and_checks_freshness(bag: DagBag) -> None:
    for dag_id in [d for d in bag.dag_ids if d.startswith("ingest_")]:
        dag = bag.dags[dag_id]
        pii_gate = dag.get_task("pii_gate")
        assert pii_gate.upstream_task_ids == {"land"} and pii_gate.trigger_rule == "all_done"
        approval = dag.get_task("pii_approval")
        assert approval.upstream_task_ids == {"pii_gate"} and approval.options == ["Approve", "Reject"]
        assert "reason" in approval.params and "pii_gate" in approval.body
        decision = dag.get_task("pii_decision")
        assert decision.upstream_task_ids == {"pii_gate", "pii_approval"}
        assert decision.trigger_rule == "none_failed_min_one_success"
        gate = dag.get_task("quality_gate")
        assert gate.upstream_task_ids == {"land", "pii_decision"}
        assert [a.name for a in gate.outlets] == [f"curated.{dag_id.removeprefix('ingest_')}"]
        assert dag.get_task("data_docs").upstream_task_ids == {"quality_gate"}
        assert dag.get_task("data_docs").trigger_rule == "all_done"
        freshness = dag.get_task("freshness")
        assert freshness.upstream_task_ids == {"land"} and freshness.trigger_rule == "all_done"


def test_each_returned_dataset_is_delivered_when_its_curated_table_changes(bag: DagBag) -> None:
    delivered = sorted(d.removeprefix("deliver_") for d in bag.dag_ids if d.startswith("deliver_"))
    assert delivered == [
        "business_registrations",
        "disability_registry",
        "elderly_care_services",
        "grid_events",
        "hotline_tickets",
        "resident_registry",
        "subsistence_allowance",
        "unemployment_benefit",
        "volunteer_points",
    ]
    for name in delivered:
        dag = bag.dags[f"deliver_{name}"]
        assert [a.name for a in dag.timetable.asset_condition.objects] == [f"curated.{name}"]
        assert dag.owner not in ("", "airflow") and {"huiliu", "deliver"} <= set(dag.tags)
        approval = dag.get_task("release_approval")
        assert approval.upstream_task_ids == {"deliver"} and approval.options == ["Release", "Withhold"]
        assert "reason" in approval.params and "release_body" in approval.body
        decision = dag.get_task("release_decision")
        assert decision.upstream_task_ids == {"deliver", "release_approval"}
        assert decision.trigger_rule == "none_failed_min_one_success"


def test_a_failure_anywhere_fails_the_run(bag: DagBag) -> None:
    dag = bag.dags["ingest_volunteer_points"]
    outcome = dag.get_task("outcome")
    assert outcome.trigger_rule == "none_failed"
    assert outcome.upstream_task_ids == {t.task_id for t in dag.tasks} - {"outcome"}
    assert [t.task_id for t in dag.leaves] == ["outcome"]


def test_broken_quality_suite_is_refused_at_parse_time(
    huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suites = tmp_path / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", suites)
    body = json.loads((suites / "resident_registry.json").read_text(encoding="utf-8"))
    body["expectations"][1]["kwargs"]["column"] = "no_such_column"
    (suites / "resident_registry.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("HUILIU_EXPECTATIONS_DIR", str(suites))
    reset_settings()
    broken = DagBag(dag_folder=str(DAG_FILE))
    assert broken.dags == {}
    (error,) = broken.import_errors.values()
    assert "resident_registry.json" in error
    assert "'no_such_column' is not a column of the contract" in error


def test_parsing_the_dags_imports_no_heavy_library() -> None:
    """DAG files are parsed often: checking contracts and suites must not load GX, pandas or pyiceberg."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from huiliu.airflow.environment import configure_airflow_env\n"
        "configure_airflow_env()\n"
        "from huiliu.airflow.dag_factory import build_ingestion_dags\n"
        "assert len(build_ingestion_dags()) == 9\n"
        "heavy = ('great_expectations', 'pandas', 'pyiceberg', 'presidio_analyzer')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_task_that_works_has_an_execution_timeout(bag: DagBag) -> None:
    """A stalled source or lake cannot hold a worker for ever; only the approval, which waits for a
    person (deferred, no worker held), has none."""
    unbounded = [
        f"{dag_id}.{task.task_id}"
        for dag_id, dag in bag.dags.items()
        for task in dag.tasks
        if task.execution_timeout is None and task.task_id not in ("pii_approval", "release_approval")
    ]
    assert unbounded == []
    approvals = [
        d.get_task(t)
        for d in bag.dags.values()
        for t in ("pii_approval", "release_approval")
        if t in d.task_ids
    ]
    assert len(approvals) > 9 and all(a.execution_timeout is None for a in approvals)


@pytest.mark.parametrize("reason", [None, "", "   ", "\t\n"])
def test_the_approval_form_cannot_be_answered_without_a_reason(bag: DagBag, reason: str | None) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    approval = bag.dags["ingest_resident_registry"].get_task("pii_approval")
    schema = approval.serialized_params["reason"]["schema"]
    assert schema["type"] == "string" and schema["minLength"] == 1  # the form marks it required
    answer = {} if reason is None else {"reason": reason}
    with pytest.raises((ParamValidationError, ValueError)):
        approval.validate_params_input(answer)


def test_the_approval_form_takes_a_written_reason(bag: DagBag) -> None:
    approval = bag.dags["ingest_resident_registry"].get_task("pii_approval")
    approval.validate_params_input({"reason": "身份证号列为办理业务所必需"})
    assert approval.params["reason"] == "身份证号列为办理业务所必需"
