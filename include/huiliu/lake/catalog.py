"""The Iceberg SQL catalog and the tables of each zone."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from pyiceberg.catalog import load_catalog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from huiliu.errors import LakeError
from huiliu.settings import Settings, get_settings

ZONES = ("landing", "curated", "quarantine")
logging.getLogger("pyiceberg").setLevel(logging.WARNING)


@lru_cache(maxsize=4)
def _catalog(name: str, uri: str, warehouse: str) -> SqlCatalog:
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if warehouse.startswith("file://"):
        Path(warehouse.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    # load_catalog also merges PYICEBERG_CATALOG__<NAME>__* settings (e.g. the S3 endpoint)
    catalog = load_catalog(name, type="sql", uri=uri, warehouse=warehouse)
    if not isinstance(catalog, SqlCatalog):
        raise LakeError(f"catalog {name!r} is not a SQL catalog")
    for zone in ZONES:
        catalog.create_namespace_if_not_exists(zone)
    return catalog


def get_catalog(settings: Settings | None = None) -> SqlCatalog:
    """The lake's catalog, with the zone namespaces created."""
    settings = settings or get_settings()
    return _catalog(settings.catalog_name, settings.catalog_db_url, settings.warehouse_location)


def lake_table(identifier: str, schema: pa.Schema | None = None, settings: Settings | None = None) -> Table:
    """Load a lake table, creating it from ``schema`` when it does not exist yet.

    A table whose columns no longer match ``schema`` is evolved by adding the new columns
    (existing columns are never dropped or retyped, so older batches stay readable).
    """
    catalog = get_catalog(settings)
    try:
        table = catalog.load_table(identifier)
    except NoSuchTableError:
        if schema is None:
            raise LakeError(f"lake table {identifier} does not exist yet; run its ingestion first") from None
        return catalog.create_table_if_not_exists(identifier, schema=schema)
    if schema is not None:
        missing = [f.name for f in schema if f.name not in table.schema().column_names]
        if missing:
            with table.update_schema() as update:
                update.union_by_name(schema)
            table.refresh()
    return table


def table_identifiers(settings: Settings | None = None) -> list[str]:
    catalog = get_catalog(settings)
    return sorted(".".join(ident) for zone in ZONES for ident in catalog.list_tables(zone))
