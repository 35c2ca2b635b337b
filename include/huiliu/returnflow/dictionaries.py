"""Columns read as dictionary arrays, as Parquet stores text with few distinct values.

The re-identification guard groups a dictionary array by its distinct values instead of hashing
every row's value; the policy's projections take values, so the columns are decoded for them, and a
delivered column equal to the column read is then taken back as read.
"""

from __future__ import annotations

import pyarrow as pa


def decoded(read: pa.Table) -> pa.Table:
    """The columns read, dictionary arrays decoded to their values."""
    for index, field in enumerate(read.schema):
        if pa.types.is_dictionary(field.type):
            values = read.column(index).cast(field.type.value_type)
            read = read.set_column(index, pa.field(field.name, values.type), values)
    return read


def as_read(delivered: pa.Table, read: pa.Table, decoded: pa.Table) -> pa.Table:
    """The delivered columns, each one equal to the column of its name read (``decoded``: as
    decoded) taken as read."""
    for index, name in enumerate(delivered.column_names):
        if name in read.column_names and delivered.column(index).equals(decoded.column(name)):
            delivered = delivered.set_column(index, read.schema.field(name), read.column(name))
    return delivered
