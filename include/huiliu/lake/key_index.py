"""Each curated data file's key hashes, kept on local disk so a file's keys are read and hashed once.

A committed data file never changes (Iceberg writes a new file for every change), so the hashes of
its keys (:mod:`huiliu.returnflow.key_hashes`) hold for as long as the file exists. The first
reader that hashes a file keeps them in an index file under ``home/indexes/key_hashes``, named by
the SHA-256 of the data file's location; later readers of any snapshot holding that file take the
hashes from there instead of reading and hashing its key column again (about half of the
re-identification guard's pass on a 1M-row registry).

An index is taken only when its header matches the data file (location, size in bytes, rows), the
key's columns and the hash function's version, its length matches its rows and its hashes match the
CRC-32 kept beside them; a missing, torn, damaged, stale or foreign index is ignored and the keys are
hashed again (a wrong hash could make two versions of a record look like two records). The folder
is a cache: deleting it loses nothing, and an index that cannot be written (a read-only home) is
only logged. Lake maintenance drops the indexes of data files that are gone (:func:`prune`).

The hashes are as sensitive as the keys themselves (a key of few digits, such as an ID number, is
found again from its hash by trying every number): folders and files are the owner's alone, as the
lake beside them should be.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from huiliu.settings import Settings, get_settings

log = logging.getLogger(__name__)

Hashes = npt.NDArray[np.uint64]

MAGIC = b"HUILIU-KEY-HASHES-2\n"
"""The first bytes of every index file."""


@dataclass(frozen=True)
class IndexedFile:
    """One data file as its index names it: where it is, its size and rows, its key and the hash
    function its key hashes were made with (:func:`huiliu.returnflow.key_hashes.hash_function`)."""

    location: str
    size: int
    rows: int
    key: tuple[str, ...]
    function: str

    def header(self) -> bytes:
        fields = {
            "location": self.location,
            "bytes": self.size,
            "rows": self.rows,
            "key": list(self.key),
            "function": self.function,
        }
        return MAGIC + json.dumps(fields, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def index_folder(settings: Settings | None = None) -> Path:
    """Where the key-hash indexes are kept."""
    return (settings or get_settings()).home / "indexes" / "key_hashes"


def index_path(location: str, folder: Path | None = None) -> Path:
    """The index file of a data file (by its location)."""
    name = hashlib.sha256(location.encode()).hexdigest()
    return (folder or index_folder()) / name[:2] / f"{name}.keys"


def load(file: IndexedFile, folder: Path | None = None) -> Hashes | None:
    """The data file's key hashes from its index, or None when there is no index that matches it."""
    path = index_path(file.location, folder)
    header = file.header()
    try:
        with path.open("rb") as stored:
            if stored.read(len(header)) != header:
                return None
            stored_words = np.fromfile(stored, dtype="<u8")
    except OSError:
        return None
    if len(stored_words) != file.rows + 1:  # torn or padded
        return None
    hashes = stored_words[1:]
    if _checksum(hashes) != int(stored_words[0]):  # damaged
        return None
    return hashes.astype(np.uint64, copy=False)


def _checksum(hashes: npt.NDArray[np.uint64]) -> int:
    """The CRC-32 of the hashes' bytes as they are stored (little-endian words)."""
    return zlib.crc32(np.ascontiguousarray(hashes, dtype="<u8").data.cast("B"))


def keep(file: IndexedFile, hashes: Hashes, folder: Path | None = None) -> None:
    """Keep the data file's key hashes in its index (written whole, then renamed into place)."""
    if len(hashes) != file.rows:
        raise ValueError(f"{len(hashes)} key hashes for {file.rows} rows of {file.location}")
    path = index_path(file.location, folder)
    try:
        path.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                words = np.ascontiguousarray(hashes, dtype="<u8")
                out.write(file.header())
                out.write(np.array([_checksum(words)], dtype="<u8").tobytes())
                out.write(words.tobytes())
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("the key hashes of %s were not kept (%s); they are hashed again", file.location, exc)


@dataclass
class Pruned:
    """What :func:`prune` removed (or, in a dry run, would remove).

    Attributes:
        gone: the locations of the data files that are gone, whose indexes went.
        unreadable: the paths of index files that could not be read (damaged, or of a former layout).
        error: why some indexes were kept: their data file's existence could not be checked.
    """

    gone: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def removed(self) -> int:
        """Index files removed (or that would be)."""
        return len(self.gone) + len(self.unreadable)


def prune(exists: Callable[[str], bool], folder: Path | None = None, *, dry_run: bool = False) -> Pruned:
    """Remove the indexes whose data file no longer exists (``exists`` tells by its location),
    and unreadable ones (``dry_run``: remove nothing). An index whose data file cannot be checked
    (``exists`` raises) is kept, and the first such failure is reported."""
    pruned = Pruned()
    for path in sorted((folder or index_folder()).glob("*/*.keys")):
        try:
            with path.open("rb") as stored:
                head = stored.read(len(MAGIC)), stored.readline()
            location = json.loads(head[1])["location"] if head[0] == MAGIC else None
        except (OSError, ValueError, KeyError, TypeError):
            location = None
        if not isinstance(location, str):
            pruned.unreadable.append(str(path))
        else:
            try:
                if exists(location):
                    continue
            except Exception as exc:  # e.g. object storage not answering: keep the index
                pruned.error = pruned.error or f"{location}: {type(exc).__name__}: {exc}"[:500]
                continue
            pruned.gone.append(location)
        if not dry_run:
            path.unlink(missing_ok=True)
    return pruned
