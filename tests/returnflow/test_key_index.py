"""A data file's key hashes are read and hashed once: later reads take them from the file's index,
and an index that does not match its file is never taken."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from tests.returnflow.test_snapshot_reads import GUARD, ID, registry, worker

from huiliu.contracts.model import DatasetContract
from huiliu.lake import key_index
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings

__all__ = ["registry", "worker"]  # fixtures


class _Reads:
    """The columns each data file was read with."""

    def __init__(self, snapshot: CuratedSnapshot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.columns: list[list[str]] = []
        original = snapshot._read_file

        def recorded(path, names, dictionaries, optional):  # type: ignore[no-untyped-def]
            self.columns.append(list(names))
            return original(path, names, dictionaries, optional)

        monkeypatch.setattr(snapshot, "_read_file", recorded)

    @property
    def keys_read(self) -> int:
        return sum(ID in names for names in self.columns)


def _read(snapshot: CuratedSnapshot, worker: ThreadPoolExecutor) -> np.ndarray:
    together = snapshot.columns_and_current(GUARD, dictionaries=GUARD, worker=worker)
    assert together is not None
    return together[1].result()


def _indexes(settings: Settings) -> list[Path]:
    return sorted(key_index.index_folder(settings).glob("*/*.keys"))


def test_a_second_read_takes_each_files_key_hashes_from_its_index(
    registry: DatasetContract,
    worker: ThreadPoolExecutor,
    huiliu_home: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = CuratedSnapshot(registry)
    files = len(first._planned())
    truth = _read(first, worker)
    assert len(_indexes(huiliu_home)) == files  # one index per data file

    again = CuratedSnapshot(registry)
    reads = _Reads(again, monkeypatch)
    together = again.columns_and_current(GUARD, dictionaries=GUARD, worker=worker)
    assert together is not None
    hashes, current = together[1].result(), together[2].result()

    assert reads.keys_read == 0 and len(reads.columns) == files  # the key column is not read again
    assert hashes.tolist() == truth.tolist()
    assert current.tolist() == CuratedSnapshot(registry).current().tolist()
    assert int(current.sum()) == 15  # the two re-issued records' earlier rows are still found


def test_current_alone_keeps_and_takes_the_indexes_too(
    registry: DatasetContract, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert int(CuratedSnapshot(registry).current().sum()) == 15
    assert _indexes(huiliu_home)

    again = CuratedSnapshot(registry)
    reads = _Reads(again, monkeypatch)
    assert int(again.current().sum()) == 15
    assert reads.keys_read == 0


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-3])


def _padded(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\0" * 8)


def _garbage(path: Path) -> None:
    path.write_bytes(b"not an index")


def _a_bit_flipped(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-13] ^= 0x10  # inside one of the hashes
    path.write_bytes(bytes(raw))


def _two_hashes_swapped(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[:-16] + raw[-8:] + raw[-16:-8])


def _another_hash_function(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"text-words-1", b"text-words-0"))


def _another_files_size(path: Path) -> None:
    raw = path.read_bytes()
    start = raw.index(b'"bytes": ') + len(b'"bytes": ')
    end = raw.index(b",", start)
    path.write_bytes(raw[:start] + str(int(raw[start:end]) + 1).encode() + raw[end:])


@pytest.mark.parametrize(
    "spoil",
    [
        _truncated,
        _padded,
        _garbage,
        _a_bit_flipped,
        _two_hashes_swapped,
        _another_hash_function,
        _another_files_size,
    ],
)
def test_an_index_that_does_not_match_its_file_is_ignored_and_written_again(
    registry: DatasetContract,
    worker: ThreadPoolExecutor,
    huiliu_home: Settings,
    monkeypatch: pytest.MonkeyPatch,
    spoil: Callable[[Path], None],
) -> None:
    truth = _read(CuratedSnapshot(registry), worker)
    spoilt = _indexes(huiliu_home)[0]
    spoil(spoilt)
    also = spoilt.read_bytes()

    snapshot = CuratedSnapshot(registry)
    reads = _Reads(snapshot, monkeypatch)
    hashes = _read(snapshot, worker)

    assert reads.keys_read == 1  # that file's keys are read and hashed again, the others' are not
    assert hashes.tolist() == truth.tolist()
    assert spoilt.read_bytes() != also  # and its index is written anew
    monkeypatch.undo()
    reads = _Reads(later := CuratedSnapshot(registry), monkeypatch)
    assert _read(later, worker).tolist() == truth.tolist() and reads.keys_read == 0


def test_an_index_that_cannot_be_written_only_costs_hashing_again(
    registry: DatasetContract,
    worker: ThreadPoolExecutor,
    huiliu_home: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = key_index.index_folder(huiliu_home)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the index folder would be")
    truth = CuratedSnapshot(registry)._key_hashes([ID])  # hashed without any index to write to

    with caplog.at_level(logging.WARNING, logger="huiliu.lake.key_index"):
        hashes = _read(CuratedSnapshot(registry), worker)

    assert hashes.tolist() == truth.tolist()
    assert "were not kept" in caplog.text
    snapshot = CuratedSnapshot(registry)
    reads = _Reads(snapshot, monkeypatch)
    assert int(snapshot.current(_read(snapshot, worker)).sum()) == 15
    assert reads.keys_read == len(snapshot._planned())


def test_pruning_drops_the_indexes_of_files_that_are_gone_and_unreadable_ones(tmp_path: Path) -> None:
    def indexed(location: str) -> key_index.IndexedFile:
        return key_index.IndexedFile(location=location, size=10, rows=2, key=("id",), function="f")

    hashes = np.array([1, 2], dtype=np.uint64)
    for location in ("file:///lake/kept.parquet", "file:///lake/gone.parquet", "s3://down/a.parquet"):
        key_index.keep(indexed(location), hashes, tmp_path)
    unreadable = []
    for name, raw in [
        ("torn", key_index.MAGIC + b"{not json"),
        ("no-location", key_index.MAGIC + b'{"location": 7}\n'),
        ("former-layout", b'HUILIU-KEY-HASHES\n{"location": "file:///lake/old.parquet"}\n'),
    ]:
        path = key_index.index_path(f"file:///lake/{name}.parquet", tmp_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        unreadable.append(str(path))

    def exists(location: str) -> bool:
        if location.startswith("s3://"):
            raise OSError("storage not answering")
        return location.endswith("kept.parquet")

    listed = key_index.prune(exists, tmp_path, dry_run=True)
    assert listed.gone == ["file:///lake/gone.parquet"] and sorted(listed.unreadable) == sorted(unreadable)
    assert all(Path(p).exists() for p in unreadable)
    assert key_index.load(indexed("file:///lake/gone.parquet"), tmp_path) is not None

    removed = key_index.prune(exists, tmp_path)

    assert removed == listed
    assert removed.error is not None and "s3://down/a.parquet" in removed.error
    kept = key_index.load(indexed("file:///lake/kept.parquet"), tmp_path)
    assert kept is not None and kept.tolist() == [1, 2]
    assert key_index.load(indexed("s3://down/a.parquet"), tmp_path) is not None  # not checked: kept
    assert key_index.load(indexed("file:///lake/gone.parquet"), tmp_path) is None
    assert not any(Path(p).exists() for p in unreadable)


def test_hashes_for_another_row_count_are_refused(tmp_path: Path) -> None:
    file = key_index.IndexedFile(
        location="file:///lake/a.parquet", size=10, rows=3, key=("id",), function="f"
    )
    with pytest.raises(ValueError, match="2 key hashes for 3 rows"):
        key_index.keep(file, np.array([1, 2], dtype=np.uint64), tmp_path)
    assert key_index.load(file, tmp_path) is None


def test_indexes_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    file = key_index.IndexedFile("file:///lake/a.parquet", size=10, rows=1, key=("id",), function="f")
    key_index.keep(file, np.array([7], dtype=np.uint64), tmp_path / "indexes")
    path = key_index.index_path(file.location, tmp_path / "indexes")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "indexes").stat().st_mode & 0o777 == 0o700
