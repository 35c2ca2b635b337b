"""Remove files of the lake that no table state refers to.

A run killed after writing its Parquet files but before its commit, an aborted write whose files
could not be deleted, or a group commit refused by the catalog leaves files under a table's
location that no snapshot, manifest or metadata file names. They are never read, but they use
space. ``find_orphans`` lists them: every file under the table's location that is not the current
metadata file, one of its previous metadata files, a manifest list, a manifest, or a data or delete
file of any snapshot still in the table's history (so time travel keeps working), and that is older
than a safety window (a run in progress has staged files it has not committed yet; they are young).
``remove_orphans`` deletes them and reports what it removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from pyarrow import fs
from pyiceberg.table import Table

from huiliu.lake.catalog import lake_table, table_identifiers
from huiliu.settings import Settings, get_settings

log = logging.getLogger(__name__)
DEFAULT_SAFETY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class OrphanFile:
    """A file under a table's location that no table state refers to."""

    path: str  # relative to the table's location
    bytes: int
    modified: datetime


@dataclass
class TableOrphans:
    """The orphaned files of one table, and whether they were removed."""

    table: str
    files: list[OrphanFile] = field(default_factory=list)
    removed: bool = False
    kept_young: int = 0  # unreferenced files younger than the safety window, left alone

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "files": len(self.files),
            "bytes": self.bytes,
            "removed": self.removed,
            "kept_younger_than_window": self.kept_young,
            "paths": [f.path for f in self.files],
        }


def _key(location: str) -> str:
    """A location as the file system lists it: a local path, or ``bucket/key`` on S3."""
    parsed = urlparse(location)
    if parsed.scheme in ("", "file"):
        return parsed.path
    return f"{parsed.netloc}{parsed.path}"


def referenced_files(table: Table) -> set[str]:
    """Every file the table's metadata refers to, in any snapshot still in its history."""
    io = table.io
    metadata = table.metadata
    found = {_key(table.metadata_location)}
    found.update(_key(entry.metadata_file) for entry in metadata.metadata_log)
    for snapshot in metadata.snapshots:
        found.add(_key(snapshot.manifest_list))
        for manifest in snapshot.manifests(io):
            found.add(_key(manifest.manifest_path))
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=False):
                found.add(_key(entry.data_file.file_path))
    return found


def find_orphans(table: Table, older_than: timedelta = DEFAULT_SAFETY_WINDOW) -> TableOrphans:
    """The table's files that nothing refers to and that are older than ``older_than``."""
    table.refresh()
    location = table.location()
    filesystem, root = fs.FileSystem.from_uri(location)
    result = TableOrphans(".".join(table.name()))
    try:
        listed = filesystem.get_file_info(fs.FileSelector(root, recursive=True, allow_not_found=True))
    except FileNotFoundError:
        return result
    known = referenced_files(table)
    cutoff = datetime.now(UTC) - older_than
    for info in listed:
        if info.type != fs.FileType.File or info.path in known:
            continue
        modified = info.mtime if info.mtime.tzinfo else info.mtime.replace(tzinfo=UTC)
        if modified > cutoff:
            result.kept_young += 1
            continue
        relative = info.path[len(root) :].lstrip("/")
        result.files.append(OrphanFile(relative, info.size or 0, modified))
    result.files.sort(key=lambda f: f.path)
    return result


def remove_orphans(
    *,
    older_than: timedelta = DEFAULT_SAFETY_WINDOW,
    dry_run: bool = False,
    tables: list[str] | None = None,
    settings: Settings | None = None,
) -> list[TableOrphans]:
    """Find (and unless ``dry_run``, delete) the orphaned files of every lake table, or of ``tables``."""
    settings = settings or get_settings()
    report = []
    for identifier in tables or table_identifiers(settings):
        table = lake_table(identifier, settings=settings)
        orphans = find_orphans(table, older_than)
        if orphans.files and not dry_run:
            filesystem, root = fs.FileSystem.from_uri(table.location())
            for orphan in orphans.files:
                filesystem.delete_file(f"{root.rstrip('/')}/{orphan.path}")
            orphans.removed = True
            log.info("lake table %s: removed %d orphaned files", identifier, len(orphans.files))
        report.append(orphans)
    return report
