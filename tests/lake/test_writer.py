"""Staged writes: nothing visible before commit, re-runs replace, aborts leave the table as it was."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from huiliu.lake.catalog import lake_table
from huiliu.lake.stats import lake_stats
from huiliu.lake.writer import StagedBatchWriter
from huiliu.settings import Settings

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("amount", pa.decimal128(10, 2)),
        pa.field("_batch_id", pa.string()),
        pa.field("_ingested_at", pa.timestamp("us", tz="UTC")),
        pa.field("_source", pa.string()),
    ]
)


def _batch(batch_id: str, ids: list[str]) -> pa.RecordBatch:
    now = datetime.now(UTC)
    return pa.RecordBatch.from_pydict(
        {
            "id": ids,
            "amount": pa.array([100 * len(i) for i in ids], pa.decimal128(10, 2)),
            "_batch_id": [batch_id] * len(ids),
            "_ingested_at": [now] * len(ids),
            "_source": ["test"] * len(ids),
        },
        schema=SCHEMA,
    )


def _rows(settings: Settings) -> list[tuple[str, str]]:
    table = lake_table("landing.writer_test", settings=settings)
    data = table.scan().to_arrow().sort_by("id")
    return list(zip(data["_batch_id"].to_pylist(), data["id"].to_pylist(), strict=True))


def _land(settings: Settings, batch_id: str, ids: list[str], rows_per_file: int = 1000) -> None:
    table = lake_table("landing.writer_test", SCHEMA, settings)
    with StagedBatchWriter(table, batch_id, SCHEMA, rows_per_file=rows_per_file) as writer:
        for chunk in range(0, len(ids), 2):
            writer.write(_batch(batch_id, ids[chunk : chunk + 2]))
        writer.commit()


def test_commit_makes_all_batches_visible_at_once(huiliu_home: Settings) -> None:
    _land(huiliu_home, "b1", ["a", "b", "c", "d", "e"], rows_per_file=2)
    assert _rows(huiliu_home) == [("b1", "a"), ("b1", "b"), ("b1", "c"), ("b1", "d"), ("b1", "e")]
    assert lake_stats(huiliu_home)["tables"]["landing.writer_test"]["rows"] == 5


def test_rerun_of_a_batch_replaces_it(huiliu_home: Settings) -> None:
    _land(huiliu_home, "b1", ["a", "b"])
    _land(huiliu_home, "b2", ["c"])
    _land(huiliu_home, "b1", ["a", "b"])
    assert _rows(huiliu_home) == [("b1", "a"), ("b1", "b"), ("b2", "c")]


def test_failure_before_commit_leaves_table_and_disk_unchanged(huiliu_home: Settings) -> None:
    _land(huiliu_home, "b1", ["a", "b"])
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    before = table.current_snapshot().snapshot_id
    files_before = set(Path(huiliu_home.home / "warehouse").rglob("*.parquet"))
    with pytest.raises(RuntimeError, match="disk full"), StagedBatchWriter(table, "b2", SCHEMA) as writer:
        writer.write(_batch("b2", ["x", "y"]))
        writer.write(_batch("b2", ["z"]))
        raise RuntimeError("disk full")
    table.refresh()
    assert table.current_snapshot().snapshot_id == before
    assert _rows(huiliu_home) == [("b1", "a"), ("b1", "b")]
    assert set(Path(huiliu_home.home / "warehouse").rglob("*.parquet")) == files_before


def test_empty_batch_commits_nothing_and_clears_a_previous_version(huiliu_home: Settings) -> None:
    _land(huiliu_home, "b1", ["a"])
    _land(huiliu_home, "b1", [])
    assert _rows(huiliu_home) == []


def test_a_contract_type_change_iceberg_cannot_apply_is_a_clear_error(huiliu_home: Settings) -> None:
    from huiliu.errors import LakeError

    lake_table("landing.writer_test", SCHEMA, huiliu_home)
    narrowed = SCHEMA.set(SCHEMA.get_field_index("amount"), pa.field("amount", pa.int32()))
    with pytest.raises(LakeError) as raised:
        lake_table("landing.writer_test", narrowed, huiliu_home)
    assert "landing.writer_test" in str(raised.value) and "amount" in str(raised.value)


def test_a_widened_decimal_evolves_the_table(huiliu_home: Settings) -> None:
    lake_table("landing.writer_test", SCHEMA, huiliu_home)
    widened = SCHEMA.set(SCHEMA.get_field_index("amount"), pa.field("amount", pa.decimal128(12, 2)))
    table = lake_table("landing.writer_test", widened, huiliu_home)
    assert str(table.schema().find_field("amount").field_type) == "decimal(12, 2)"


def _table_of(batch_id: str, count: int, start: int = 0) -> pa.Table:
    """``count`` rows of ``batch_id`` with ids ``r<start>``… (zero-padded, so they sort by number)."""
    ids = [f"r{i:06d}" for i in range(start, start + count)]
    return pa.Table.from_batches([_batch(batch_id, ids)])


def _staged_files(settings: Settings) -> set[Path]:
    return set(Path(settings.home / "warehouse").rglob("*.parquet"))


def _committed_rows(settings: Settings) -> pa.Table:
    return lake_table("landing.writer_test", settings=settings).scan().to_arrow().sort_by("id")


def test_write_file_splits_a_table_into_files_of_at_most_rows_per_file(huiliu_home: Settings) -> None:
    rows = _table_of("b1", 1001)
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=250)
    writer.write_file(rows, row_group_rows=100)
    committed = writer.commit()

    assert (committed.rows, committed.files) == (1001, 5)  # ceil(1001 / 250)
    tasks = list(table.scan().plan_files())
    assert sorted(t.file.record_count for t in tasks) == [1, 250, 250, 250, 250]
    back = _committed_rows(huiliu_home)
    assert back["id"].to_pylist() == rows["id"].to_pylist()
    assert back["amount"].to_pylist() == rows["amount"].to_pylist()
    assert set(back["_batch_id"].to_pylist()) == {"b1"}


def test_write_file_from_two_threads_at_once_commits_every_row_once(huiliu_home: Settings) -> None:
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=100)
    halves = [_table_of("b1", 450, start=0), _table_of("b1", 450, start=450)]
    start = threading.Barrier(2)

    def write(part: pa.Table) -> None:
        start.wait(timeout=10)
        writer.write_file(part, row_group_rows=50)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(write, half) for half in halves]:
            done.result()
    committed = writer.commit()

    assert (committed.rows, committed.files) == (900, 10)
    assert _committed_rows(huiliu_home)["id"].to_pylist() == [f"r{i:06d}" for i in range(900)]


def test_abort_after_write_file_deletes_its_files_and_leaves_the_table(huiliu_home: Settings) -> None:
    _land(huiliu_home, "b0", ["a", "b"])
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    before = table.current_snapshot().snapshot_id
    files_before = _staged_files(huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=100)
    writer.write_file(_table_of("b1", 350))
    assert len(_staged_files(huiliu_home) - files_before) == 4

    writer.abort()

    assert _staged_files(huiliu_home) == files_before
    table.refresh()
    assert table.current_snapshot().snapshot_id == before
    assert _rows(huiliu_home) == [("b0", "a"), ("b0", "b")]
    assert writer.rows == 0  # a held batch reports no rows for what it never committed


def test_write_file_of_a_table_made_of_many_slices_reads_back_the_same_rows(
    huiliu_home: Settings,
) -> None:
    whole = _table_of("b1", 600)
    sliced = pa.concat_tables([whole.slice(start, 7) for start in range(0, 600, 7)])
    assert sliced.column("id").num_chunks == 86
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=250)
    writer.write_file(sliced, row_group_rows=64)
    committed = writer.commit()

    assert (committed.rows, committed.files) == (600, 3)
    back = _committed_rows(huiliu_home).select(["id", "amount", "_batch_id"])
    assert back.equals(whole.select(["id", "amount", "_batch_id"]))


def test_write_file_replaces_an_earlier_landing_of_the_batch(huiliu_home: Settings) -> None:
    _land(huiliu_home, "b1", ["old1", "old2"])
    _land(huiliu_home, "b2", ["kept"])
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=2)
    writer.write_file(_table_of("b1", 3))
    writer.commit()
    assert _rows(huiliu_home) == [
        ("b2", "kept"),
        ("b1", "r000000"),
        ("b1", "r000001"),
        ("b1", "r000002"),
    ]


def _column_encodings(path: str) -> dict[str, set[str]]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    found: dict[str, set[str]] = {}
    for group in range(meta.num_row_groups):
        for index in range(meta.num_columns):
            column = meta.row_group(group).column(index)
            found.setdefault(column.path_in_schema, set()).update(column.encodings)
    return found


def test_only_columns_that_repeat_their_values_are_dictionary_encoded(huiliu_home: Settings) -> None:
    from huiliu.lake.writer import dictionary_columns

    rows = _table_of("b1", 5000)  # distinct ids; amount, _batch_id, _ingested_at, _source repeat
    assert dictionary_columns(rows) == ["amount", "_batch_id", "_ingested_at", "_source"]
    assert dictionary_columns(rows.slice(0, 10)) == SCHEMA.names  # too few rows to tell: all

    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA)
    writer.write_file(rows, row_group_rows=1000)
    writer.commit()
    (path,) = [t.file.file_path for t in table.scan().plan_files()]
    encodings = _column_encodings(path)
    assert "RLE_DICTIONARY" not in encodings["id"]
    assert {"RLE_DICTIONARY"} <= encodings["_batch_id"] & encodings["_source"]
    assert _committed_rows(huiliu_home)["id"].to_pylist() == rows["id"].to_pylist()


def test_a_copied_file_is_committed_with_its_rows_only_when_its_columns_are_the_tables(
    huiliu_home: Settings,
) -> None:
    _land(huiliu_home, "b1", ["a", "b", "c"])
    (original,) = [
        t.file.file_path for t in lake_table("landing.writer_test", settings=huiliu_home).scan().plan_files()
    ]
    other = lake_table("curated.writer_test", SCHEMA, huiliu_home)
    copier = StagedBatchWriter(other, "b1", SCHEMA)
    assert copier.same_columns(original)
    widened = pa.schema([*SCHEMA, pa.field("note", pa.string())])
    assert not StagedBatchWriter(other, "b1", widened).same_columns(original)
    retyped = pa.schema([pa.field(f.name, pa.string()) if f.name == "amount" else f for f in SCHEMA])
    assert not StagedBatchWriter(other, "b1", retyped).same_columns(original)

    copier.copy_file(original, rows=3)
    committed = copier.commit()

    assert (committed.rows, committed.files) == (3, 1)
    assert sorted(other.scan().to_arrow()["id"].to_pylist()) == ["a", "b", "c"]


def _masks(count: int) -> dict[str, np.ndarray]:
    position = np.arange(count)
    masks = {
        "all kept": np.ones(count, dtype=bool),
        "all dropped": np.zeros(count, dtype=bool),
        "first dropped": position != 0,
        "last dropped": position != count - 1,
        "every other dropped": position % 2 == 1,
        "one row kept": position == count // 2,
        "a whole file dropped": (position < 15) | (position >= 30),
    }
    for seed in range(3):
        rng = np.random.default_rng(seed)
        masks[f"random {seed}"] = rng.random(count) < rng.uniform(0.1, 0.9)
    return masks


@pytest.mark.parametrize("mask", sorted(_masks(40)))
@pytest.mark.parametrize("pieces", [None, 4], ids=["contiguous", "many chunks"])
def test_write_file_writes_only_the_kept_rows_in_order(
    huiliu_home: Settings, mask: str, pieces: int | None
) -> None:
    rows = _table_of("b1", 40)
    if pieces:
        rows = pa.Table.from_batches(rows.to_batches(max_chunksize=pieces))
    keep = _masks(40)[mask]
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=15)

    writer.write_file(rows, row_group_rows=7, keep=keep)
    committed = writer.commit()

    kept = rows.filter(pa.array(keep))
    assert committed.rows == kept.num_rows
    parts = [keep[start : start + 15] for start in (0, 15, 30)]  # files of up to 15 rows
    assert committed.files == sum(part.any() for part in parts)  # none for a part with no row kept
    back = lake_table("landing.writer_test", settings=huiliu_home).scan().to_arrow()
    assert sorted(back["id"].to_pylist()) == kept["id"].to_pylist()


def test_files_are_committed_in_reserved_order_whichever_write_finishes_first(huiliu_home: Settings) -> None:
    table = lake_table("landing.writer_test", SCHEMA, huiliu_home)
    writer = StagedBatchWriter(table, "b1", SCHEMA, rows_per_file=100)
    first, second, third = writer.reserve(), writer.reserve(), writer.reserve()
    writer.write_file(_table_of("b1", 250, start=300), slot=third)  # the last part is written first
    writer.write_file(_table_of("b1", 150, start=150), slot=second)
    writer.write_file(_table_of("b1", 150, start=0), slot=first)
    writer.commit()

    assert [t.file.record_count for t in table.scan().plan_files()] == [100, 50, 100, 50, 100, 100, 50]
    assert table.scan().to_arrow()["id"].to_pylist() == [f"r{i:06d}" for i in range(550)]
