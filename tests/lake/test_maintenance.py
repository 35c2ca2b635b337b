"""Orphaned lake files: found, removed when old enough, never a file any snapshot refers to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from tests.lake.test_writer import SCHEMA, _batch
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.errors import LakeError
from huiliu.lake import maintenance
from huiliu.lake.catalog import get_catalog, lake_table
from huiliu.lake.maintenance import LakeMaintenanceError, find_orphans, remove_orphans
from huiliu.lake.writer import StagedBatchWriter
from huiliu.settings import Settings

HUILIU = str(Path(sys.executable).with_name("huiliu"))
TABLE = "landing.t_orphans"
OTHER = "curated.t_orphans"


def _rows(settings: Settings, table: str = TABLE) -> list[str]:
    return sorted(lake_table(table, settings=settings).scan().to_arrow()["id"].to_pylist())


def _commit(settings: Settings, batch_id: str, ids: list[str], table: str = TABLE) -> list[Path]:
    with StagedBatchWriter(lake_table(table, SCHEMA, settings), batch_id, SCHEMA) as writer:
        writer.write(_batch(batch_id, ids))
        writer.commit()
        return [Path(p.removeprefix("file://")) for p in writer.staged_files]


def _strand(settings: Settings, batch_id: str, table: str = TABLE) -> list[Path]:
    """Stage files as a killed run leaves them: written, never committed, never cleaned up."""
    writer = StagedBatchWriter(lake_table(table, SCHEMA, settings), batch_id, SCHEMA, rows_per_file=2)
    writer.write(_batch(batch_id, ["x1", "x2", "x3"]))
    writer._close_file()
    return [Path(p.removeprefix("file://")) for p in writer.staged_files]


def _age(paths: list[Path], hours: float) -> None:
    then = time.time() - hours * 3600
    for path in paths:
        os.utime(path, (then, then))


def _table_files(settings: Settings, table: str = TABLE) -> set[Path]:
    location = Path(lake_table(table, settings=settings).location().removeprefix("file://"))
    return {p for p in location.rglob("*") if p.is_file()}


def test_only_unreferenced_files_older_than_the_window_are_removed(huiliu_home: Settings) -> None:
    replaced = _commit(huiliu_home, "b1", ["1", "2"])
    _commit(huiliu_home, "b1", ["1", "2", "3"])  # replaces b1: the old file stays in the history
    _commit(huiliu_home, "b2", ["4"])
    aborted = StagedBatchWriter(lake_table(TABLE, SCHEMA, huiliu_home), "aborted", SCHEMA)
    aborted.write(_batch("aborted", ["9"]))
    aborted.abort()
    old_orphans = _strand(huiliu_home, "killed")
    young_orphans = _strand(huiliu_home, "running")
    everything = _table_files(huiliu_home)
    _age(list(everything - set(young_orphans)), 48)  # committed files are as old as the orphans
    before = _rows(huiliu_home)
    table = lake_table(TABLE, settings=huiliu_home)
    snapshots = [s.snapshot_id for s in table.snapshots()]
    back_then = sorted(table.scan(snapshot_id=snapshots[0]).to_arrow()["id"].to_pylist())

    preview = remove_orphans(tables=[TABLE], dry_run=True, settings=huiliu_home)

    assert [len(t.files) for t in preview.tables] == [len(old_orphans)] and not preview.tables[0].removed
    assert {f.path for f in preview.tables[0].files} == {f"data/killed/{p.name}" for p in old_orphans}
    assert _table_files(huiliu_home) == everything  # a dry run removes nothing
    assert preview.tables[0].kept_young == len(young_orphans)

    size = sum(p.stat().st_size for p in old_orphans)
    report = remove_orphans(tables=[TABLE], settings=huiliu_home)

    assert report.tables[0].removed and len(report.tables[0].files) == len(old_orphans) == 2
    assert report.tables[0].bytes == size
    assert _table_files(huiliu_home) == everything - set(old_orphans)
    assert all(p.exists() for p in replaced)  # only an old snapshot reads them: still referenced
    assert _rows(huiliu_home) == before == ["1", "2", "3", "4"]
    table = lake_table(TABLE, settings=huiliu_home)
    assert [s.snapshot_id for s in table.snapshots()] == snapshots  # snapshots are kept
    assert sorted(table.scan(snapshot_id=snapshots[0]).to_arrow()["id"].to_pylist()) == back_then

    again = remove_orphans(tables=[TABLE], settings=huiliu_home)

    assert again.tables[0].files == [] and _table_files(huiliu_home) == everything - set(old_orphans)


def test_files_younger_than_the_window_stay_until_they_are_old(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    staged = _strand(huiliu_home, "slow_run")
    _age(staged, 5)

    early = remove_orphans(tables=[TABLE], older_than=timedelta(hours=6), settings=huiliu_home)
    assert early.tables[0].files == []
    assert all(p.exists() for p in staged)

    report = remove_orphans(tables=[TABLE], older_than=timedelta(hours=4), settings=huiliu_home)

    assert len(report.tables[0].files) == 2 and not any(p.exists() for p in staged)


def test_a_window_shorter_than_an_hour_is_refused(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    staged = _strand(huiliu_home, "running")

    with pytest.raises(LakeError, match=r"a safety window of 0:30:00 is too short.*use at least 1h"):
        remove_orphans(older_than=timedelta(minutes=30), settings=huiliu_home)

    assert all(p.exists() for p in staged)


def test_a_commit_made_while_maintenance_ran_keeps_its_files(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    table = lake_table(TABLE, settings=huiliu_home)
    writer = StagedBatchWriter(table, "late", SCHEMA)
    writer.write(_batch("late", ["7"]))
    writer._close_file()
    late = [Path(p.removeprefix("file://")) for p in writer.staged_files]
    _age(late, 48)  # staged long ago, committed only now
    found = find_orphans(table, timedelta(hours=24))
    assert [f.path for f in found.files] == [f"data/late/{late[0].name}"]

    writer.commit()
    maintenance.delete_orphans(lake_table(TABLE, settings=huiliu_home), found)

    assert found.files == [] and all(p.exists() for p in late)
    assert _rows(huiliu_home) == ["1", "7"]


def test_metadata_left_by_a_refused_group_commit_is_an_orphan_too(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    table = lake_table(TABLE, settings=huiliu_home)
    metadata = Path(table.metadata_location.removeprefix("file://")).parent
    stray = metadata / "00099-0000-stray.metadata.json"
    stray.write_text(json.dumps({"format-version": 2}), encoding="utf-8")
    _age(list(_table_files(huiliu_home)), 30)

    found = find_orphans(table, timedelta(hours=24))

    assert [f.path for f in found.files] == [f"metadata/{stray.name}"]  # manifests and old metadata stay


def test_a_table_whose_files_are_missing_is_left_alone_and_the_others_are_still_cleaned(
    huiliu_home: Settings,
) -> None:
    live = _commit(huiliu_home, "b1", ["1"])
    broken_orphans = _strand(huiliu_home, "killed")
    _commit(huiliu_home, "b1", ["1"], table=OTHER)
    other_orphans = _strand(huiliu_home, "killed", table=OTHER)
    _age([*broken_orphans, *other_orphans], 48)
    live[0].unlink()  # the listing no longer shows a file the table reads

    with pytest.raises(LakeMaintenanceError) as raised:
        remove_orphans(settings=huiliu_home)

    by_table = {t.table: t for t in raised.value.report.tables}
    assert by_table[TABLE].error is not None and not by_table[TABLE].removed
    assert "1 file(s) its current state reads were not found" in by_table[TABLE].error
    assert "nothing was removed" in str(raised.value)
    assert all(p.exists() for p in broken_orphans)
    assert by_table[OTHER].removed and not any(p.exists() for p in other_orphans)


def test_tables_sharing_a_location_are_left_alone(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    location = lake_table(TABLE, settings=huiliu_home).location()
    get_catalog(huiliu_home).create_table("landing.t_same_place", schema=SCHEMA, location=location)
    staged = _strand(huiliu_home, "killed")
    _age(list(_table_files(huiliu_home)), 48)

    report = remove_orphans(settings=huiliu_home)

    skipped = {t.table: t.skipped for t in report.tables if t.skipped}
    assert set(skipped) == {TABLE, "landing.t_same_place"}
    assert "overlaps lake table" in skipped[TABLE]
    assert all(p.exists() for p in staged) and _rows(huiliu_home) == ["1"]


def test_expiring_snapshots_is_asked_for_and_frees_the_files_only_they_read(
    huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    replaced = _commit(huiliu_home, "b1", ["1", "2"])
    kept = _commit(huiliu_home, "b1", ["1", "2", "3"])
    _commit(huiliu_home, "b2", ["4"])
    table = lake_table(TABLE, settings=huiliu_home)
    current = table.current_snapshot().snapshot_id
    history = len(table.snapshots())  # a replacing commit makes two: the delete and the append
    later = datetime.now(UTC) + timedelta(days=10)
    monkeypatch.setattr(maintenance, "_now", lambda: later)

    preview = remove_orphans(
        tables=[TABLE], dry_run=True, expire_older_than=timedelta(days=7), settings=huiliu_home
    )
    assert preview.tables[0].expired_snapshots == history - 1 >= 2
    assert len(lake_table(TABLE, settings=huiliu_home).snapshots()) == history

    with pytest.raises(LakeError, match="too soon: keep at least 1 day"):
        remove_orphans(tables=[TABLE], expire_older_than=timedelta(hours=2), settings=huiliu_home)

    report = remove_orphans(tables=[TABLE], expire_older_than=timedelta(days=7), settings=huiliu_home)

    table = lake_table(TABLE, settings=huiliu_home)
    assert report.tables[0].expired_snapshots == history - 1
    assert [s.snapshot_id for s in table.snapshots()] == [current]
    assert f"data/b1/{replaced[0].name}" in {f.path for f in report.tables[0].files}
    assert not any(p.exists() for p in replaced) and all(p.exists() for p in kept)
    assert _rows(huiliu_home) == ["1", "2", "3", "4"]


def test_huiliu_lake_maintain_reports_per_table_as_json(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    stranded = _strand(huiliu_home, "killed")
    _age(stranded, 30)
    env = {**os.environ, "HUILIU_HOME": str(huiliu_home.home)}

    run = subprocess.run(
        [HUILIU, "lake", "maintain", "--older-than", "1d", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    mine = next(t for t in report["tables"] if t["table"] == TABLE)
    assert mine["files"] == 2 and mine["removed"] and all(p.startswith("data/killed/") for p in mine["paths"])
    assert mine["expired_snapshots"] == 0
    assert not any(p.exists() for p in stranded)


def test_huiliu_lake_maintain_prints_a_table_and_totals(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    _age(_strand(huiliu_home, "killed"), 30)

    result = CliRunner().invoke(app, ["lake", "maintain", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert TABLE in result.stdout
    assert "would remove 2 file(s)" in result.stdout and "将删除 2 个文件" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--older-than", "soon"], "24h or 7d", id="unreadable-window"),
        pytest.param(["--older-than", "10m"], "too short", id="window-too-short"),
        pytest.param(["--table", "landing.nope"], "no lake table landing.nope", id="unknown-table"),
        pytest.param(["--expire-snapshots-older-than", "3h"], "too soon", id="expiry-too-soon"),
    ],
)
def test_huiliu_lake_maintain_refuses_with_the_reason(
    huiliu_home: Settings, arguments: list[str], message: str
) -> None:
    _commit(huiliu_home, "b1", ["1"])
    staged = _strand(huiliu_home, "killed")
    _age(staged, 48)

    result = CliRunner().invoke(app, ["lake", "maintain", *arguments])

    assert result.exit_code == 1 and message in result.stderr
    assert all(p.exists() for p in staged)


def test_huiliu_lake_maintain_fails_when_a_table_failed(huiliu_home: Settings) -> None:
    live = _commit(huiliu_home, "b1", ["1"])
    live[0].unlink()

    result = CliRunner().invoke(app, ["lake", "maintain", "--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["tables"][0]["error"].startswith(f"lake table {TABLE}: 1 file(s)")
    assert "lake maintenance did not finish" in result.stderr


def test_removing_orphans_drops_the_key_hash_indexes_of_files_that_are_gone(huiliu_home: Settings) -> None:
    from huiliu.lake import key_index

    kept = _commit(huiliu_home, "b1", ["1", "2"])
    stranded = _strand(huiliu_home, "killed")
    _age(stranded, 48)
    table = lake_table(TABLE, settings=huiliu_home)
    folder = key_index.index_folder(huiliu_home)
    files = [key_index.IndexedFile(p.as_uri(), p.stat().st_size, 2, ("id",), "f") for p in [*kept, *stranded]]
    for file in files:
        key_index.keep(file, np.arange(2, dtype=np.uint64), folder)
    assert all(file.location.startswith("file://") for file in files) and table.io

    gone = sorted(p.as_uri() for p in stranded)
    preview = remove_orphans(tables=[TABLE], dry_run=True, settings=huiliu_home)
    assert sorted(preview.indexes.gone) == gone
    assert all(key_index.load(file, folder) is not None for file in files)  # a dry run keeps them

    report = remove_orphans(tables=[TABLE], settings=huiliu_home)

    assert sorted(report.indexes.gone) == gone and report.indexes.error is None
    assert [key_index.load(file, folder) is not None for file in files] == [True] * len(kept) + [False] * len(
        stranded
    )
    assert remove_orphans(tables=[TABLE], settings=huiliu_home).indexes.gone == []


def test_huiliu_lake_maintain_lists_the_key_hash_indexes_it_removes(huiliu_home: Settings) -> None:
    from huiliu.lake import key_index

    _commit(huiliu_home, "b1", ["1"])
    gone = huiliu_home.home / "gone.parquet"
    key_index.keep(
        key_index.IndexedFile(gone.as_uri(), 10, 2, ("id",), "f"),
        np.arange(2, dtype=np.uint64),
        key_index.index_folder(huiliu_home),
    )
    former = key_index.index_path("file:///lake/old.parquet", key_index.index_folder(huiliu_home))
    former.parent.mkdir(parents=True, exist_ok=True)
    former.write_bytes(b'HUILIU-KEY-HASHES\n{"location": "file:///lake/old.parquet"}\n')  # a former layout

    preview = CliRunner().invoke(app, ["lake", "maintain", "--dry-run"])
    done = CliRunner().invoke(app, ["lake", "maintain", "--json"])

    assert preview.exit_code == 0, preview.output
    assert "would remove the key-hash indexes of 1 data file(s) no longer in the lake" in preview.stdout
    assert "将删除 1 个已不在湖中的数据文件的键哈希索引" in preview.stdout
    assert "would remove 1 unreadable key-hash index file(s)" in preview.stdout
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["key_hash_indexes"] == {
        "removed": 2,
        "data_files": [gone.as_uri()],
        "unreadable": [str(former)],
    }
    assert not list(key_index.index_folder(huiliu_home).glob("*/*.keys"))
