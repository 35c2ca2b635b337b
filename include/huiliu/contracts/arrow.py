"""The Arrow shape of a contract: the schema every extractor must produce."""

from __future__ import annotations

import pyarrow as pa

from huiliu.contracts.model import ColumnSpec, DatasetContract

_SIMPLE: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def arrow_type(column: ColumnSpec) -> pa.DataType:
    """The Arrow type a contract column lands as."""
    precision_scale = column.decimal_precision_scale
    if precision_scale is not None:
        return pa.decimal128(*precision_scale)
    return _SIMPLE[column.type]


def arrow_schema(contract: DatasetContract) -> pa.Schema:
    """The data columns of a contract (without huiliu's own ``_batch_id`` etc.)."""
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=c.nullable) for c in contract.columns])
