"""Accepted corrections laid over curated rows when they are returned (the department's data stays).

The overlay of a dataset is its own Iceberg table, ``corrections.<dataset>``: one row per applied
correction (its id, the record's primary key as text, the column, the corrected value as text, when
it was applied). It is rewritten whole, atomically, whenever a correction is applied or retires, so
the next landing from the source never undoes a correction and the source itself is never edited.
:meth:`Overlay.apply` replaces the corrected values in a batch of curated rows, by primary key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.exceptions import NoSuchTableError

from huiliu.contracts.model import DatasetContract
from huiliu.errors import LakeError
from huiliu.lake.catalog import get_catalog, lake_table

KEY_SEPARATOR = "\x1f"
OVERLAY_SCHEMA = pa.schema(
    [
        pa.field("correction_id", pa.string(), nullable=False),
        pa.field("record_key", pa.string(), nullable=False),
        pa.field("field", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("applied_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def key_text(values: Sequence[object]) -> str:
    """A record's primary key as one text (the values as ``str``, joined by a unit separator)."""
    return KEY_SEPARATOR.join(str(v) for v in values)


def record_keys_of(batch: pa.Table | pa.RecordBatch, key: Sequence[str]) -> pa.Array:
    """Each row's primary key as one text (:func:`key_text`), vectorised."""
    columns = [pc.cast(batch.column(name), pa.string()) for name in key]
    if len(columns) == 1:
        return columns[0]
    return pc.binary_join_element_wise(*columns, KEY_SEPARATOR)


@dataclass(frozen=True, kw_only=True)
class OverlayRow:
    correction_id: str
    record_key: str
    field: str
    value: str
    applied_at: datetime


@dataclass(frozen=True, kw_only=True)
class Overlay:
    """The applied corrections of one dataset, by column and record key (the latest wins)."""

    key: tuple[str, ...]
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, contract: DatasetContract, rows: Iterable[OverlayRow]) -> Overlay:
        values: dict[str, dict[str, str]] = {}
        for row in sorted(rows, key=lambda r: r.applied_at):
            values.setdefault(row.field, {})[row.record_key] = row.value
        return cls(key=tuple(contract.schema_.primary_key), values=values)

    def __bool__(self) -> bool:
        return bool(self.values)

    def apply(self, batch: pa.Table) -> pa.Table:
        """The rows with every corrected value replaced (columns not in the batch are left alone).

        Raises:
            LakeError: a corrected value no longer fits its column's type (the contract changed).
        """
        fields = [f for f in self.values if f in batch.column_names]
        if not fields or not all(k in batch.column_names for k in self.key):
            return batch
        keys = record_keys_of(batch, self.key)
        for name in fields:
            corrected = self.values[name]
            hit = pc.is_in(keys, value_set=pa.array(list(corrected), pa.string()))
            if not pc.any(hit).as_py():
                continue
            column = batch.column(name)
            matched = pc.filter(keys, hit).to_pylist()
            try:
                replacements = pc.cast(pa.array([corrected[k] for k in matched], pa.string()), column.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise LakeError(
                    f"a correction of {name} no longer fits the column's type {column.type}; "
                    "reject or retire it (huiliu corrections list --status applied)"
                ) from None
            replaced = pc.replace_with_mask(column.combine_chunks(), hit.combine_chunks(), replacements)
            batch = batch.set_column(batch.column_names.index(name), batch.field(name), replaced)
        return batch


def load_overlay(contract: DatasetContract) -> Overlay:
    """The dataset's overlay as the lake holds it (empty when no correction was ever applied)."""
    try:
        table = get_catalog().load_table(contract.corrections_table)
    except NoSuchTableError:  # nothing was ever corrected
        return Overlay(key=tuple(contract.schema_.primary_key))
    rows = table.scan().to_arrow().to_pylist()
    return Overlay.of(contract, (OverlayRow(**row) for row in rows))


def write_overlay(contract: DatasetContract, rows: Sequence[OverlayRow]) -> None:
    """Replace the dataset's overlay with ``rows`` in one Iceberg commit."""
    table = lake_table(contract.corrections_table, OVERLAY_SCHEMA)
    data = pa.Table.from_pylist([row.__dict__ for row in rows], schema=OVERLAY_SCHEMA)
    if table.current_snapshot() is None:
        table.append(data)
    else:
        table.overwrite(data)
