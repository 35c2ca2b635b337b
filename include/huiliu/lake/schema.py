"""Lake schemas: a contract's columns plus huiliu's own bookkeeping columns."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from huiliu.contracts.arrow import arrow_type
from huiliu.contracts.model import DatasetContract

META_FIELDS = (
    pa.field("_batch_id", pa.string()),
    pa.field("_ingested_at", pa.timestamp("us", tz="UTC")),
    pa.field("_source", pa.string()),
)


def landing_schema(contract: DatasetContract) -> pa.Schema:
    """Every data column nullable: landing keeps what arrived, the gates judge it later."""
    data = [pa.field(c.name, arrow_type(c), nullable=True) for c in contract.columns]
    return pa.schema([*data, *META_FIELDS])


def with_meta_columns(
    batch: pa.RecordBatch, target: pa.Schema, batch_id: str, ingested_at: datetime, source: str
) -> pa.RecordBatch:
    """Cast a source batch to the landing schema and stamp it with batch id, time and source."""
    rows = batch.num_rows
    arrays = [batch.column(field.name).cast(field.type) for field in target if not field.name.startswith("_")]
    arrays += [
        pa.repeat(pa.scalar(batch_id, pa.string()), rows),
        pa.repeat(pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")), rows),
        pa.repeat(pa.scalar(source, pa.string()), rows),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def conform(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """``rows`` in ``schema``'s column order and types, matched by name; missing columns are nulls.

    Tables read back from the lake may hold columns in another order (a column added to a contract
    is appended after the bookkeeping columns) or lack columns added after they were written.
    """
    arrays = [
        rows.column(f.name).cast(f.type) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
