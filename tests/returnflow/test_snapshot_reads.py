"""A snapshot's columns read by PyArrow alone are the rows PyIceberg's reader gives, in the same
order; whenever a file or the snapshot needs PyIceberg (a filter, a renamed or added column, a
correction), PyIceberg reads it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.expressions import NotIn
from pyiceberg.types import StringType
from tests.helpers.deliveries import COMMUNITIES, OUTSIDE, append_curated, decoded, residents

from huiliu.contracts import load_contract
from huiliu.contracts.model import DatasetContract
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import landing_schema, with_meta_columns
from huiliu.lake.writer import StagedBatchWriter
from huiliu.returnflow.overlay import Overlay
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings

ID = "id_number"
GUARD = ["community_code", "birth_date", "gender", "ethnicity"]


@pytest.fixture
def worker() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-key-hashes") as pool:
        yield pool


def _gated(contract: DatasetContract, rows: list[dict[str, object]], batch: str, at: datetime) -> None:
    """Rows written to curated as the quality gate writes them: Parquet files added to the table,
    without field ids (the table's name mapping gives them)."""
    schema = landing_schema(contract)
    data = pa.RecordBatch.from_pylist(
        rows, schema=pa.schema([f for f in schema if not f.name.startswith("_")])
    )
    with StagedBatchWriter(lake_table(contract.curated_table, schema), batch, schema) as writer:
        writer.write(with_meta_columns(data, schema, batch, at, "test"))
        writer.commit()


@pytest.fixture
def registry(huiliu_home: Settings) -> Iterator[DatasetContract]:
    contract = load_contract("resident_registry")
    first, later = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    _gated(contract, residents(6, COMMUNITIES[0], 0), "b1", first)
    append_curated(contract, residents(5, COMMUNITIES[1], 100), "b2", first)
    _gated(contract, residents(4, OUTSIDE, 300), "b3", first)
    _gated(contract, residents(2, COMMUNITIES[0], 0, status="迁出"), "b4", later)  # two records re-issued
    yield contract


def _by_pyiceberg(snapshot: CuratedSnapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "_plain_files", lambda names: None)


def test_pyarrow_alone_reads_what_pyiceberg_reads_in_the_same_order(
    registry: DatasetContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [ID, *GUARD, "name", "updated_at", "_ingested_at"]
    direct = CuratedSnapshot(registry)
    assert direct._plain_files(names) is not None  # both the gate's files and PyIceberg's own

    fast = direct.columns(names, dictionaries=GUARD)
    _by_pyiceberg(slow_snapshot := CuratedSnapshot(registry), monkeypatch)
    slow = slow_snapshot.columns(names, dictionaries=GUARD)

    assert fast.schema.equals(slow.schema, check_metadata=True)
    assert decoded(fast).equals(decoded(slow))
    ids = fast.column(ID).to_pylist()
    assert len(ids) == 17 and len(set(ids)) == 15  # two records re-issued


def test_key_hashes_taken_with_the_columns_find_the_same_current_versions(
    registry: DatasetContract, worker: ThreadPoolExecutor
) -> None:
    snapshot = CuratedSnapshot(registry)
    together = snapshot.columns_and_current(GUARD, dictionaries=GUARD, worker=worker)
    assert together is not None
    read, hashing, finding = together
    hashes = hashing.result()

    assert decoded(read).equals(decoded(snapshot.columns(GUARD, dictionaries=GUARD)))
    assert hashes.tolist() == snapshot._key_hashes([ID]).tolist()
    current = finding.result()
    assert current.tolist() == snapshot.current(hashes).tolist() == snapshot.current().tolist()
    assert int(current.sum()) == 15  # each re-issued record's earlier row is not current


def test_a_filtered_snapshot_is_read_by_pyiceberg(
    registry: DatasetContract, worker: ThreadPoolExecutor
) -> None:
    snapshot = CuratedSnapshot(registry)
    snapshot._row_filter = NotIn("_batch_id", ["b4"])  # a release still in flight

    assert snapshot._plain_files(GUARD) is None
    assert snapshot.columns_and_current(GUARD, worker=worker) is None
    assert snapshot.columns([ID]).num_rows == 15


def test_a_renamed_or_added_column_is_read_by_pyiceberg(
    registry: DatasetContract, worker: ThreadPoolExecutor
) -> None:
    table = lake_table(registry.curated_table)
    with table.update_schema() as update:
        update.rename_column("ethnicity", "nation")
        update.add_column("grid", StringType())
    table = lake_table(registry.curated_table)
    one = table.scan(limit=1).to_arrow()
    one = one.set_column(one.schema.get_field_index("grid"), "grid", pa.array(["G1"]))
    table.append(one)  # a snapshot of the new schema, beside files written before it
    snapshot = CuratedSnapshot(registry)

    assert snapshot._plain_files(["nation"]) is None
    assert snapshot._plain_files(["grid"]) is None
    assert snapshot.columns_and_current(["community_code", "nation"], worker=worker) is None
    read = snapshot.columns(["nation", "grid"])
    assert set(read.column("nation").to_pylist()) == {"汉族"}
    assert read.column("grid").to_pylist().count("G1") == 1 and read.column("grid").null_count == 17
    assert snapshot._plain_files(["community_code", "gender"]) is not None


def test_a_corrected_column_is_read_by_pyiceberg_with_its_correction(
    registry: DatasetContract, worker: ThreadPoolExecutor
) -> None:
    first = CuratedSnapshot(registry).columns([ID]).column(ID)[0].as_py()
    overlay = Overlay(key=(ID,), values={"gender": {first: "未知"}})
    snapshot = CuratedSnapshot(registry, overlay=overlay)

    assert snapshot.columns_and_current(GUARD, worker=worker) is None
    assert snapshot.columns(["gender"]).column("gender")[0].as_py() == "未知"


def test_an_empty_table_reads_as_no_rows(huiliu_home: Settings, worker: ThreadPoolExecutor) -> None:
    contract = load_contract("resident_registry")
    lake_table(contract.curated_table, landing_schema(contract))

    together = CuratedSnapshot(contract).columns_and_current(GUARD, worker=worker)

    assert together is not None and together[0].num_rows == 0
    hashes = together[1].result()
    assert len(hashes) == 0 and hashes.dtype == np.uint64 and len(together[2].result()) == 0


def test_rows_read_by_pyarrow_lie_where_the_delivery_pass_reads_them(
    registry: DatasetContract, tmp_path: Path
) -> None:
    schema = landing_schema(registry)
    data = pa.RecordBatch.from_pylist(
        residents(40, COMMUNITIES[1], 500),
        schema=pa.schema([f for f in schema if not f.name.startswith("_")]),
    )
    path = tmp_path / "many_row_groups.parquet"
    pq.write_table(
        pa.Table.from_batches(
            [with_meta_columns(data, schema, "b5", datetime(2026, 11, 21, tzinfo=UTC), "test")]
        ),
        path,
        row_group_size=7,
    )
    lake_table(registry.curated_table).add_files([str(path)])
    snapshot = CuratedSnapshot(registry)
    names = [ID, "community_code", "birth_date"]
    assert snapshot._plain_files(names) is not None

    read = snapshot.columns(names)
    streamed = pa.concat_tables([chunk.select(names) for _, chunk in snapshot.chunks(5)])

    assert read.num_rows == 57 and read.equals(streamed)


@pytest.mark.parametrize(
    ("column", "stored", "others_plain"),
    [
        ("_ingested_at", pa.timestamp("ns", tz="UTC"), True),  # PyIceberg would cast it to microseconds
        ("birth_date", pa.timestamp("ms"), True),  # a type PyIceberg promotes or casts on read
        ("birth_date", pa.month_day_nano_interval(), False),  # no Iceberg type: the file is PyIceberg's
    ],
)
def test_a_file_storing_a_column_in_another_type_is_read_by_pyiceberg(
    registry: DatasetContract,
    monkeypatch: pytest.MonkeyPatch,
    column: str,
    stored: pa.DataType,
    others_plain: bool,
) -> None:
    snapshot = CuratedSnapshot(registry)
    real = snapshot._stored_schema

    def stored_schema(path: str) -> pa.Schema:
        kept = real(path)
        at = kept.get_field_index(column)
        return kept.set(at, pa.field(column, stored, metadata=kept.field(column).metadata))

    monkeypatch.setattr(snapshot, "_stored_schema", stored_schema)

    assert snapshot._plain_files([column]) is None
    assert (snapshot._plain_files(["gender"]) is not None) is others_plain
