"""Row counts and sizes of the lake's tables, read from snapshot summaries (no data scan)."""

from __future__ import annotations

from typing import Any

from huiliu.lake.catalog import get_catalog, table_identifiers
from huiliu.settings import Settings


def lake_stats(settings: Settings | None = None) -> dict[str, Any]:
    """``{"tables": {"landing.x": {"rows", "files", "bytes", "snapshots"}}}`` for every lake table."""
    catalog = get_catalog(settings)
    tables: dict[str, Any] = {}
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
