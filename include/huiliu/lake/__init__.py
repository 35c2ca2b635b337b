"""The Iceberg lake: zones (landing, curated, quarantine), staged writes, atomic commits."""

from huiliu.lake.catalog import ZONES, get_catalog, lake_table
from huiliu.lake.writer import CommittedBatch, StagedBatchWriter

__all__ = ["ZONES", "CommittedBatch", "StagedBatchWriter", "get_catalog", "lake_table"]
