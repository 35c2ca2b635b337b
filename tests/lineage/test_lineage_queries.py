"""Upstream, downstream and run history over a small chain: source → landing → curated → delivery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from huiliu.errors import SourceUnavailableError
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import build_run_event, new_run_id
from huiliu.lineage.naming import DatasetRef, job_name, lake_dataset, source_dataset
from huiliu.lineage.queries import downstream, runs_of_job, upstream

SOURCE = source_dataset("postgresql://reader:pw@db.gongan.local/population", "residents")
OTHER_SOURCE = source_dataset("mysql+pymysql://r:pw@db.minzheng.local/welfare", "allowance")
JANUARY = datetime(2025, 1, 10, 2, 0, tzinfo=UTC)
MARCH = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


def _run(
    emitter: LineageEmitter,
    job: str,
    inputs: list[DatasetRef],
    outputs: list[DatasetRef],
    when: datetime,
    final: str = "COMPLETE",
) -> str:
    run_id = new_run_id()
    for event_type in ("START", final):
        emitter.emit(
            build_run_event(
                event_type,
                run_id=run_id,
                job=job,
                namespace="huiliu",
                inputs=inputs,
                outputs=outputs,
                event_time=when,
            )
        )
    return run_id


@pytest.fixture
def chain(emitter: LineageEmitter) -> dict[str, DatasetRef]:
    landing = lake_dataset("landing.resident_registry")
    curated = lake_dataset("curated.resident_registry")
    welfare = lake_dataset("landing.subsistence_allowance")
    delivery = DatasetRef("file://worker-01", "/srv/returns/350102/resident_registry_2025-03.xlsx")
    never = DatasetRef("file://worker-01", "/srv/returns/350103/failed.xlsx")
    _run(emitter, job_name("resident_registry", "land"), [SOURCE], [landing], JANUARY)
    _run(emitter, job_name("resident_registry", "curate"), [landing], [curated], JANUARY)
    _run(emitter, job_name("subsistence_allowance", "land"), [OTHER_SOURCE], [welfare], JANUARY)
    _run(emitter, job_name("resident_registry", "deliver", "return"), [curated, welfare], [delivery], MARCH)
    _run(emitter, job_name("resident_registry", "deliver", "return"), [curated], [never], MARCH, final="FAIL")
    # a job that reads and rewrites its own output (a merge) must not loop
    _run(emitter, job_name("resident_registry", "compact"), [curated], [curated], MARCH)
    return {"landing": landing, "curated": curated, "welfare": welfare, "delivery": delivery}


def test_downstream_of_a_source(chain: dict[str, DatasetRef]) -> None:
    assert downstream(SOURCE.namespace, SOURCE.name) == [
        chain["landing"],
        chain["curated"],
        chain["delivery"],
    ]


def test_downstream_since_keeps_only_later_writes(chain: dict[str, DatasetRef]) -> None:
    since = datetime(2025, 2, 1)
    assert downstream(SOURCE.namespace, SOURCE.name, since=since) == [chain["curated"], chain["delivery"]]
    assert downstream(SOURCE.namespace, SOURCE.name, since=datetime(2025, 4, 1, tzinfo=UTC)) == []


def test_upstream_of_a_delivery(chain: dict[str, DatasetRef]) -> None:
    delivery = chain["delivery"]
    found = upstream(delivery.namespace, delivery.name)
    assert set(found) == {chain["curated"], chain["welfare"], chain["landing"], OTHER_SOURCE, SOURCE}
    assert found[:2] == sorted([chain["curated"], chain["welfare"]], key=lambda r: (r.namespace, r.name))
    assert upstream(SOURCE.namespace, SOURCE.name) == []


def test_failed_runs_are_not_lineage(chain: dict[str, DatasetRef]) -> None:
    assert upstream("file://worker-01", "/srv/returns/350103/failed.xlsx") == []
    assert DatasetRef("file://worker-01", "/srv/returns/350103/failed.xlsx") not in downstream(
        SOURCE.namespace, SOURCE.name
    )


def test_runs_of_job(chain: dict[str, DatasetRef]) -> None:
    runs = runs_of_job(job_name("resident_registry", "deliver", "return"))
    assert [r["state"] for r in runs] == ["COMPLETE", "FAIL"]
    first = runs[0]
    assert first["started_at"] == MARCH and first["ended_at"] == MARCH
    assert first["inputs"] == [
        {"namespace": chain["curated"].namespace, "name": chain["curated"].name},
        {"namespace": chain["welfare"].namespace, "name": chain["welfare"].name},
    ]
    assert first["outputs"] == [{"namespace": "file://worker-01", "name": chain["delivery"].name}]
    assert first["error"] is None and first["parent_run_id"] is None
    assert runs_of_job(job_name("resident_registry", "land"), namespace="elsewhere") == []
    assert runs_of_job("no.such.job") == []


def test_runs_of_job_reports_running_and_failed_runs(emitter: LineageEmitter) -> None:
    parent = ("huiliu", "ingest_resident_registry", new_run_id())
    job = job_name("resident_registry", "land")
    with pytest.raises(SourceUnavailableError), track_run(emitter, job=job, inputs=[SOURCE], parent=parent):
        raise SourceUnavailableError("source database is read-only")
    running = new_run_id()
    emitter.emit(
        build_run_event("START", run_id=running, job=job, namespace="huiliu", inputs=[SOURCE], outputs=[])
    )
    failed, started = runs_of_job(job)
    assert failed["state"] == "FAIL"
    assert failed["error"] == "SourceUnavailableError: source database is read-only"
    assert failed["parent_run_id"] == parent[2]
    assert failed["ended_at"] is not None
    assert (started["run_id"], started["state"], started["ended_at"]) == (running, "START", None)
