"""Staged writes: nothing visible before commit, re-runs replace, aborts leave the table as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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
