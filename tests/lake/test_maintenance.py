"""Orphaned lake files: found, removed when old enough, never a file any snapshot refers to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from tests.lake.test_writer import SCHEMA, _batch

from huiliu.lake.catalog import lake_table
from huiliu.lake.maintenance import find_orphans, remove_orphans
from huiliu.lake.writer import StagedBatchWriter
from huiliu.settings import Settings

HUILIU = str(Path(sys.executable).with_name("huiliu"))
TABLE = "landing.t_orphans"


def _rows(settings: Settings) -> list[str]:
    return sorted(lake_table(TABLE, settings=settings).scan().to_arrow()["id"].to_pylist())


def _commit(settings: Settings, batch_id: str, ids: list[str]) -> None:
    with StagedBatchWriter(lake_table(TABLE, SCHEMA, settings), batch_id, SCHEMA) as writer:
        writer.write(_batch(batch_id, ids))
        writer.commit()


def _strand(settings: Settings, batch_id: str) -> list[Path]:
    """Stage files as a killed run leaves them: written, never committed, never cleaned up."""
    writer = StagedBatchWriter(lake_table(TABLE, SCHEMA, settings), batch_id, SCHEMA, rows_per_file=2)
    writer.write(_batch(batch_id, ["x1", "x2", "x3"]))
    writer._close_file()
    return [Path(p.removeprefix("file://")) for p in writer._files]


def _age(paths: list[Path], hours: float) -> None:
    then = time.time() - hours * 3600
    for path in paths:
        os.utime(path, (then, then))


def test_only_unreferenced_files_older_than_the_window_are_removed(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1", "2"])
    _commit(huiliu_home, "b1", ["1", "2", "3"])  # replaces b1: the old file stays in the history
    _commit(huiliu_home, "b2", ["4"])
    old_orphans = _strand(huiliu_home, "killed")
    young_orphans = _strand(huiliu_home, "running")
    _age(old_orphans, 48)
    before = _rows(huiliu_home)
    table = lake_table(TABLE, settings=huiliu_home)
    first_snapshot = table.snapshots()[0].snapshot_id
    back_then = sorted(table.scan(snapshot_id=first_snapshot).to_arrow()["id"].to_pylist())

    preview = remove_orphans(tables=[TABLE], dry_run=True, settings=huiliu_home)

    assert [len(t.files) for t in preview] == [len(old_orphans)] and not preview[0].removed
    assert all(p.exists() for p in old_orphans)  # a dry run removes nothing
    assert preview[0].kept_young == len(young_orphans)

    size = sum(p.stat().st_size for p in old_orphans)
    report = remove_orphans(tables=[TABLE], settings=huiliu_home)

    assert report[0].removed and len(report[0].files) == len(old_orphans) == 2
    assert report[0].bytes == size
    assert not any(p.exists() for p in old_orphans) and all(p.exists() for p in young_orphans)
    assert _rows(huiliu_home) == before == ["1", "2", "3", "4"]
    table = lake_table(TABLE, settings=huiliu_home)
    assert sorted(table.scan(snapshot_id=first_snapshot).to_arrow()["id"].to_pylist()) == back_then
    assert find_orphans(table, timedelta(hours=24)).files == []  # a second run finds nothing


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
    assert not any(p.exists() for p in stranded)

    refused = subprocess.run(
        [HUILIU, "lake", "maintain", "--older-than", "soon"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode != 0 and "24h or 7d" in refused.stderr


def test_metadata_left_by_a_refused_group_commit_is_an_orphan_too(huiliu_home: Settings) -> None:
    _commit(huiliu_home, "b1", ["1"])
    table = lake_table(TABLE, settings=huiliu_home)
    metadata = Path(table.metadata_location.removeprefix("file://")).parent
    stray = metadata / "00099-0000-stray.metadata.json"
    stray.write_text(json.dumps({"format-version": 2}), encoding="utf-8")
    _age([stray], 30)

    found = find_orphans(table, timedelta(hours=24))

    assert [f.path for f in found.files] == [f"metadata/{stray.name}"]
    assert not any(
        f.path.endswith(".metadata.json") and f.path != f"metadata/{stray.name}" for f in found.files
    )
