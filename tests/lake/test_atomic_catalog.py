"""Several tables committed in one catalog transaction: visible together, or not at all."""

from __future__ import annotations

import threading

import pytest
from pyiceberg.exceptions import CommitFailedException
from tests.lake.test_writer import SCHEMA, _batch

from huiliu.lake.atomic_catalog import AtomicSqlCatalog, commit_together
from huiliu.lake.catalog import lake_table
from huiliu.lake.writer import StagedBatchWriter
from huiliu.settings import Settings


def _rows(identifier: str, settings: Settings) -> list[str]:
    """What an independent reader sees: a new catalog connection, the table loaded afresh."""
    reader = AtomicSqlCatalog("reader", uri=settings.catalog_db_url, warehouse=settings.warehouse_location)
    reader.name = settings.catalog_name  # the same catalog's rows
    return sorted(reader.load_table(identifier).scan().to_arrow()["id"].to_pylist())


def _stage(identifier: str, settings: Settings, batch_id: str, ids: list[str]) -> StagedBatchWriter:
    writer = StagedBatchWriter(lake_table(identifier, SCHEMA, settings), batch_id, SCHEMA)
    writer.write(_batch(batch_id, ids))
    return writer


def test_commits_inside_the_block_become_visible_together_at_its_end(huiliu_home: Settings) -> None:
    first = _stage("curated.t_a", huiliu_home, "b1", ["1", "2"])
    second = _stage("quarantine.t_a", huiliu_home, "b1", ["3"])

    with commit_together(first.table, second.table):
        first.commit()
        assert _rows("curated.t_a", huiliu_home) == []  # committed, but not visible yet
        second.commit()
        assert _rows("quarantine.t_a", huiliu_home) == []

    assert _rows("curated.t_a", huiliu_home) == ["1", "2"]
    assert _rows("quarantine.t_a", huiliu_home) == ["3"]


def test_a_table_changed_meanwhile_makes_the_whole_group_fail_and_nothing_visible(
    huiliu_home: Settings,
) -> None:
    first = _stage("curated.t_b", huiliu_home, "b1", ["1"])
    second = _stage("quarantine.t_b", huiliu_home, "b1", ["2"])
    intruder = _stage("quarantine.t_b", huiliu_home, "other", ["9"])

    with pytest.raises(CommitFailedException), commit_together(first.table, second.table):
        first.commit()
        second.commit()
        other = threading.Thread(target=intruder.commit)  # another writer, outside the group
        other.start()
        other.join()

    assert _rows("curated.t_b", huiliu_home) == []
    assert _rows("quarantine.t_b", huiliu_home) == ["9"]
    assert first.table.current_snapshot() is None  # the group's tables are re-read


def test_an_error_inside_the_block_commits_nothing(huiliu_home: Settings) -> None:
    first = _stage("curated.t_c", huiliu_home, "b1", ["1"])

    with pytest.raises(RuntimeError), commit_together(first.table):
        first.commit()
        raise RuntimeError("the second zone could not be written")

    assert _rows("curated.t_c", huiliu_home) == []
