"""Reading one landed batch back for the gate: only its rows, in batch order, in whole chunks."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from huiliu.contracts import load_contract
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import conform, landing_schema
from huiliu.lake.writer import StagedBatchWriter
from huiliu.quality.batch_stream import BatchScan, OtherColumns
from huiliu.settings import Settings

CONTRACT = load_contract("resident_registry")
SCHEMA = landing_schema(CONTRACT)
BATCH_A = "resident_registry-20261101T000000-a1b2c3d4"  # longer than Iceberg's default 16-char bounds
BATCH_B = "resident_registry-20261102T000000-e5f6a7b8"
ROWS_A = 23


def _rows(batch_ids: list[str | None], first: int = 0) -> pa.Table:
    """Landing rows numbered from ``first``, one per batch id given (other columns mostly null)."""
    count = len(batch_ids)
    numbers = range(first, first + count)
    return conform(
        pa.table(
            {
                "id_number": [f"id{n:05d}" for n in numbers],
                "name": [f"王{n}" for n in numbers],
                "updated_at": pa.array([datetime(2026, 10, 1, n % 24) for n in numbers], pa.timestamp("us")),
                "_batch_id": pa.array(batch_ids, pa.string()),
                "_ingested_at": pa.array([datetime(2026, 11, 1, tzinfo=UTC)] * count),
                "_source": ["test"] * count,
            }
        ),
        SCHEMA,
    )


def _land(settings: Settings, batch_id: str, rows: pa.Table, rows_per_file: int = 10) -> None:
    table = lake_table(CONTRACT.landing_table, SCHEMA, settings)
    with StagedBatchWriter(table, batch_id, SCHEMA, rows_per_file=rows_per_file) as writer:
        for record_batch in rows.to_batches(max_chunksize=4):
            writer.write(record_batch)
        writer.commit()


@pytest.fixture
def two_batches(huiliu_home: Settings) -> Settings:
    """Batch A (23 rows, in two files) landed after batch B (7 rows) and before batch C (5 rows)."""
    _land(huiliu_home, BATCH_B, _rows([BATCH_B] * 7, first=500))
    _land(huiliu_home, BATCH_A, _rows([BATCH_A] * ROWS_A))
    _land(huiliu_home, "c", _rows(["c"] * 5, first=900))
    return huiliu_home


def _ids(table: pa.Table) -> list[str]:
    return table.column("id_number").to_pylist()


EXPECTED_A = [f"id{n:05d}" for n in range(ROWS_A)]


# batch A lands as files of 10, 10 and 3 rows: chunks are cut at file ends, whole files are
# gathered while they fit, a file larger than a chunk is cut into near-equal parts
CHUNK_SIZES = {1: [1] * ROWS_A, 4: [4, 4, 2, 4, 4, 2, 3], 10: [10, 10, 3], 22: [20, 3], 24: [23], 1000: [23]}


@pytest.mark.parametrize("size", sorted(CHUNK_SIZES))
def test_chunks_hold_all_and_only_the_batch_rows_in_order(two_batches: Settings, size: int) -> None:
    scan = BatchScan(CONTRACT, BATCH_A, two_batches)

    chunks = list(scan.chunks(size))

    assert [c.num_rows for c in chunks] == CHUNK_SIZES[size]
    for chunk in chunks:
        assert all(column.num_chunks == 1 for column in chunk.columns)
        assert set(chunk.column("_batch_id").to_pylist()) == {BATCH_A}
    assert [i for c in chunks for i in _ids(c)] == EXPECTED_A


@pytest.mark.parametrize("size", sorted(CHUNK_SIZES))
def test_file_chunks_say_which_rows_came_from_which_file(two_batches: Settings, size: int) -> None:
    scan = BatchScan(CONTRACT, BATCH_A, two_batches)
    files = {t.file.file_path: t.file.record_count for t in scan._planned()}
    read: dict[str, list[str]] = {}

    for chunk in scan.file_chunks(size):
        assert [p.start for p in chunk.pieces] == [0, *(p.stop for p in chunk.pieces[:-1])]
        assert chunk.pieces[-1].stop == chunk.rows.num_rows
        for piece in chunk.pieces:
            assert piece.unfiltered  # every file holds only batch A
            read.setdefault(piece.path, []).extend(
                _ids(chunk.rows.slice(piece.start, piece.stop - piece.start))
            )
            assert piece.ends_file == (len(read[piece.path]) == files[piece.path])

    assert sorted(len(ids) for ids in read.values()) == [3, 10, 10]
    assert [i for path in files for i in read[path]] == EXPECTED_A


def test_planned_rows_is_the_batch_row_count(two_batches: Settings) -> None:
    assert BatchScan(CONTRACT, BATCH_A, two_batches).planned_rows() == ROWS_A
    assert BatchScan(CONTRACT, BATCH_B, two_batches).planned_rows() == 7


def test_columns_returns_the_rows_of_the_chunks_in_the_same_order(two_batches: Settings) -> None:
    scan = BatchScan(CONTRACT, BATCH_A, two_batches)
    whole = pa.concat_tables(scan.chunks(6))

    keys = scan.columns(["id_number", "updated_at", "id_number"])

    assert keys.column_names == ["id_number", "updated_at"]
    assert _ids(keys) == _ids(whole) == EXPECTED_A
    assert keys.column("updated_at").to_pylist() == whole.column("updated_at").to_pylist()
    assert _ids(scan.all_rows()) == EXPECTED_A


def test_files_of_one_batch_carry_its_whole_id_as_both_bounds(two_batches: Settings) -> None:
    table = lake_table(CONTRACT.landing_table, settings=two_batches)
    field = table.schema().find_field("_batch_id").field_id
    tasks = list(BatchScan(CONTRACT, BATCH_A, two_batches).table.scan().plan_files())
    of_a = [t.file for t in tasks if t.file.lower_bounds[field] == BATCH_A.encode()]

    assert sum(f.record_count for f in of_a) == ROWS_A and len(of_a) > 1
    assert all(f.upper_bounds[field] == BATCH_A.encode() for f in of_a)
    assert all(f.null_value_counts[field] == 0 for f in of_a)


def test_a_batch_that_is_not_in_the_table_reads_as_empty(two_batches: Settings) -> None:
    scan = BatchScan(CONTRACT, "never-landed", two_batches)
    assert list(scan.chunks(10)) == []
    assert scan.planned_rows() == 0
    assert scan.columns(["id_number"]).num_rows == 0


def test_a_table_with_no_snapshot_reads_as_empty(huiliu_home: Settings) -> None:
    lake_table(CONTRACT.landing_table, SCHEMA, huiliu_home)
    scan = BatchScan(CONTRACT, BATCH_A, huiliu_home)
    assert list(scan.chunks(10)) == []
    assert scan.planned_rows() == 0
    assert scan.columns(["id_number"]).num_rows == 0


def _land_mixed(settings: Settings, batch_ids: list[str | None]) -> None:
    """One commit (as batch A) of a file whose rows carry the given batch ids."""
    _land(settings, BATCH_A, _rows(batch_ids), rows_per_file=1000)


MIXED = [BATCH_A, BATCH_B, BATCH_B, BATCH_A, BATCH_A, BATCH_B, BATCH_A, BATCH_B, BATCH_A, BATCH_A]


@pytest.mark.parametrize(
    "batch_ids",
    [MIXED, [BATCH_A, None, BATCH_A, None, BATCH_A, BATCH_A, BATCH_A, None, BATCH_A, BATCH_A]],
    ids=["two batch ids", "batch id and nulls"],
)
@pytest.mark.parametrize("size", [2, 3, 100])
def test_a_file_shared_with_other_rows_yields_only_the_batch_rows(
    huiliu_home: Settings, batch_ids: list[str | None], size: int
) -> None:
    _land(huiliu_home, "c", _rows(["c"] * 5, first=900))
    _land_mixed(huiliu_home, batch_ids)
    expected = [f"id{n:05d}" for n, b in enumerate(batch_ids) if b == BATCH_A]
    scan = BatchScan(CONTRACT, BATCH_A, huiliu_home)

    chunks = list(scan.chunks(size))

    assert not any(p.unfiltered for c in scan.file_chunks(size) for p in c.pieces)
    assert [i for c in chunks for i in _ids(c)] == expected
    assert all(c.num_rows <= size for c in chunks)
    assert all(column.num_chunks == 1 for c in chunks for column in c.columns)
    assert {b for c in chunks for b in c.column("_batch_id").to_pylist()} == {BATCH_A}
    assert _ids(scan.columns(["id_number"])) == expected
    assert _ids(scan.all_rows()) == expected


@pytest.mark.parametrize("size", [1, 3, 4, 100])
@pytest.mark.parametrize("shared", [False, True], ids=["files of the batch", "a file shared with another"])
def test_chunks_read_with_some_columns_complete_to_the_rows_read_whole(
    huiliu_home: Settings, size: int, shared: bool
) -> None:
    if shared:
        _land_mixed(huiliu_home, MIXED)
    else:
        _land(huiliu_home, BATCH_A, _rows([BATCH_A] * ROWS_A))
    scan = BatchScan(CONTRACT, BATCH_A, huiliu_home)
    other = OtherColumns(scan, ["id_number", "updated_at"])

    chunks = list(scan.file_chunks(size, ["updated_at", "id_number"]))

    assert all(c.rows.column_names == ["id_number", "updated_at"] for c in chunks)
    completed = [
        other.complete(c.rows.slice(p.start, p.stop - p.start), p) for c in chunks for p in reversed(c.pieces)
    ]  # pieces asked for out of order still get their own rows
    whole = scan.all_rows()
    by_id = {row["id_number"]: row for row in whole.to_pylist()}
    assert sum(t.num_rows for t in completed) == whole.num_rows
    for table in completed:
        assert table.column_names == whole.column_names
        assert all(by_id[row["id_number"]] == row for row in table.to_pylist())


def test_the_other_batch_of_a_shared_file_reads_its_own_rows(huiliu_home: Settings) -> None:
    _land_mixed(huiliu_home, MIXED)
    scan = BatchScan(CONTRACT, BATCH_B, huiliu_home)
    expected = [f"id{n:05d}" for n, b in enumerate(MIXED) if b == BATCH_B]
    assert [i for c in scan.chunks(2) for i in _ids(c)] == expected
    assert _ids(scan.columns(["id_number"])) == expected


def test_a_scan_reads_the_snapshot_it_was_opened_on(two_batches: Settings) -> None:
    scan = BatchScan(CONTRACT, BATCH_A, two_batches)
    _land(two_batches, BATCH_A, _rows([BATCH_A] * 3, first=700))

    assert _ids(pa.concat_tables(scan.chunks(100))) == EXPECTED_A
    assert _ids(scan.columns(["id_number"])) == EXPECTED_A
    assert _ids(BatchScan(CONTRACT, BATCH_A, two_batches).columns(["id_number"])) == [
        "id00700",
        "id00701",
        "id00702",
    ]
