"""Row counts and sizes of the lake's tables, read from snapshot summaries (no data scan)."""

from __future__ import annotations

from typing import TypedDict

from huiliu.lake.catalog import get_catalog, table_identifiers
from huiliu.settings import Settings


class TableStats(TypedDict):
    """One lake table's size, from its current snapshot's summary."""

    rows: int
    files: int
    bytes: int
    snapshots: int


class LakeStats(TypedDict):
    """Every lake table's size, by ``zone.name`` (printed as JSON by ``huiliu lake stats``)."""

    tables: dict[str, TableStats]


def lake_stats(settings: Settings | None = None) -> LakeStats:
    """``{"tables": {"landing.x": {"rows", "files", "bytes", "snapshots"}}}`` for every lake table."""
    catalog = get_catalog(settings)
    tables: dict[str, TableStats] = {}
    for identifier in table_identifiers(settings):
        table = catalog.load_table(identifier)
        snapshot = table.current_snapshot()
        summary = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        tables[identifier] = {
            "rows": int(summary.get("total-records", 0)),
            "files": int(summary.get("total-data-files", 0)),
            "bytes": int(summary.get("total-files-size", 0)),
            "snapshots": len(table.snapshots()),
        }
    return {"tables": tables}
