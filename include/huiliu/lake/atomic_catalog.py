"""An Iceberg SQL catalog that can commit several tables in one database transaction.

A table commit writes a new metadata file and then moves the table's pointer in the catalog
database to it. Inside ``commit_together`` the pointers are not moved one by one: each table's
commit only writes its metadata file, and when the block ends every pointer moves in a single
transaction of the catalog database, each on the condition that its table was not changed
meanwhile. Readers (huiliu's own and any other Iceberg engine reading the catalog) see either all of
the tables' new states or none: a process killed in between leaves only unreferenced metadata files.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.update import TableRequirement, TableUpdate
from sqlalchemy import update
from sqlalchemy.orm import Session

from huiliu import faults
from huiliu.errors import LakeError


@dataclass
class _Group:
    """Pointer moves waiting for the end of a ``commit_together`` block: table → (old, new)."""

    moves: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)


class AtomicSqlCatalog(SqlCatalog):
    """``SqlCatalog`` plus ``commit_together`` (one transaction for several tables' commits)."""

    def __init__(self, name: str, **properties: str) -> None:
        super().__init__(name, **properties)
        self._groups = threading.local()

    def _open_group(self) -> _Group | None:
        return getattr(self._groups, "current", None)

    @property
    def in_group(self) -> bool:
        """Whether this thread is inside ``commit_together`` (commits are not visible yet)."""
        return self._open_group() is not None

    def commit_table(
        self, table: Table, requirements: tuple[TableRequirement, ...], updates: tuple[TableUpdate, ...]
    ) -> CommitTableResponse:
        group = self._open_group()
        if group is None:
            return super().commit_table(table, requirements, updates)
        identifier = table.name()
        if identifier in group.moves:
            raise LakeError(f"lake table {'.'.join(identifier)} is committed twice in one group commit")
        current = self.load_table(identifier)
        staged = self._update_and_stage_table(current, identifier, requirements, updates)
        if staged.metadata == current.metadata:
            # pyiceberg's model fills its fields by name too (populate_by_name), as pyiceberg's own
            # catalogs do; its signature names only the alias ``metadata-location``
            return CommitTableResponse(metadata=current.metadata, metadata_location=current.metadata_location)  # type: ignore[call-arg]
        self._write_metadata(metadata=staged.metadata, io=staged.io, metadata_path=staged.metadata_location)
        group.moves[identifier] = (current.metadata_location, staged.metadata_location)
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)  # type: ignore[call-arg]  # as above

    @contextmanager
    def commit_together(self) -> Iterator[None]:
        """Every table commit of this thread inside the block becomes visible at once at its end.

        Raises:
            CommitFailedException: a table was changed by someone else meanwhile; nothing of the
                block is visible (its tables must be re-loaded before they are used again).
        """
        if self.in_group:
            yield
            return
        group = _Group()
        self._groups.current = group
        try:
            yield
        finally:
            self._groups.current = None
        if not group.moves:
            return
        faults.crash_point("lake.group_staged")
        with Session(self.engine) as session, session.begin():
            for identifier, (old, new) in group.moves.items():
                namespace = Catalog.namespace_to_string(Catalog.namespace_from(identifier))
                name = Catalog.table_name_from(identifier)
                moved = session.connection().execute(
                    update(IcebergTables)
                    .where(
                        IcebergTables.catalog_name == self.name,
                        IcebergTables.table_namespace == namespace,
                        IcebergTables.table_name == name,
                        IcebergTables.metadata_location == old,
                    )
                    .values(metadata_location=new, previous_metadata_location=old)
                )
                if moved.rowcount < 1:
                    raise CommitFailedException(f"{namespace}.{name} was changed by another process")


@contextmanager
def commit_together(*tables: Table) -> Iterator[None]:
    """Make the commits to ``tables`` inside the block visible together (see ``AtomicSqlCatalog``).

    On failure the tables are re-read, so they hold the catalog's state again.
    """
    catalogs = {id(t.catalog): t.catalog for t in tables}
    if len(catalogs) != 1:
        raise LakeError("tables committed together must live in one catalog")
    catalog = next(iter(catalogs.values()))
    if not isinstance(catalog, AtomicSqlCatalog):
        raise LakeError("the lake's catalog cannot commit several tables at once")
    try:
        with catalog.commit_together():
            yield
    except BaseException:
        for table in tables:
            table.refresh()
        raise


def in_group_commit(table: Table) -> bool:
    """Whether commits to ``table`` made now are not visible until a group commit ends."""
    return isinstance(table.catalog, AtomicSqlCatalog) and table.catalog.in_group
