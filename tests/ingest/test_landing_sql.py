"""Landing from department databases: full and incremental, idempotent, atomic, drift-aware."""

from __future__ import annotations

from datetime import timedelta

import pyarrow.compute as pc
import pytest
import sqlalchemy as sa
from tests.helpers.source_tables import BASE_TIME, SourceDb

from huiliu.contracts import load_contract
from huiliu.errors import SchemaDriftError, SourceUnavailableError
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table, table_identifiers
from huiliu.settings import Settings
from huiliu.store import batches as store
from huiliu.store.db import session_scope
from huiliu.store.models import LineageEventRecord

CONTRACT = load_contract("resident_registry")


def landed(settings: Settings):  # type: ignore[no-untyped-def]
    return lake_table("landing.resident_registry", settings=settings).scan().to_arrow()


def test_incremental_landing_on_every_database_kind(any_source: SourceDb, huiliu_home: Settings) -> None:
    table = any_source.create(rows=300)
    first = land_dataset(CONTRACT, "20261101T000000")
    assert first.rows == 300 and first.status == "committed"
    any_source.insert(table, range(300, 340), BASE_TIME + timedelta(days=3))
    second = land_dataset(CONTRACT, "20261102T000000")
    assert second.rows == 40
    data = landed(huiliu_home)
    assert data.num_rows == 340
    assert sorted(set(data["_batch_id"].to_pylist())) == [first.batch_id, second.batch_id]
    assert data.schema.field("birth_date").type.equals(__import__("pyarrow").date32())
    ids = data.filter(pc.equal(data["_batch_id"], second.batch_id))["id_number"].to_pylist()
    assert sorted(ids) == sorted(f"52010219900101{i:04d}" for i in range(300, 340))


def test_rerun_of_same_logical_date_does_not_duplicate(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    table = sqlite_source.create(rows=120)
    land_dataset(CONTRACT, "20261101T000000")
    sqlite_source.insert(table, range(120, 130), BASE_TIME + timedelta(days=2))
    land_dataset(CONTRACT, "20261102T000000")
    again = land_dataset(CONTRACT, "20261101T000000")
    assert again.rows == 120, "a re-run re-reads its original watermark window, not the newer rows"
    data = landed(huiliu_home)
    assert data.num_rows == 130
    assert len(set(data["id_number"].to_pylist())) == 130


def test_many_record_batches_land_as_one_commit(
    sqlite_source: SourceDb, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(huiliu_home, "batch_rows", 1000)
    sqlite_source.create(rows=3500)
    land_dataset(CONTRACT, "r1", settings=huiliu_home)
    table = lake_table("landing.resident_registry", settings=huiliu_home)
    assert table.scan().to_arrow().num_rows == 3500
    appends = [s for s in table.snapshots() if s.summary and s.summary.operation.value == "append"]
    assert len(appends) == 1


def test_failure_between_writing_and_commit_leaves_lake_and_watermark_unchanged(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    table = sqlite_source.create(rows=50)
    first = land_dataset(CONTRACT, "r1")
    sqlite_source.insert(table, range(50, 80), BASE_TIME + timedelta(days=1))
    lake = lake_table("landing.resident_registry", settings=huiliu_home)
    snapshot_before = lake.current_snapshot().snapshot_id
    watermark_before = store.get_watermark("resident_registry")

    def crash() -> None:
        raise OSError("worker lost its disk between writing data files and committing")

    with pytest.raises(OSError, match="worker lost"):
        land_dataset(CONTRACT, "r2", before_commit=crash)
    lake.refresh()
    assert lake.current_snapshot().snapshot_id == snapshot_before
    assert landed(huiliu_home).num_rows == 50
    assert store.get_watermark("resident_registry") == watermark_before
    assert store.get_batch("resident_registry:r2").status == "failed"
    retried = land_dataset(CONTRACT, "r2")
    assert retried.rows == 30 and landed(huiliu_home).num_rows == 80
    assert first.rows == 50


def test_extra_source_column_is_landed_without_it_and_recorded(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    sqlite_source.create(rows=10, extra=[sa.Column("note", sa.String(20))])
    result = land_dataset(CONTRACT, "r1")
    assert result.drift["extra_columns"] == ["note"]
    assert store.get_batch(result.batch_id).drift["extra_columns"] == ["note"]
    assert "note" not in landed(huiliu_home).column_names


def test_missing_required_column_fails_naming_dataset_and_column(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    sqlite_source.create(rows=10, drop=("phone",))
    with pytest.raises(SchemaDriftError) as raised:
        land_dataset(CONTRACT, "r1")
    message = str(raised.value)
    assert (
        "resident_registry" in message
        and "'phone' is missing" in message
        and "contract type string" in message
    )
    assert "landing.resident_registry" not in table_identifiers(huiliu_home), "nothing reaches the lake"


def test_incompatible_type_fails_with_expected_and_found(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    sqlite_source.create(rows=5, retype={"birth_date": sa.Integer()}, drop=())
    with pytest.raises(SchemaDriftError) as raised:
        land_dataset(CONTRACT, "r1")
    assert "column 'birth_date' has an incompatible type: expected date, found integer" in str(raised.value)
    assert store.get_batch("resident_registry:r1").status == "failed"


def test_dead_source_is_a_transient_error_with_a_hint(
    huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", "postgresql+psycopg2://postgres:secret@127.0.0.1:1/gone")
    with pytest.raises(SourceUnavailableError) as raised:
        land_dataset(CONTRACT, "r1")
    assert raised.value.retryable
    assert "cannot reach source" in str(raised.value) and "secret" not in str(raised.value)


def test_lineage_start_and_complete_are_stored(sqlite_source: SourceDb, huiliu_home: Settings) -> None:
    sqlite_source.create(rows=5)
    land_dataset(CONTRACT, "r1")
    with session_scope() as session:
        events = session.query(LineageEventRecord).order_by(LineageEventRecord.id).all()
    assert [e.event_type for e in events] == ["START", "COMPLETE"]
    complete = events[-1].payload
    assert complete["job"]["name"] == "ingest.resident_registry.land"
    assert complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 5
    assert complete["inputs"][0]["name"].endswith("resident_registry")


def test_events_of_a_real_landing_validate_against_the_openlineage_spec(
    sqlite_source: SourceDb, huiliu_home: Settings
) -> None:
    from tests.lineage.lineage_spec import SpecValidator

    sqlite_source.create(rows=5, drop=("phone",))
    with pytest.raises(SchemaDriftError):
        land_dataset(CONTRACT, "r0")
    sqlite_source.create(rows=5)
    land_dataset(
        CONTRACT, "r1", parent=("huiliu", "ingest_resident_registry", "0190d6a4-6c4c-7cde-9f4e-5c2a1b3c4d5e")
    )
    with session_scope() as session:
        payloads = [e.payload for e in session.query(LineageEventRecord).order_by(LineageEventRecord.id)]
    assert [p["eventType"] for p in payloads] == ["START", "FAIL", "START", "COMPLETE"]
    validator = SpecValidator()
    for payload in payloads:
        validator.validate_event(payload)
    assert "errorMessage" in payloads[1]["run"]["facets"]
    complete = payloads[-1]
    assert complete["run"]["facets"]["parent"]["job"]["name"] == "ingest_resident_registry"
    assert {"schema", "ownership", "huiliu_classification"} <= set(complete["outputs"][0]["facets"])


def _ids(settings: Settings) -> list[str]:
    return landed(settings)["id_number"].to_pylist()


def test_retry_after_a_lost_store_update_keeps_every_row(
    sqlite_source: SourceDb, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = sqlite_source.create(rows=100)
    land_dataset(CONTRACT, "d1")
    sqlite_source.insert(table, range(100, 150), BASE_TIME + timedelta(days=1))
    real = store.set_watermark

    def store_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("governance store connection lost after the lake commit")

    monkeypatch.setattr(store, "set_watermark", store_down)
    with pytest.raises(OSError, match="connection lost"):
        land_dataset(CONTRACT, "d2")
    monkeypatch.setattr(store, "set_watermark", real)
    retry = land_dataset(CONTRACT, "d2")
    assert retry.rows == 50
    assert sorted(_ids(huiliu_home)) == sorted(set(_ids(huiliu_home))) and len(_ids(huiliu_home)) == 150


def test_rerun_of_an_old_date_after_a_failed_attempt_keeps_its_rows(
    sqlite_source: SourceDb, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = sqlite_source.create(rows=100)
    land_dataset(CONTRACT, "d1")
    sqlite_source.insert(table, range(100, 150), BASE_TIME + timedelta(days=1))
    land_dataset(CONTRACT, "d2")
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", "postgresql+psycopg2://postgres@127.0.0.1:1/down")
    with pytest.raises(SourceUnavailableError):
        land_dataset(CONTRACT, "d1")
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", sqlite_source.url)
    again = land_dataset(CONTRACT, "d1")
    assert again.rows == 100
    assert len(_ids(huiliu_home)) == 150 and len(set(_ids(huiliu_home))) == 150


def test_an_empty_run_closes_its_window(sqlite_source: SourceDb, huiliu_home: Settings) -> None:
    table = sqlite_source.create(rows=100)
    land_dataset(CONTRACT, "d1")
    assert land_dataset(CONTRACT, "d2").rows == 0
    sqlite_source.insert(table, range(100, 150), BASE_TIME + timedelta(days=1))
    assert land_dataset(CONTRACT, "d3").rows == 50
    assert land_dataset(CONTRACT, "d2").rows == 0
    assert len(_ids(huiliu_home)) == 150


def test_an_error_after_the_lake_commit_never_deletes_committed_files(
    sqlite_source: SourceDb, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyiceberg.table import Table

    sqlite_source.create(rows=40)
    real_refresh = Table.refresh
    calls = {"n": 0}

    def flaky_refresh(self):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("catalog briefly unreachable")
        return real_refresh(self)

    monkeypatch.setattr(Table, "refresh", flaky_refresh)
    land_dataset(CONTRACT, "d1")
    monkeypatch.setattr(Table, "refresh", real_refresh)
    assert calls["n"] >= 1
    assert len(_ids(huiliu_home)) == 40


@pytest.mark.services
def test_a_query_the_source_rejects_is_terminal(
    postgres_url: str, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiliu.contracts.model import SqlSource

    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", postgres_url)
    typo = CONTRACT.model_copy(
        update={"source": SqlSource(connection="gongan", query="SELECT * FROM resident_regstry")}
    )
    with pytest.raises(SchemaDriftError) as raised:
        land_dataset(typo, "r1")
    assert not raised.value.retryable
    assert "rejected the extraction query" in str(raised.value)


@pytest.mark.services
def test_a_postgresql_table_in_a_named_schema(
    postgres_url: str, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiliu.contracts.model import SqlSource

    source = SourceDb(postgres_url, CONTRACT)
    with source.engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA population"))
    table = source.table()
    table.schema = "population"
    with source.engine.begin() as conn:
        table.create(conn)
    source.insert(table, range(12), BASE_TIME)
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", postgres_url)
    contract = CONTRACT.model_copy(
        update={"source": SqlSource(connection="gongan", table="resident_registry", db_schema="population")}
    )
    assert land_dataset(contract, "r1").rows == 12
    with session_scope() as session:
        complete = session.query(LineageEventRecord).filter_by(event_type="COMPLETE").one().payload
    assert complete["inputs"][0]["name"].endswith(".population.resident_registry")


@pytest.mark.services
def test_mariadb_zero_dates_land_as_missing_and_are_counted(
    mariadb_url: str, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SourceDb(mariadb_url, CONTRACT)
    table = source.create(rows=5)
    with source.engine.begin() as conn:
        conn.execute(sa.text("SET SESSION sql_mode = ''"))
        conn.execute(
            sa.text("UPDATE resident_registry SET birth_date = '0000-00-00' WHERE phone LIKE '%0001'")
        )
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", mariadb_url)
    result = land_dataset(CONTRACT, "r1")
    assert result.rows == 5 and result.drift["zero_dates"] == 1
    assert landed(huiliu_home)["birth_date"].null_count == 1
    assert table.name == "resident_registry"
