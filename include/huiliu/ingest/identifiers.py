"""Identifier columns land in their canonical form: Unicode NFKC, counted as drift.

Department systems and spreadsheets write ID numbers, phone numbers and codes with full-width
digits and letters (１２３, Ｘ) or full-width spaces; the number is the same, so landing stores the
NFKC form instead of letting every such row fail the checksum rules. How many values of each column
were rewritten is recorded with the batch's drift, so the department can fix its export.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text
from huiliu.contracts.model import DatasetContract

IDENTIFIER_ENTITY_TYPES = frozenset(
    {
        "CN_RESIDENT_ID",
        "CN_MOBILE",
        "CN_LANDLINE",
        "BANK_CARD",
        "CN_PASSPORT",
        "CN_TRAVEL_PERMIT",
        "CN_IM_ACCOUNT",
        "CN_VEHICLE_PLATE",
        "CN_USCC",
        "EMAIL_ADDRESS",
    }
)
DRIFT_KEY = "nfkc_normalized"


class IdentifierNormalizer:
    """Rewrite a contract's identifier columns to NFKC, batch by batch, counting what changed."""

    def __init__(self, contract: DatasetContract) -> None:
        strings = {c.name for c in contract.columns if c.type == "string"}
        self.columns = sorted(
            {
                p.column
                for p in contract.personal_information
                if p.entity_type in IDENTIFIER_ENTITY_TYPES and p.column in strings
            }
        )
        self.changed: Counter[str] = Counter()

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for name in self.columns:
            index = batch.schema.get_field_index(name)
            if index < 0:
                continue
            column = batch.column(index)
            if not is_plain_text(column.type):
                continue
            if pc.all(pc.fill_null(pc.string_is_ascii(column), True)).as_py():
                continue  # the usual case: nothing NFKC could change
            normal = pc.utf8_normalize(column, "NFKC")
            changed = pc.sum(pc.fill_null(pc.not_equal(column, normal), False)).as_py() or 0
            if changed:
                batch = batch.set_column(index, batch.schema.field(index), normal)
                self.changed[name] += changed
        return batch

    def drift(self) -> dict[str, Any]:
        """``{"nfkc_normalized": {column: values rewritten}}``, or nothing when none were."""
        return {DRIFT_KEY: dict(sorted(self.changed.items()))} if self.changed else {}
