"""The quality gate on a real landed batch: curated vs quarantine, held batches, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest

from huiliu.contracts import load_contract
from huiliu.errors import BatchHeldError, ConfigurationError, QuarantineError
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.lake.writer import StagedBatchWriter
from huiliu.quality import quarantine
from huiliu.quality.datadocs import build_data_docs
from huiliu.quality.gate import run_gate
from huiliu.quality.records import latest_quality_run
from huiliu.settings import Settings
from huiliu.store.db import session_scope
from huiliu.store.models import LineageEventRecord
from tests.helpers.residents import UPDATED, a_community, bad_rows, insert, person
from tests.helpers.source_tables import SourceDb

CONTRACT = load_contract("resident_registry")
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def gated(settings: Settings, zone: str, batch_id: str):  # type: ignore[no-untyped-def]
    table = lake_table(f"{zone}.resident_registry", settings=settings).scan().to_arrow()
    return table.filter(pc.equal(table["_batch_id"], batch_id))


def test_failing_rows_go_to_quarantine_with_rules_and_values(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    bad = bad_rows(community)
    duplicate_old = person(3, community, updated_at=UPDATED - timedelta(days=2))
    insert(source, [person(i, community) for i in range(200)] + list(bad.values()) + [duplicate_old])
    landed = land_dataset(CONTRACT, "20261101T000000")

    result = run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)

    assert result.status == "quarantined"
    assert (result.rows_total, result.rows_curated, result.rows_quarantined) == (206, 200, 6)
    held = gated(huiliu_home, "quarantine", landed.batch_id)
    reasons = dict(zip(held["id_number"].to_pylist(), held["_failed_rules"].to_pylist(), strict=True))
    assert "valid_cn_resident_id" in reasons[bad["checksum"]["id_number"]]
    assert "not_be_blank(name)" in reasons[bad["missing_name"]["id_number"]]
    assert "valid_admin_code(community_code)" in reasons[bad["unknown_community"]["id_number"]]
    assert "freshness_window(updated_at)" in reasons[bad["stale"]["id_number"]]
    assert "match_cn_resident_id(id_number, birth_date)" in reasons[bad["birth_mismatch"]["id_number"]]
    assert reasons[duplicate_old["id_number"]] == "huiliu_primary_key_is_unique(id_number)"
    failures = json.loads(
        held.filter(pc.equal(held["id_number"], bad["unknown_community"]["id_number"]))["_failures"][
            0
        ].as_py()
    )
    assert failures[0]["values"] == {"community_code": "520102999999"}
    curated = gated(huiliu_home, "curated", landed.batch_id)
    assert curated.num_rows == 200
    newest = curated.filter(pc.equal(curated["id_number"], duplicate_old["id_number"]))
    assert newest["updated_at"].to_pylist() == [UPDATED]
    run = latest_quality_run("resident_registry")
    assert run is not None and run.status == "quarantined" and run.rows_quarantined == 6
    assert Path(result.validation_result or "").is_file()
    assert build_data_docs(CONTRACT) == Path(result.docs)
    page = Path(result.docs).read_text(encoding="utf-8")
    assert "resident_registry" in page and Path(result.docs).parent.joinpath("validations").is_dir()
    reports = "".join(
        p.read_text(encoding="utf-8")
        for p in huiliu_home.reports_path.rglob("*")
        if p.is_file() and p.suffix in (".json", ".html")
    )
    for row in bad.values():
        assert row["id_number"] not in reports  # failing values stay in the quarantine table
    assert all(
        row.quarantine_id.count("#") == 1 and row.values["id_number"] not in row.quarantine_id
        for row in quarantine.list_rows(CONTRACT)
    )


def test_rerunning_the_gate_replaces_its_rows(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community) for i in range(50)] + [bad_rows(community)["missing_name"]])
    landed = land_dataset(CONTRACT, "20261101T000000")
    for _ in range(2):
        run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)
    assert gated(huiliu_home, "curated", landed.batch_id).num_rows == 50
    assert gated(huiliu_home, "quarantine", landed.batch_id).num_rows == 1


def test_a_failed_curated_write_commits_nothing_and_leaves_no_staged_files(
    source: SourceDb, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community) for i in range(50)] + [bad_rows(community)["missing_name"]])
    landed = land_dataset(CONTRACT, "20261101T000000")
    run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)
    zones = {z: lake_table(f"{z}.resident_registry", settings=huiliu_home) for z in ("curated", "quarantine")}
    before = {z: t.current_snapshot().snapshot_id for z, t in zones.items()}  # type: ignore[union-attr]
    write_file = StagedBatchWriter.write_file

    def failing_curated(self: StagedBatchWriter, rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.table.name()[0] == "curated":
            raise OSError("No space left on device")
        return write_file(self, rows, *args, **kwargs)

    monkeypatch.setattr(StagedBatchWriter, "write_file", failing_curated)
    with pytest.raises(OSError, match="No space left"):
        run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)

    for zone, table in zones.items():
        table.refresh()
        assert table.current_snapshot().snapshot_id == before[zone]  # type: ignore[union-attr]
        referenced = {p.removeprefix("file://") for p in table.inspect.files()["file_path"].to_pylist()}
        on_disk = {str(p) for p in Path(table.location().removeprefix("file://")).rglob("*.parquet")}
        assert on_disk == referenced, zone
    assert gated(huiliu_home, "curated", landed.batch_id).num_rows == 50
    assert gated(huiliu_home, "quarantine", landed.batch_id).num_rows == 1


def test_a_batch_with_too_many_failures_is_held_and_curated_keeps_earlier_batches(
    source: SourceDb, huiliu_home: Settings
) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community) for i in range(40)])
    first = land_dataset(CONTRACT, "20261101T000000")
    run_gate(CONTRACT, first.batch_id, as_of=AS_OF)
    later = UPDATED + timedelta(days=1)
    insert(
        source,
        [
            person(i, community, updated_at=later, name=None if i % 3 == 0 else f"李{i}")
            for i in range(500, 530)
        ],
    )
    second = land_dataset(CONTRACT, "20261102T000000")

    with pytest.raises(BatchHeldError, match="above the contract's max_failing_share") as held:
        run_gate(CONTRACT, second.batch_id, as_of=AS_OF + timedelta(days=1))

    assert "huiliu quarantine list resident_registry" in str(held.value)
    assert gated(huiliu_home, "curated", second.batch_id).num_rows == 0
    assert gated(huiliu_home, "curated", first.batch_id).num_rows == 40
    quarantined = gated(huiliu_home, "quarantine", second.batch_id)
    assert quarantined.num_rows == 30 and all(quarantined["_held"].to_pylist())
    assert latest_quality_run("resident_registry").status == "held"  # type: ignore[union-attr]
    with session_scope() as session:
        events = [
            e.payload
            for e in session.query(LineageEventRecord).filter_by(
                job_name="ingest.resident_registry.quality_gate"
            )
        ]
    last = events[-1]  # the held run's lineage says it failed, and why
    assert last["eventType"] == "FAIL"
    assert "is held in quarantine" in last["run"]["facets"]["errorMessage"]["message"]


def test_a_gate_refused_before_it_starts_emits_a_failed_lineage_run(huiliu_home: Settings) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        run_gate(CONTRACT, "resident_registry:19990101T000000", as_of=AS_OF)
    with session_scope() as session:
        kinds = [
            e.payload["eventType"]
            for e in session.query(LineageEventRecord).filter_by(
                job_name="ingest.resident_registry.quality_gate"
            )
        ]
    assert kinds == ["START", "FAIL"]


def test_a_held_batch_goes_to_quarantine_chunk_by_chunk_with_every_row_and_its_reason(
    source: SourceDb, huiliu_home: Settings
) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community, name=None if i % 3 == 0 else f"李{i}") for i in range(30)])
    landed = land_dataset(CONTRACT, "20261101T000000")
    small_chunks = huiliu_home.model_copy(update={"quality_chunk_rows": 7})

    with pytest.raises(BatchHeldError):
        run_gate(CONTRACT, landed.batch_id, as_of=AS_OF, settings=small_chunks)

    held = gated(huiliu_home, "quarantine", landed.batch_id)
    assert held.num_rows == 30 and all(held["_held"].to_pylist())
    assert sorted(held["_quarantine_id"].to_pylist()) == sorted(f"{landed.batch_id}#{r}" for r in range(30))
    reasons = dict(zip(held["name"].to_pylist(), held["_failed_rules"].to_pylist(), strict=False))
    assert "not_be_blank(name)" in reasons[None]
    assert reasons["李1"] == "huiliu_batch_held"
    table = lake_table("quarantine.resident_registry", settings=huiliu_home)
    files = table.inspect.files()["file_path"].to_pylist()
    assert len(files) == 5  # one per chunk of 7 rows: the batch was never held in memory whole
    assert gated(huiliu_home, "curated", landed.batch_id).num_rows == 0


def test_an_empty_batch_passes_with_zero_rows(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community) for i in range(10)])
    land_dataset(CONTRACT, "20261101T000000")
    empty = land_dataset(CONTRACT, "20261102T000000")
    result = run_gate(CONTRACT, empty.batch_id, as_of=AS_OF)
    assert result.status == "empty" and result.rows_total == 0 and result.pass_rate is None


def test_release_revalidates_corrected_rows_and_discard_is_recorded(
    source: SourceDb, huiliu_home: Settings
) -> None:
    community = a_community(huiliu_home)
    bad = bad_rows(community)
    insert(source, [person(i, community) for i in range(100)] + [bad["missing_name"], bad["checksum"]])
    landed = land_dataset(CONTRACT, "20261101T000000")
    run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)
    pending = {r.values["id_number"]: r for r in quarantine.list_rows(CONTRACT)}
    nameless = pending[bad["missing_name"]["id_number"]].quarantine_id
    broken = pending[bad["checksum"]["id_number"]].quarantine_id

    unfixed = quarantine.release(CONTRACT, [broken], actor="steward", reason="looks fine to me")
    assert unfixed.released == [] and "valid_cn_resident_id" in unfixed.still_failing[broken][0]

    fixed = quarantine.release(
        CONTRACT, [nameless], actor="steward", reason="name confirmed by 社区", changes={"name": "赵敏"}
    )
    assert fixed.released == [nameless]
    curated = lake_table("curated.resident_registry", settings=huiliu_home).scan().to_arrow()
    released = curated.filter(pc.equal(curated["_batch_id"], fixed.release_batch_id))
    assert released["name"].to_pylist() == ["赵敏"]

    quarantine.discard(CONTRACT, [broken], actor="steward", reason="person unknown to the 派出所")
    assert quarantine.list_rows(CONTRACT) == []
    states = {r.quarantine_id: r.state for r in quarantine.list_rows(CONTRACT, state=None)}
    assert states == {nameless: "released", broken: "discarded"}
    with pytest.raises(QuarantineError, match="already decided"):
        quarantine.discard(CONTRACT, [nameless], actor="steward", reason="changed my mind")

    run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)  # a re-run does not offer decided rows again
    assert quarantine.list_rows(CONTRACT) == []


def test_the_gate_emits_lineage_with_quality_assertions(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community) for i in range(20)] + [bad_rows(community)["stale"]])
    landed = land_dataset(CONTRACT, "20261101T000000")
    run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)
    with session_scope() as session:
        events = [
            e.payload
            for e in session.query(LineageEventRecord).filter_by(
                job_name="ingest.resident_registry.quality_gate"
            )
        ]
    complete = next(e for e in events if e["eventType"] == "COMPLETE")
    (landing,) = complete["inputs"]
    assertions = landing["inputFacets"]["dataQualityAssertions"]["assertions"]
    window = next(
        a for a in assertions if a["assertion"] == "expect_column_values_to_be_within_freshness_window"
    )
    assert window["success"] is False and window["column"] == "updated_at"
    outputs = {
        "/".join(o["name"].split("/")[-2:]): o["outputFacets"]["outputStatistics"]["rowCount"]
        for o in complete["outputs"]
    }
    assert outputs == {"curated/resident_registry": 20, "quarantine/resident_registry": 1}
