"""Remove files of the lake that no table state refers to.

A run killed after writing its Parquet files but before its commit, an aborted write whose files
could not be deleted, or a group commit refused by the catalog leaves files under a table's
location that no snapshot, manifest or metadata file names. They are never read, but they use
space. ``find_orphans`` lists them: every file under the table's location that is not the current
metadata file, one of its previous metadata files, a statistics file, a manifest list, a manifest,
or a data or delete file of any snapshot still in the table's history (so time travel keeps
working), and that is older than a safety window (a run in progress has staged files it has not
committed yet; they are young). ``remove_orphans`` deletes them, then drops the key-hash indexes of
data files that are gone (:mod:`huiliu.lake.key_index`), and reports both.

Files are listed and deleted through the table's own file IO, so the storage settings of the
catalog (``PYICEBERG_CATALOG__<NAME>__S3__ENDPOINT`` and the like) apply: a local warehouse and
S3-compatible storage work alike. Snapshots are kept unless expiry is asked for explicitly
(``expire_older_than``): readers and time travel depend on them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pyarrow import fs
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import ManifestEntryStatus, ManifestFile
from pyiceberg.table import Table

from huiliu.errors import HuiliuError, LakeError, safe_message
from huiliu.lake import key_index
from huiliu.lake.catalog import lake_table, table_identifiers
from huiliu.settings import Settings, get_settings

log = logging.getLogger(__name__)
DEFAULT_SAFETY_WINDOW = timedelta(hours=24)
MIN_SAFETY_WINDOW = timedelta(hours=1)  # a landing run may stage files for a long time before its commit
MIN_SNAPSHOT_AGE = timedelta(days=1)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OrphanFile:
    """A file under a table's location that no table state refers to."""

    path: str  # relative to the table's location
    bytes: int
    modified: datetime


@dataclass
class TableOrphans:
    """The orphaned files of one table, and what maintenance did about them."""

    table: str
    files: list[OrphanFile] = field(default_factory=list)
    removed: bool = False
    kept_young: int = 0  # unreferenced files younger than the safety window, left alone
    expired_snapshots: int = 0
    skipped: str | None = None  # why the table was left alone
    error: str | None = None
    metadata_location: str = field(default="", repr=False)  # the table state the files were checked against
    location: str = field(default="", repr=False)  # the table's location, the files' paths relative to it

    def locations(self) -> list[str]:
        """The orphaned files' full locations."""
        return [f"{self.location.rstrip('/')}/{f.path}" for f in self.files]

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
            "expired_snapshots": self.expired_snapshots,
            "skipped": self.skipped,
            "error": self.error,
            "paths": [f.path for f in self.files],
        }


@dataclass
class MaintenanceReport:
    """What one maintenance run did (or, in a dry run, would do): each table's orphaned files, and
    the key-hash indexes pruned (a cache: maintenance goes on when pruning fails, ``indexes.error``)."""

    tables: list[TableOrphans]
    indexes: key_index.Pruned = field(default_factory=key_index.Pruned)

    def as_dict(self) -> dict[str, object]:
        return {
            "tables": [t.as_dict() for t in self.tables],
            "key_hash_indexes": {
                "removed": self.indexes.removed,
                "data_files": self.indexes.gone,
                "unreadable": self.indexes.unreadable,
            },
            "key_hash_indexes_error": self.indexes.error,
        }


@dataclass(frozen=True)
class _Storage:
    """The file system holding a table's files, and the table's location on it."""

    filesystem: fs.FileSystem
    root: str
    properties: dict[str, str]

    @classmethod
    def of(cls, table: Table) -> _Storage:
        io = table.io
        if not isinstance(io, PyArrowFileIO):
            raise LakeError(
                f"lake table {'.'.join(table.name())}: maintenance lists files through pyiceberg's "
                f"PyArrowFileIO, but the catalog uses {type(io).__name__}; remove the catalog's py-io-impl "
                "setting (PYICEBERG_CATALOG__<NAME>__PY_IO_IMPL) or run maintenance with PyArrowFileIO"
            )
        scheme, netloc, root = PyArrowFileIO.parse_location(table.location(), io.properties)
        return cls(io.fs_by_scheme(scheme, netloc), root.rstrip("/"), dict(io.properties))

    def key(self, location: str) -> str:
        """A location as the file system lists it: a local path, or ``bucket/key`` on S3."""
        return PyArrowFileIO.parse_location(location, self.properties)[2]

    def under_root(self, key: str) -> bool:
        return key.startswith(self.root + "/")

    def files(self) -> list[fs.FileInfo]:
        selector = fs.FileSelector(self.root, recursive=True, allow_not_found=True)
        return [info for info in self.filesystem.get_file_info(selector) if info.type == fs.FileType.File]

    def delete(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError):  # gone already: what was wanted
            self.filesystem.delete_file(f"{self.root}/{relative}")


@dataclass
class _References:
    """The files a table's metadata refers to: in all of its history, and in its current state."""

    all: set[str] = field(default_factory=set)
    current: set[str] = field(default_factory=set)


def _manifest_entries(table: Table, manifest: ManifestFile) -> list[tuple[str, bool]]:
    """(file location, live in this manifest) of every entry of a manifest, removed ones included."""
    return [
        (entry.data_file.file_path, entry.status != ManifestEntryStatus.DELETED)
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=False)
    ]


def _references(table: Table, storage: _Storage) -> _References:
    """Every file the table's metadata refers to, reading each manifest once."""
    metadata = table.metadata
    refs = _References()
    refs.current.add(table.metadata_location)
    refs.all.update(entry.metadata_file for entry in metadata.metadata_log)
    refs.all.update(s.statistics_path for s in [*metadata.statistics, *metadata.partition_statistics])
    current = table.current_snapshot()
    entries: dict[str, list[tuple[str, bool]]] = {}
    for snapshot in metadata.snapshots:
        is_current = current is not None and snapshot.snapshot_id == current.snapshot_id
        refs.all.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(table.io):
            refs.all.add(manifest.manifest_path)
            if manifest.manifest_path not in entries:
                entries[manifest.manifest_path] = _manifest_entries(table, manifest)
            refs.all.update(path for path, _ in entries[manifest.manifest_path])
            if is_current:
                refs.current.update([snapshot.manifest_list, manifest.manifest_path])
                refs.current.update(path for path, live in entries[manifest.manifest_path] if live)
    refs.all |= refs.current
    return _References({storage.key(p) for p in refs.all}, {storage.key(p) for p in refs.current})


def _check_listing(name: str, storage: _Storage, listed: set[str], refs: _References) -> None:
    """Refuse to go on when files the table reads now are not in the listing of its location.

    Then paths as the metadata spells them and as the storage lists them differ (or files are
    missing), and every file would look unreferenced: nothing may be removed.
    """
    missing = sorted(k for k in refs.current if storage.under_root(k) and k not in listed)
    if missing:
        first = missing[0][len(storage.root) + 1 :]
        raise LakeError(
            f"lake table {name}: {len(missing)} file(s) its current state reads were not found when "
            f"listing its location (first: {first}), so the listing cannot tell orphaned files from used "
            "ones and nothing was removed. Check that the warehouse and the catalog's storage settings "
            "point at the storage the table was written to, and whether those files were deleted."
        )


def find_orphans(table: Table, older_than: timedelta = DEFAULT_SAFETY_WINDOW) -> TableOrphans:
    """The table's files that nothing refers to and that are older than ``older_than``.

    Raises:
        LakeError: the table's files cannot be listed reliably (nothing should be removed).
    """
    table.refresh()
    name = ".".join(table.name())
    storage = _Storage.of(table)
    result = TableOrphans(name, metadata_location=table.metadata_location, location=table.location())
    listed = storage.files()
    refs = _references(table, storage)
    _check_listing(name, storage, {info.path for info in listed}, refs)
    cutoff = _now() - older_than
    for info in listed:
        if info.path in refs.all:
            continue
        modified = info.mtime if info.mtime.tzinfo else info.mtime.replace(tzinfo=UTC)
        if modified > cutoff:
            result.kept_young += 1
            continue
        result.files.append(OrphanFile(info.path[len(storage.root) + 1 :], info.size or 0, modified))
    result.files.sort(key=lambda f: f.path)
    return result


def _drop_newly_referenced(table: Table, orphans: TableOrphans) -> None:
    """Just before deleting: if the table was committed to meanwhile, keep what it now refers to."""
    table.refresh()
    if table.metadata_location == orphans.metadata_location:
        return
    storage = _Storage.of(table)
    known = _references(table, storage).all
    orphans.files = [f for f in orphans.files if f"{storage.root}/{f.path}" not in known]
    orphans.metadata_location = table.metadata_location


def delete_orphans(table: Table, orphans: TableOrphans) -> None:
    """Delete the files ``find_orphans`` found, unless a commit since then refers to them."""
    _drop_newly_referenced(table, orphans)
    storage = _Storage.of(table)
    for orphan in orphans.files:
        storage.delete(orphan.path)
    orphans.removed = True
    if orphans.files:
        log.info("lake table %s: removed %d orphaned files", orphans.table, len(orphans.files))


def _check_snapshot_age(older_than: timedelta) -> None:
    if older_than < MIN_SNAPSHOT_AGE:
        raise LakeError(
            f"expiring snapshots older than {older_than} is too soon: keep at least "
            f"{MIN_SNAPSHOT_AGE.days} day(s) of snapshots (readers and time travel use them), e.g. 30d"
        )


def expirable_snapshots(table: Table, older_than: timedelta) -> int:
    """How many snapshots ``expire_snapshots`` would expire (branch and tag heads never are)."""
    cutoff_ms = int((_now() - older_than).timestamp() * 1000)
    heads = {ref.snapshot_id for ref in table.metadata.refs.values()}
    return sum(
        1 for s in table.metadata.snapshots if s.timestamp_ms < cutoff_ms and s.snapshot_id not in heads
    )


def expire_snapshots(table: Table, older_than: timedelta) -> int:
    """Expire the table's snapshots older than ``older_than`` (never the current one); how many.

    Their files stay until ``remove_orphans`` finds that no remaining snapshot refers to them.
    Time travel to an expired snapshot is no longer possible.

    Raises:
        LakeError: ``older_than`` is shorter than ``MIN_SNAPSHOT_AGE``.
    """
    _check_snapshot_age(older_than)
    table.refresh()
    before = len(table.metadata.snapshots)
    if expirable_snapshots(table, older_than):
        table.maintenance.expire_snapshots().older_than(_now() - older_than).commit()
        table.refresh()
    return before - len(table.metadata.snapshots)


def _nested(inner: str, outer: str) -> bool:
    return inner.rstrip("/") == outer.rstrip("/") or inner.startswith(outer.rstrip("/") + "/")


def _overlapping(locations: dict[str, str]) -> dict[str, str]:
    """Tables whose location is, holds or lies in another table's: table → that other table.

    Their files cannot be told apart by one table's metadata (a table renamed and another created
    under the old name share a location), so maintenance leaves them alone.
    """
    found: dict[str, str] = {}
    for name, location in locations.items():
        for other, elsewhere in locations.items():
            if other != name and (_nested(location, elsewhere) or _nested(elsewhere, location)):
                found[name] = other
                break
    return found


def _locations(identifiers: list[str], settings: Settings) -> dict[str, str]:
    """Each table's location; a table that cannot be loaded is left out here and reported later."""
    found = {}
    for identifier in identifiers:
        try:
            found[identifier] = lake_table(identifier, settings=settings).location()
        except Exception:  # its own maintenance step reports why it cannot be loaded
            continue
    return found


def _error_message(error: Exception) -> str:
    """A table's failure for the report: storage errors name lake files only, never data values."""
    if isinstance(error, OSError | CommitFailedException) and not isinstance(error, HuiliuError):
        return f"{type(error).__name__}: {error}"[:500]
    return safe_message(error)


def _maintain_one(
    identifier: str,
    older_than: timedelta,
    dry_run: bool,
    expire_older_than: timedelta | None,
    settings: Settings,
) -> TableOrphans:
    table = lake_table(identifier, settings=settings)
    expired = 0
    if expire_older_than is not None and dry_run:
        expired = expirable_snapshots(table, expire_older_than)
    elif expire_older_than is not None:
        from huiliu.store.leases import dataset_lease

        with dataset_lease(identifier.split(".", 1)[1], "lake maintenance"):
            expired = expire_snapshots(table, expire_older_than)
    orphans = find_orphans(table, older_than)
    orphans.expired_snapshots = expired
    if orphans.files and not dry_run:
        delete_orphans(table, orphans)
    return orphans


def _where(location: str, io: FileIO) -> tuple[str, str, str]:
    """A file's location as its file system names it (``file:///a`` and ``/a`` alike)."""
    return PyArrowFileIO.parse_location(location, io.properties)


class LakeMaintenanceError(LakeError):
    """Maintenance failed for some tables; the others were maintained (``report`` has them all)."""

    def __init__(self, report: MaintenanceReport) -> None:
        self.report = report
        failed = [t for t in report.tables if t.error is not None]
        listed = "; ".join(f"{t.table}: {t.error}" for t in failed)
        super().__init__(f"lake maintenance failed for {len(failed)} table(s): {listed}")


def remove_orphans(
    *,
    older_than: timedelta = DEFAULT_SAFETY_WINDOW,
    dry_run: bool = False,
    tables: list[str] | None = None,
    expire_older_than: timedelta | None = None,
    settings: Settings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> MaintenanceReport:
    """Find (and unless ``dry_run``, delete) the orphaned files of every lake table, or of ``tables``,
    then the key-hash indexes of data files no longer in the lake.

    With ``expire_older_than``, each table's snapshots older than that are expired first (under
    its dataset's lease), so files only they referred to become orphans. ``progress`` is called with
    (table, tables done, tables in all) before each table.

    Raises:
        LakeError: the safety window is shorter than ``MIN_SAFETY_WINDOW``, or a table is unknown.
        LakeMaintenanceError: some tables failed; every other table was still maintained.
    """
    if older_than < MIN_SAFETY_WINDOW:
        raise LakeError(
            f"a safety window of {older_than} is too short: a run in progress may not have committed its "
            f"files yet; use at least {int(MIN_SAFETY_WINDOW.total_seconds() // 3600)}h (the default is 24h)"
        )
    if expire_older_than is not None:
        _check_snapshot_age(expire_older_than)
    settings = settings or get_settings()
    every = table_identifiers(settings)
    unknown = sorted(set(tables or []) - set(every))
    if unknown:
        raise LakeError(f"no lake table {', '.join(unknown)}; known tables: {', '.join(every) or 'none'}")
    shared = _overlapping(_locations(every, settings))
    chosen = tables or every
    report = []
    for done, identifier in enumerate(chosen):
        if progress is not None:
            progress(identifier, done, len(chosen))
        if identifier in shared:
            skipped = f"its location overlaps lake table {shared[identifier]}'s; its files are left alone"
            report.append(TableOrphans(identifier, skipped=skipped))
            continue
        try:
            report.append(_maintain_one(identifier, older_than, dry_run, expire_older_than, settings))
        except Exception as exc:  # one table's failure must not stop the others; it is reported
            message = _error_message(exc)
            log.warning("lake table %s: maintenance failed: %s", identifier, message)
            report.append(TableOrphans(identifier, error=message))
    if progress is not None:
        progress("", len(chosen), len(chosen))
    result = MaintenanceReport(report)
    if chosen:
        try:
            io = lake_table(chosen[0], settings=settings).io
            # a dry run also lists the indexes of the orphans it would remove
            going = [location for t in report for location in t.locations()] if dry_run else []
            result.indexes = prune_key_indexes(settings, io, dry_run=dry_run, going=going)
        except Exception as exc:  # a cache: failing to prune it must not fail maintenance
            result.indexes.error = _error_message(exc)
            log.warning("the key-hash indexes were not pruned: %s", result.indexes.error)
    if any(t.error is not None for t in report):
        raise LakeMaintenanceError(result)
    return result


def prune_key_indexes(
    settings: Settings, io: FileIO, *, dry_run: bool = False, going: Sequence[str] = ()
) -> key_index.Pruned:
    """Remove the key-hash indexes (:mod:`huiliu.lake.key_index`) of data files that are gone, and
    unreadable ones (``dry_run``: only list them, counting the files at ``going`` as gone too)."""
    gone = {_where(location, io) for location in going}

    def exists(location: str) -> bool:
        return not (gone and _where(location, io) in gone) and io.new_input(location).exists()

    pruned = key_index.prune(exists, key_index.index_folder(settings), dry_run=dry_run)
    if not dry_run and pruned.removed:
        log.info(
            "removed the key-hash indexes of %d data files no longer in the lake and %d unreadable ones",
            len(pruned.gone),
            len(pruned.unreadable),
        )
    if pruned.error:
        log.warning(
            "some key-hash indexes were kept: their data files could not be checked: %s", pruned.error
        )
    return pruned
