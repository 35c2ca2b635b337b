"""Free text, every row: scan a batch's free-text columns and keep each finding in the lake.

The free-text columns of a batch (declared ``FREE_TEXT`` in the contract, or classified as free
text) are scanned row by row, chunk by chunk, with the fast scanner. Each finding becomes a row of
``pii.<dataset>_findings``: batch, column, the row's position in the batch and its key, entity
type, span (start, end), score, recognizer and whether a checksum held. No text and no value is
stored; the span points into the landing row. When a key column itself holds personal information
(a resident ID as primary key) the key is left out and the row is found by its position.

The batch's findings replace earlier ones of the same batch id in one commit, so re-running the
gate never duplicates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.expressions import EqualTo, Reference
from pyiceberg.expressions.literals import literal
from pyiceberg.table import Table

from huiliu.contracts.model import DatasetContract
from huiliu.lake.catalog import get_catalog, lake_table
from huiliu.lake.writer import CommittedBatch, StagedBatchWriter
from huiliu.pii.classify import TableClassification
from huiliu.pii.engine import PiiEngine
from huiliu.pii.scanner import scan_table
from huiliu.quality.batch_stream import BatchScan
from huiliu.quality.zones import key_strings
from huiliu.settings import Settings

FINDINGS_SCHEMA = pa.schema(
    [
        pa.field("_batch_id", pa.string(), nullable=False),
        pa.field("dataset", pa.string()),
        pa.field("column_name", pa.string()),
        pa.field("row_position", pa.int64()),
        pa.field("row_key", pa.string()),
        pa.field("entity_type", pa.string()),
        pa.field("span_start", pa.int32()),
        pa.field("span_end", pa.int32()),
        pa.field("score", pa.float64()),
        pa.field("recognizer", pa.string()),
        pa.field("checksum_valid", pa.bool_()),
        pa.field("_scanned_at", pa.timestamp("us", tz="UTC")),
    ]
)
"""One row per free-text finding: where it is and what it is, never the text."""


def findings_table(dataset: str) -> str:
    """The lake table of a dataset's free-text findings, ``pii.<dataset>_findings``."""
    return f"pii.{dataset}_findings"


class EntityCounts(TypedDict):
    """Findings of one entity type in a free-text column, and rows holding at least one."""

    findings: int
    rows: int


class FreeTextRecord(TypedDict):
    """A :class:`FreeTextSummary` as JSON, entity types sorted."""

    rows_scanned: int
    rows_with_findings: int
    findings: int
    entities: dict[str, EntityCounts]


@dataclass
class FreeTextSummary:
    """What the row-by-row scan found in one free-text column.

    Attributes:
        rows_scanned: rows of the batch (empty texts included).
        rows_with_findings: rows holding at least one entity.
        findings: entities found.
        entities: entity type → ``{"findings": n, "rows": m}``.
    """

    rows_scanned: int = 0
    rows_with_findings: int = 0
    findings: int = 0
    entities: dict[str, EntityCounts] = field(default_factory=dict)

    def rows_by_entity(self) -> dict[str, int]:
        """Entity type → rows holding it (the policy's input)."""
        return {entity: counts["rows"] for entity, counts in self.entities.items()}

    def add(self, found: pa.Table, rows: int) -> None:
        """Add the findings of one chunk of ``rows`` rows (``row`` is unique per row of the chunk)."""
        self.rows_scanned += rows
        self.findings += found.num_rows
        if not found.num_rows:
            return
        self.rows_with_findings += pc.count_distinct(found.column("row")).as_py()
        grouped = found.group_by("entity_type").aggregate([("row", "count"), ("row", "count_distinct")])
        for entity, total, distinct in zip(*(grouped.column(i).to_pylist() for i in range(3)), strict=True):
            counts = self.entities.setdefault(entity, {"findings": 0, "rows": 0})
            counts["findings"] += total
            counts["rows"] += distinct

    def as_dict(self) -> FreeTextRecord:
        return {
            "rows_scanned": self.rows_scanned,
            "rows_with_findings": self.rows_with_findings,
            "findings": self.findings,
            "entities": {k: v.copy() for k, v in sorted(self.entities.items())},
        }


def free_text_columns(contract: DatasetContract, classification: TableClassification) -> list[str]:
    """Columns scanned row by row: declared ``FREE_TEXT``, or classified as free text, in schema order."""
    declared = {pi.column for pi in contract.personal_information if pi.entity_type == "FREE_TEXT"}
    classified = {c.name for c in classification.columns if c.kind == "free_text"}
    return [c.name for c in contract.columns if c.name in declared | classified]


def _key_is_personal(contract: DatasetContract) -> bool:
    declared = {pi.column for pi in contract.personal_information}
    return bool(declared & set(contract.schema_.primary_key))


@dataclass(frozen=True, kw_only=True)
class _ScanContext:
    """What every finding row of one scan shares: the batch, the dataset and when it was scanned."""

    batch_id: str
    dataset: str
    at: datetime


def _finding_rows(
    found: pa.Table, column: str, offset: int, keys: Sequence[str] | None, context: _ScanContext
) -> pa.Table:
    """The scanner's findings of one column chunk as rows of :data:`FINDINGS_SCHEMA`."""
    rows = found.column("row").to_numpy()
    count = found.num_rows
    row_keys = [keys[i] for i in rows] if keys is not None else [None] * count
    arrays = {
        "_batch_id": pa.array([context.batch_id] * count, pa.string()),
        "dataset": pa.array([context.dataset] * count, pa.string()),
        "column_name": pa.array([column] * count, pa.string()),
        "row_position": pa.array(rows.astype(np.int64) + offset, pa.int64()),
        "row_key": pa.array(row_keys, pa.string()),
        "entity_type": found.column("entity_type"),
        "span_start": found.column("start"),
        "span_end": found.column("end"),
        "score": found.column("score"),
        "recognizer": found.column("recognizer"),
        "checksum_valid": found.column("checksum_valid"),
        "_scanned_at": pa.array([context.at] * count, pa.timestamp("us", tz="UTC")),
    }
    return pa.table(arrays, schema=FINDINGS_SCHEMA)


def _findings_lake_table(dataset: str, create: bool, settings: Settings) -> Table | None:
    """The findings table; None when it does not exist and there is nothing to write."""
    identifier = findings_table(dataset)
    if create or get_catalog(settings).table_exists(identifier):
        return lake_table(identifier, FINDINGS_SCHEMA, settings)
    return None


def scan_free_text(
    contract: DatasetContract,
    scan: BatchScan,
    columns: Sequence[str],
    engine: PiiEngine,
    settings: Settings,
) -> tuple[dict[str, FreeTextSummary], CommittedBatch | None]:
    """Scan every row of ``columns``, store the findings (replacing the batch's), and summarise them.

    A dataset without free-text columns gets no findings table; one that had some before gets the
    batch's earlier findings removed.
    """
    summaries = {c: FreeTextSummary() for c in columns}
    table = _findings_lake_table(contract.name, bool(columns), settings)
    if table is None:
        return summaries, None
    context = _ScanContext(batch_id=scan.batch_id, dataset=contract.name, at=datetime.now(UTC))
    personal_key = _key_is_personal(contract)
    with StagedBatchWriter(table, scan.batch_id, FINDINGS_SCHEMA) as writer:
        offset = 0
        for chunk in scan.chunks(settings.quality_chunk_rows) if columns else ():
            keys = None if personal_key else key_strings(chunk, contract.schema_.primary_key)
            for column in columns:
                found = scan_table(chunk.column(column), engine)
                summaries[column].add(found, chunk.num_rows)
                for batch in _finding_rows(found, column, offset, keys, context).to_batches(250_000):
                    writer.write(batch)
            offset += chunk.num_rows
        committed = writer.commit({"huiliu.pii-columns": ",".join(columns)})
    return summaries, committed


def batch_findings(dataset: str, batch_id: str, settings: Settings) -> pa.Table:
    """The stored findings of one batch (an empty table when there are none)."""
    table = _findings_lake_table(dataset, False, settings)
    if table is None:
        return FINDINGS_SCHEMA.empty_table()
    # what EqualTo("_batch_id", batch_id) builds; type checkers see only the pydantic fields of EqualTo
    rows_of_batch = EqualTo(term=Reference("_batch_id"), value=literal(batch_id))
    return table.scan(row_filter=rows_of_batch).to_arrow()
