"""Columns read as dictionary arrays, as Parquet stores text with few distinct values.

The re-identification guard groups a dictionary array by its distinct values instead of hashing
every row's value; the policy's projections take values, so the columns they change are decoded for
them (a column every projection returns as it is stays a dictionary), and a delivered column equal
to the column read is then taken back as read.
"""

from __future__ import annotations

from collections.abc import Collection

import pyarrow as pa


def decoded(read: pa.Table, kept: Collection[str] = ()) -> pa.Table:
    """The columns read, dictionary arrays decoded to their values but those named in ``kept``."""
    for index, field in enumerate(read.schema):
        if pa.types.is_dictionary(field.type) and field.name not in kept:
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
