"""Events go into the governance store, and to a backend only when one is configured."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from lineage_spec import SpecValidator
from sqlalchemy import select

from huiliu.errors import SchemaDriftError
from huiliu.lineage.emitter import LineageEmitter, backend_configured, track_run
from huiliu.lineage.events import build_run_event, new_run_id, output_statistics_facet
from huiliu.lineage.naming import DatasetRef, job_name, lake_dataset, source_dataset
from huiliu.settings import Settings
from huiliu.store.db import session_scope
from huiliu.store.models import LineageDatasetEdge, LineageEventRecord

SOURCE = source_dataset("postgresql://reader:pw@db.gongan.local/population", "residents")
JOB = job_name("resident_registry", "land")
SENTINEL = "PAYLOAD-SENTINEL-户籍"


def stored() -> list[LineageEventRecord]:
    with session_scope() as session:
        return list(session.scalars(select(LineageEventRecord).order_by(LineageEventRecord.id)))


def edges(event_id: int) -> list[tuple[str, str, str]]:
    with session_scope() as session:
        rows = session.scalars(select(LineageDatasetEdge).where(LineageDatasetEdge.event_id == event_id))
        return sorted((e.direction, e.dataset_namespace, e.dataset_name) for e in rows)


def test_emit_stores_the_event_and_one_edge_per_dataset(emitter: LineageEmitter, home: Settings) -> None:
    landing = lake_dataset("landing.resident_registry")
    event = build_run_event(
        "COMPLETE",
        run_id=new_run_id(),
        job=JOB,
        namespace="huiliu",
        inputs=[SOURCE, SOURCE],
        outputs=[landing],
    )
    emitter.emit(event)
    [record] = stored()
    assert (record.event_type, record.run_id, record.job_namespace, record.job_name) == (
        "COMPLETE",
        event.run.runId,
        "huiliu",
        JOB,
    )
    assert record.payload["run"]["runId"] == event.run.runId
    assert record.payload["eventTime"] == event.eventTime
    assert record.event_time.replace(tzinfo=None).isoformat(timespec="milliseconds") == event.eventTime[:23]
    assert edges(record.id) == [
        ("input", SOURCE.namespace, SOURCE.name),
        ("output", landing.namespace, landing.name),
    ]


def test_track_run_emits_start_and_complete(emitter: LineageEmitter, spec: SpecValidator) -> None:
    landing = lake_dataset("landing.resident_registry")
    extra = DatasetRef("file", "/tmp/extra")
    with track_run(emitter, job=JOB, inputs=[SOURCE], outputs=[landing]) as run:
        run.set_output_facets(landing, outputStatistics=output_statistics_facet(rows=42, size_bytes=1024))
        run.add_output(extra)
    start, complete = stored()
    assert [start.event_type, complete.event_type] == ["START", "COMPLETE"]
    assert start.run_id == complete.run_id == run.run_id
    assert start.job_name == JOB and start.job_namespace == "huiliu"
    assert edges(start.id) == [
        ("input", SOURCE.namespace, SOURCE.name),
        ("output", landing.namespace, landing.name),
    ]
    assert edges(complete.id) == sorted(
        [
            ("input", SOURCE.namespace, SOURCE.name),
            ("output", landing.namespace, landing.name),
            ("output", "file", "/tmp/extra"),
        ]
    )
    output = complete.payload["outputs"][0]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 42
    assert "outputStatistics" not in start.payload["outputs"][0].get("outputFacets", {})
    for record in (start, complete):
        spec.validate_event(record.payload)


def test_track_run_with_outputs_known_only_at_the_end(emitter: LineageEmitter) -> None:
    landing = lake_dataset("landing.resident_registry")
    with track_run(emitter, job=JOB, inputs=[SOURCE], outputs=lambda: [landing], run_id=new_run_id()) as run:
        assert run.outputs == []
    start, complete = stored()
    assert start.payload["outputs"] == []
    assert [o["name"] for o in complete.payload["outputs"]] == [landing.name]


def test_track_run_emits_fail_and_reraises(emitter: LineageEmitter, spec: SpecValidator) -> None:
    landing = lake_dataset("landing.resident_registry")
    parent = ("huiliu", "ingest_resident_registry", new_run_id())
    with pytest.raises(SchemaDriftError, match="column mobile"):  # noqa: SIM117
        with track_run(emitter, job=JOB, inputs=[SOURCE], outputs=[landing], parent=parent):
            raise SchemaDriftError("column mobile changed from string to integer")
    start, fail = stored()
    assert [start.event_type, fail.event_type] == ["START", "FAIL"]
    facets = fail.payload["run"]["facets"]
    assert (
        facets["errorMessage"]["message"] == "SchemaDriftError: column mobile changed from string to integer"
    )
    assert facets["errorMessage"]["programmingLanguage"] == "python"
    assert facets["parent"]["run"]["runId"] == parent[2]
    spec.validate_event(fail.payload)
    assert edges(fail.id)[0] == ("input", SOURCE.namespace, SOURCE.name)


def test_an_interrupted_run_is_aborted(emitter: LineageEmitter) -> None:
    with pytest.raises(KeyboardInterrupt), track_run(emitter, job=JOB, inputs=[SOURCE]):
        raise KeyboardInterrupt
    assert [r.event_type for r in stored()] == ["START", "ABORT"]
    assert "errorMessage" not in stored()[1].payload["run"]["facets"]


def test_set_output_facets_by_name_needs_a_known_output(emitter: LineageEmitter) -> None:
    landing = lake_dataset("landing.resident_registry")
    with track_run(emitter, job=JOB, inputs=[], outputs=[landing]) as run:
        run.set_output_facets(landing.name, outputStatistics=output_statistics_facet(1, None))
        with pytest.raises(KeyError):
            run.set_output_facets("no-such-table", outputStatistics=output_statistics_facet(1, None))
    assert stored()[-1].payload["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 1


def test_no_backend_configured_means_store_only(
    home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert not backend_configured()
    assert LineageEmitter().client is None
    (tmp_path / "openlineage.yml").write_text("transport:\n  type: noop\n")
    assert backend_configured()
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert not backend_configured()


@pytest.mark.parametrize(
    "variable", ["OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", "OPENLINEAGE__TRANSPORT__TYPE"]
)
def test_backend_configured_by_environment(
    home: Settings, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "http://127.0.0.1:9")
    assert backend_configured()


def _complete_event() -> object:
    documented = lake_dataset("landing.resident_registry").with_facets(
        note={"_producer": "https://x", "_schemaURL": "https://x/y.json", "text": SENTINEL}
    )
    return build_run_event(
        "COMPLETE", run_id=new_run_id(), job=JOB, namespace="huiliu", inputs=[SOURCE], outputs=[documented]
    )


def test_an_unreachable_backend_does_not_fail_emit(
    home: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__RETRY", '{"total": 0, "connect": 0, "read": 0}')
    emitter = LineageEmitter()
    assert emitter.client is not None
    assert emitter.client.transport.kind == "http"
    event = _complete_event()
    with caplog.at_level(logging.WARNING, logger="huiliu.lineage.emitter"):
        emitter.emit(event)  # type: ignore[arg-type]
    [record] = stored()
    assert record.run_id == event.run.runId  # type: ignore[attr-defined]
    assert SENTINEL in str(record.payload)
    warnings = [r for r in caplog.records if r.name == "huiliu.lineage.emitter"]
    assert len(warnings) == 1
    assert "kept in the governance store" in warnings[0].getMessage()
    assert SENTINEL not in caplog.text
    assert "tags" not in record.payload["run"]["facets"]  # the client's additions stay out of the store


@pytest.mark.slow
def test_an_unreachable_openlineage_url_does_not_fail_emit(
    home: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    emitter = LineageEmitter()
    assert emitter.client is not None
    with caplog.at_level(logging.WARNING, logger="huiliu.lineage.emitter"):
        emitter.emit(_complete_event())  # type: ignore[arg-type]  # the client retries for ~9 s
        began = time.monotonic()
        emitter.emit(_complete_event())  # type: ignore[arg-type]  # sending is paused: stored at once
    assert time.monotonic() - began < 3
    assert len(stored()) == 2
    assert SENTINEL not in caplog.text


def test_a_failing_outputs_callable_fails_the_run(emitter: LineageEmitter) -> None:
    def outputs() -> list[DatasetRef]:
        raise LookupError("snapshot not found")

    with pytest.raises(LookupError), track_run(emitter, job=JOB, inputs=[SOURCE], outputs=outputs):
        pass
    assert [r.event_type for r in stored()] == ["START", "FAIL"]


def test_a_store_error_while_failing_does_not_hide_the_original_error(
    emitter: LineageEmitter, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(SchemaDriftError), track_run(emitter, job=JOB, inputs=[SOURCE]):
        emitter.store_url = "postgresql+psycopg2://huiliu@127.0.0.1:9/governance"  # closed port
        raise SchemaDriftError("column mobile changed")
    assert "could not record the FAIL" in caplog.text
