"""The Iceberg SQL catalog and the tables of each zone."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError, ResolveError, ValidationError
from pyiceberg.table import Table
from pyiceberg.utils.config import Config, merge_config

from huiliu.errors import LakeError
from huiliu.lake.atomic_catalog import AtomicSqlCatalog
from huiliu.settings import Settings, get_settings

ZONES = ("landing", "curated", "quarantine", "pii", "corrections")
logging.getLogger("pyiceberg").setLevel(logging.WARNING)


@lru_cache(maxsize=4)
def _catalog(name: str, uri: str, warehouse: str) -> AtomicSqlCatalog:
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if warehouse.startswith("file://"):
        Path(warehouse.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    # PYICEBERG_CATALOG__<NAME>__* settings (e.g. the S3 endpoint) apply as for load_catalog
    environment = Config().get_catalog_config(name) or {}
    properties = merge_config(environment, {"uri": uri, "warehouse": warehouse})
    properties.pop("type", None)
    catalog = AtomicSqlCatalog(name, **{k: str(v) for k, v in properties.items()})
    for zone in ZONES:
        catalog.create_namespace_if_not_exists(zone)
    return catalog


def get_catalog(settings: Settings | None = None) -> AtomicSqlCatalog:
    """The lake's catalog, with the zone namespaces created."""
    settings = settings or get_settings()
    return _catalog(settings.catalog_name, settings.catalog_db_url, settings.warehouse_location)


# full statistics for the batch id, so replacing a batch finds its files from metadata alone
BATCH_ID_METRICS = {"write.metadata.metrics.column._batch_id": "full"}


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
        properties = BATCH_ID_METRICS if "_batch_id" in schema.names else {}
        return catalog.create_table_if_not_exists(identifier, schema=schema, properties=properties)
    if schema is not None:
        _evolve(table, identifier, schema)
    return table


def _same_type(lake: pa.DataType, wanted: pa.DataType) -> bool:
    """Arrow types equal up to string width (Iceberg reads strings back as large_string)."""
    if pa.types.is_large_string(lake):
        lake = pa.string()
    same: bool = lake.equals(wanted)
    return same


def _evolve(table: Table, identifier: str, schema: pa.Schema) -> None:
    """Add new columns and apply type widenings Iceberg allows; refuse anything else clearly."""
    current = table.schema().as_arrow()
    changed = [
        f.name
        for f in schema
        if f.name not in current.names or not _same_type(current.field(f.name).type, f.type)
    ]
    if not changed:
        return
    try:
        with table.update_schema() as update:
            update.union_by_name(schema)
    except (ValueError, TypeError, ResolveError, ValidationError):
        found = {f.name: str(current.field(f.name).type) for f in schema if f.name in current.names}
        details = "; ".join(
            f"{n}: lake {found[n]} vs contract {schema.field(n).type}" for n in changed if n in found
        )
        raise LakeError(
            f"lake table {identifier}: the contract changes column types in a way Iceberg cannot apply "
            f"in place ({details}). Keep the old type, or migrate the table (create a new table and "
            "re-land the data) before deploying the contract."
        ) from None
    table.refresh()


def table_identifiers(settings: Settings | None = None) -> list[str]:
    catalog = get_catalog(settings)
    return sorted(".".join(ident) for zone in ZONES for ident in catalog.list_tables(zone))
