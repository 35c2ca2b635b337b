"""Landing files whose rows all pass reach curated as copies of the file; the others are rewritten."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.lake import writer
from huiliu.lake.catalog import lake_table
from huiliu.lake.writer import StagedBatchWriter
from huiliu.quality import zones
from huiliu.quality.batch_stream import BatchScan, FilePiece
from huiliu.quality.file_copies import FileCopies, PieceRows, split_rows
from huiliu.quality.gate import run_gate
from huiliu.settings import PROJECT_ROOT, Settings
from tests.helpers.residents import a_community, bad_rows, insert, person
from tests.helpers.source_tables import SourceDb

CONTRACT = load_contract("resident_registry")
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def _digests(zone: str, settings: Settings) -> dict[str, int]:
    """Content hash → row count of each data file of ``zone``'s table."""
    files = lake_table(f"{zone}.resident_registry", settings=settings).inspect.files()
    return {
        hashlib.sha256(Path(path.removeprefix("file://")).read_bytes()).hexdigest(): count
        for path, count in zip(files["file_path"].to_pylist(), files["record_count"].to_pylist(), strict=True)
    }


def _land_in_files_of_20(source: SourceDb, settings: Settings, bad_at: int | None) -> str:
    """51 residents landed as files of 20, 20 and 11 rows; the one at ``bad_at`` has no name."""
    community = a_community(settings)
    rows = [person(i, community) for i in range(51)]
    if bad_at is not None:
        rows[bad_at] = bad_rows(community)["missing_name"]
    insert(source, rows)
    return land_dataset(CONTRACT, "20261101T000000").batch_id


@pytest.fixture
def files_of_20(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "ROWS_PER_FILE", 20)


@pytest.mark.parametrize("chunk_rows", [7, 20, 1000], ids=["file in parts", "file a chunk", "one chunk"])
@pytest.mark.parametrize("bad_at", [21, 39], ids=["fails in a file's first part", "fails in its last part"])
def test_passing_files_are_copied_and_a_file_with_a_failing_row_is_rewritten_without_it(
    source: SourceDb, huiliu_home: Settings, files_of_20: None, chunk_rows: int, bad_at: int
) -> None:
    batch_id = _land_in_files_of_20(source, huiliu_home, bad_at)
    landing = _digests("landing", huiliu_home)
    assert sorted(landing.values()) == [11, 20, 20]
    settings = huiliu_home.model_copy(update={"quality_chunk_rows": chunk_rows})

    result = run_gate(CONTRACT, batch_id, as_of=AS_OF, settings=settings)

    assert (result.rows_curated, result.rows_quarantined) == (50, 1)
    curated = _digests("curated", huiliu_home)
    copied = {digest: rows for digest, rows in curated.items() if digest in landing}
    assert sorted(copied.values()) == [11, 20]  # the two files whose rows all pass, byte for byte
    assert sum(rows for digest, rows in curated.items() if digest not in landing) == 19
    rows = lake_table("curated.resident_registry", settings=huiliu_home).scan().to_arrow()
    landed = lake_table("landing.resident_registry", settings=huiliu_home).scan().to_arrow()
    failing = landed["id_number"][bad_at].as_py()
    expected = landed.filter(pc.not_equal(landed["id_number"], failing)).sort_by("id_number")
    assert rows.sort_by("id_number").equals(expected)
    held = lake_table("quarantine.resident_registry", settings=huiliu_home).scan().to_arrow()
    assert held.select(landed.column_names).equals(landed.filter(pc.equal(landed["id_number"], failing)))


def _suite_without_birth_date_checks(folder: Path) -> Path:
    """The shipped resident suite less its birth_date expectations: a suite that reads every column
    but birth_date (every text column is read, for formula-like text)."""
    body = json.loads((PROJECT_ROOT / "expectations" / "resident_registry.json").read_text(encoding="utf-8"))
    body["expectations"] = [
        e
        for e in body["expectations"]
        if "birth_date" not in (e["kwargs"].get("column"), e["kwargs"].get("column_B"))
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "resident_registry.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return folder


def test_columns_the_suite_does_not_read_are_read_only_for_rewritten_files(
    source: SourceDb,
    huiliu_home: Settings,
    files_of_20: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    batch_id = _land_in_files_of_20(source, huiliu_home, bad_at=25)
    asked: list[tuple[str, list[str]]] = []
    file_columns = BatchScan.file_columns

    def recorded(self: BatchScan, path: str, columns: list[str]) -> pa.Table:
        asked.append((path, list(columns)))
        return file_columns(self, path, columns)

    monkeypatch.setattr(BatchScan, "file_columns", recorded)
    suites = huiliu_home.model_copy(
        update={"expectations_dir": _suite_without_birth_date_checks(tmp_path / "suites")}
    )
    run_gate(CONTRACT, batch_id, as_of=AS_OF, settings=suites)

    second = BatchScan(CONTRACT, batch_id, huiliu_home)._planned()[1].file.file_path
    assert asked == [(second, ["birth_date", "_batch_id", "_ingested_at", "_source"])]


def test_a_rerun_replaces_the_copies(source: SourceDb, huiliu_home: Settings, files_of_20: None) -> None:
    batch_id = _land_in_files_of_20(source, huiliu_home, bad_at=None)
    for _ in range(2):
        result = run_gate(CONTRACT, batch_id, as_of=AS_OF)
    assert result.rows_curated == 51
    assert sorted(_digests("curated", huiliu_home).values()) == [11, 20, 20]
    assert _digests("curated", huiliu_home).keys() == _digests("landing", huiliu_home).keys()


def test_a_failed_copy_commits_nothing_and_leaves_no_staged_files(
    source: SourceDb, huiliu_home: Settings, files_of_20: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_id = _land_in_files_of_20(source, huiliu_home, bad_at=30)
    copies = 0
    copy_file = StagedBatchWriter.copy_file

    def full_disk_on_second_copy(
        self: StagedBatchWriter, source: str, rows: int, slot: int | None = None
    ) -> None:
        nonlocal copies
        copies += 1
        if copies == 2:
            raise OSError("No space left on device")
        copy_file(self, source, rows, slot)

    monkeypatch.setattr(StagedBatchWriter, "copy_file", full_disk_on_second_copy)
    with pytest.raises(OSError, match="No space left"):
        run_gate(CONTRACT, batch_id, as_of=AS_OF)

    for zone in ("curated", "quarantine"):
        table = lake_table(f"{zone}.resident_registry", settings=huiliu_home)
        assert table.current_snapshot() is None
        assert not list(Path(table.location().removeprefix("file://")).rglob("*.parquet")), zone


def test_a_passing_file_whose_columns_are_not_curateds_is_written_row_by_row(
    source: SourceDb, huiliu_home: Settings, files_of_20: None
) -> None:
    batch_id = _land_in_files_of_20(source, huiliu_home, bad_at=None)
    scan = BatchScan(CONTRACT, batch_id, huiliu_home)
    schema = zones.curated_schema(CONTRACT)
    widened = schema.append(pa.field("note", pa.string()))  # curated after a contract gained a column
    curated = lake_table("curated.resident_registry", schema, huiliu_home)
    same = FileCopies(StagedBatchWriter(curated, batch_id, schema))
    evolved = FileCopies(StagedBatchWriter(curated, batch_id, widened))

    copied, written, rewritten = [], [], []
    for chunk in scan.file_chunks(7):
        keep = np.ones(chunk.rows.num_rows, dtype=bool)
        route = same.route(chunk, keep)
        written += route.write
        copied += route.copy
        route = evolved.route(chunk, keep)
        rewritten += [piece.rows for piece in route.write if piece.kept.all()]
        assert route.copy == []

    assert written == [] and sorted(rows for _, rows in copied) == [11, 20, 20]
    landed = lake_table("landing.resident_registry", settings=huiliu_home).scan().to_arrow()
    assert pa.concat_tables(rewritten)["id_number"].to_pylist() == landed["id_number"].to_pylist()


def test_pieces_split_for_the_writers_keep_their_rows_order_and_place_in_the_file() -> None:
    def piece(path: str, rows: int, file_start: int) -> PieceRows:
        table = pa.table({"n": [f"{path}{file_start + i}" for i in range(rows)]})
        where = FilePiece(path, 0, rows, True, False, file_start)
        return PieceRows(table, where, np.arange(rows) % 2 == 0, np.arange(rows) % 3 == 0)

    pieces = [piece("a", 5, 0), piece("b", 6, 10), piece("c", 1, 0)]

    runs = split_rows(pieces, 2)

    assert [sum(p.num_rows for p in run) for run in runs] == [6, 6]
    parts = [p for run in runs for p in run]
    assert [(p.piece.path, p.piece.file_start, p.num_rows) for p in parts] == [
        ("a", 0, 5),
        ("b", 10, 1),
        ("b", 11, 5),
        ("c", 0, 1),
    ]
    names = [n for p in parts for n in p.rows["n"].to_pylist()]
    assert names == [n for p in pieces for n in p.rows["n"].to_pylist()]
    kept = np.concatenate([p.kept for p in pieces])
    assert np.concatenate([p.kept for p in parts]).tolist() == kept.tolist()
    failed = np.concatenate([p.failed for p in pieces if p.failed is not None])
    assert np.concatenate([p.failed for p in parts if p.failed is not None]).tolist() == failed.tolist()
    assert [sum(p.num_rows for p in run) for run in split_rows(pieces, 100)] == [1] * 12
    assert split_rows([], 2) == []
