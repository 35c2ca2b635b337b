"""DAGs run by Airflow itself (``dag.test()`` via ``huiliu dags run``) on real metadata databases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.airflow.conftest import AirflowEnv
from tests.conftest import _clear_caches
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb

from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.settings import Settings, get_settings
from huiliu.store.db import session_scope
from huiliu.store.models import LineageEventRecord

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]


# an hour before the logical dates below (in Asia/Shanghai wall time), so the source is fresh
RECENT = datetime(2026, 11, 1, 7, 0)


def _landed_ids(settings: Settings, dataset: str, column: str, zone: str = "landing") -> list[str]:
    return sorted(lake_table(f"{zone}.{dataset}", settings=settings).scan().to_arrow()[column].to_pylist())


def residents(source: SourceDb, settings: Settings, rows: int, **changes: object) -> None:
    """Valid residents (checksummed IDs, real communities) in the source table."""
    with source.engine.begin() as conn:
        source.table().create(conn)
    community = a_community(settings)
    insert(source, [person(i, community, **{"updated_at": RECENT, **changes}) for i in range(rows)])


def test_resident_dag_lands_and_a_rerun_replaces(
    airflow_env: AirflowEnv, sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    residents(sqlite_source, huiliu_home, 200)
    airflow_env.env["HUILIU_SOURCE_GONGAN"] = sqlite_source.url
    for _ in range(2):
        run = airflow_env.huiliu(
            "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "ingest_resident_registry: success" in run.stdout
    ids = _landed_ids(huiliu_home, "resident_registry", "id_number")
    assert len(ids) == 200 and len(set(ids)) == 200
    assert _landed_ids(huiliu_home, "resident_registry", "id_number", "curated") == ids
    with session_scope() as session:
        events = session.query(LineageEventRecord).filter_by(job_name="ingest.resident_registry.land").all()
    assert sorted(e.event_type for e in events) == ["COMPLETE", "COMPLETE", "START", "START"]
    parent = events[0].payload["run"]["facets"]["parent"]
    assert parent["job"]["name"] == "ingest_resident_registry"
    with session_scope() as session:
        for step in ("freshness", "data_docs"):
            kinds = [
                e.event_type
                for e in session.query(LineageEventRecord).filter_by(
                    job_name=f"ingest.resident_registry.{step}"
                )
            ]
            assert sorted(kinds) == ["COMPLETE", "COMPLETE", "START", "START"], step


GBK_CSV = (
    "某市失业保险待遇发放明细（2026年10月）\n"
    "业务流水号,身份证号,姓名,参保状态,领取月数,月发放金额,起始日期,社区代码\n"
    'R0001,520102199001011234,张三,参保,3,"1,520.50",2026-08-01,520102016001\n'
    "R0002,520102199202023456,李四,参保,6,1680.00,2026/5/1,520102016002\n"
)


def test_file_drop_dag_lands_good_files_and_rejects_bad_ones(
    airflow_env: AirflowEnv, huiliu_home: Settings, tmp_path: Path
) -> None:
    drop = tmp_path / "renshe_drop"
    drop.mkdir()
    (drop / "unemployment_benefit_202610.csv").write_bytes(GBK_CSV.encode("gbk"))
    truncated = GBK_CSV.encode("gbk") + "R0003,520102199303035678,王五,参保\n".encode("gbk")
    (drop / "unemployment_benefit_202611.csv").write_bytes(truncated)
    airflow_env.env["HUILIU_SOURCE_RENSHE_DROP"] = str(drop)
    run = airflow_env.huiliu("dags", "run", "ingest_unemployment_benefit")
    assert run.returncode == 1, run.stdout[-2000:]
    assert _landed_ids(huiliu_home, "unemployment_benefit", "record_id") == ["R0001", "R0002"]
    # the good file was gated although its drop-mate was rejected (its IDs fail their checksum)
    assert _landed_ids(huiliu_home, "unemployment_benefit", "record_id", "quarantine") == ["R0001", "R0002"]
    assert (drop / "processed" / "unemployment_benefit_202610.csv").exists()
    assert (drop / "rejected" / "unemployment_benefit_202611.csv").exists()
    reason = (drop / "rejected" / "unemployment_benefit_202611.csv.reason.txt").read_text(encoding="utf-8")
    assert "第 5 行" in reason or "line 5" in reason


@pytest.mark.services
def test_dag_runs_with_airflow_metadata_in_postgresql(
    airflow_env: AirflowEnv, sqlite_source: SourceDb, postgres_url: str, huiliu_home: Settings
) -> None:
    residents(sqlite_source, huiliu_home, 30)
    airflow_env.env["HUILIU_SOURCE_GONGAN"] = sqlite_source.url
    airflow_env.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = postgres_url
    run = airflow_env.huiliu(
        "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with sa.create_engine(postgres_url).connect() as conn:
        states = (
            conn.execute(sa.text("SELECT state FROM dag_run WHERE dag_id = 'ingest_resident_registry'"))
            .scalars()
            .all()
        )
        task_states = (
            conn.execute(sa.text("SELECT state FROM task_instance WHERE dag_id = 'ingest_resident_registry'"))
            .scalars()
            .all()
        )
    # every task succeeds but pii_approval, which the pii_gate branch skips (nothing needed approval)
    assert states == ["success"] and len(task_states) >= 7
    assert sorted(task_states) == ["skipped"] + ["success"] * (len(task_states) - 1)
    assert len(_landed_ids(huiliu_home, "resident_registry", "id_number")) == 30


def test_parity_landing_through_airflow_equals_landing_directly(
    airflow_env: AirflowEnv,
    sqlite_source: SourceDb,
    huiliu_home: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The DAG adds orchestration only: the rows it lands are exactly what the library lands alone."""
    residents(sqlite_source, huiliu_home, 150)
    airflow_env.env["HUILIU_SOURCE_GONGAN"] = sqlite_source.url
    run = airflow_env.huiliu(
        "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    via_airflow = lake_table("landing.resident_registry", settings=huiliu_home).scan().to_arrow()

    monkeypatch.setenv("HUILIU_HOME", str(tmp_path / "direct"))
    _clear_caches()
    result = land_dataset(load_contract("resident_registry"), "20261101T000000")
    direct = lake_table("landing.resident_registry", settings=get_settings()).scan().to_arrow()
    data_columns = [c for c in direct.column_names if not c.startswith("_")]
    assert (
        via_airflow.select(data_columns)
        .sort_by("id_number")
        .equals(direct.select(data_columns).sort_by("id_number"))
    )
    assert set(via_airflow["_batch_id"].to_pylist()) == {result.batch_id}


def test_a_held_batch_fails_the_run_and_reaches_no_curated_row(
    airflow_env: AirflowEnv, sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    residents(sqlite_source, huiliu_home, 40, community_code="520102999999")
    airflow_env.env["HUILIU_SOURCE_GONGAN"] = sqlite_source.url
    run = airflow_env.huiliu(
        "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"
    )
    assert run.returncode == 1
    assert "is held in quarantine.resident_registry" in run.stdout + run.stderr
    assert len(_landed_ids(huiliu_home, "resident_registry", "id_number", "quarantine")) == 40
    assert _landed_ids(huiliu_home, "resident_registry", "id_number", "curated") == []


def test_a_stale_source_fails_the_freshness_task_but_its_rows_are_gated(
    airflow_env: AirflowEnv, sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    residents(sqlite_source, huiliu_home, 25, updated_at=datetime(2026, 10, 20, 9, 0))
    airflow_env.env["HUILIU_SOURCE_GONGAN"] = sqlite_source.url
    run = airflow_env.huiliu(
        "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"
    )
    assert run.returncode == 1
    assert "stale source — dataset resident_registry" in run.stdout + run.stderr
    assert len(_landed_ids(huiliu_home, "resident_registry", "id_number", "curated")) == 25
    with session_scope() as session:
        (failed,) = [
            e.payload
            for e in session.query(LineageEventRecord).filter_by(
                job_name="ingest.resident_registry.freshness"
            )
            if e.event_type == "FAIL"
        ]
    assert "stale source" in failed["run"]["facets"]["errorMessage"]["message"]
