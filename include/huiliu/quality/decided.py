"""Rows of a batch that a steward already decided on (released or discarded), known by their key.

Quarantine ids are ranks of rows in key order, so they stay the same only while the batch holds the
same rows. When a batch is landed again with rows added, removed or corrected, a decision must still
follow the row it was taken on: the gate recognises decided rows by their primary key, keeps them
out of curated (a released row is there already, under its release; a discarded row is never
returned) and out of the new quarantine rows, and carries their quarantine rows over unchanged, so
their ids, decisions and evidence stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.expressions import And

from huiliu.contracts.model import DatasetContract
from huiliu.errors import LakeError
from huiliu.lake.catalog import lake_table
from huiliu.quality import records, zones
from huiliu.quality.row_filters import column_equals, column_in
from huiliu.settings import Settings


@dataclass(frozen=True)
class DecidedRows:
    """The batch's quarantine rows whose quarantine id was released or discarded."""

    key: tuple[str, ...]
    rows: pa.Table  # as they are in quarantine, every column
    keys: pa.Array  # their key text

    @classmethod
    def of_batch(cls, contract: DatasetContract, batch_id: str, settings: Settings) -> Self:
        key = tuple(contract.schema_.primary_key)
        ids = {qid for qid in records.decided_ids(contract.name) if qid.startswith(f"{batch_id}#")}
        rows = zones.quarantine_schema(contract).empty_table()
        if ids:
            try:
                table = lake_table(contract.quarantine_table, settings=settings)
            except LakeError:
                table = None
            if table is not None:
                found = table.scan(
                    row_filter=And(column_equals("_batch_id", batch_id), column_in("_quarantine_id", ids))
                )
                rows = found.to_arrow()
        return cls(key, rows, zones.key_text(rows, key))

    @property
    def ids(self) -> set[str]:
        return set(self.rows.column("_quarantine_id").to_pylist())

    def mask(self, rows: pa.Table) -> npt.NDArray[np.bool_] | None:
        """True for the rows whose key was decided; None when nothing of the batch was decided."""
        if self.rows.num_rows == 0:
            return None
        found = pc.is_in(zones.key_text(rows, self.key), value_set=self.keys)
        decided: npt.NDArray[np.bool_] = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
        return decided
