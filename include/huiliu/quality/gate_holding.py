"""Holding a batch: what the gate writes to ``quarantine.<dataset>``, with each row's reasons.

A batch is held when too many of its rows fail (the contract's hold share) or when a compliance
officer rejected its personal information; either way every row goes to quarantine, read again
chunk by chunk by :func:`write_whole_batch`, so memory stays a chunk however big the batch. A batch
that is not held sends only its failing rows, kept aside while it streamed (:func:`write_failing`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from huiliu.contracts.model import DatasetContract
from huiliu.lake.schema import conform, landing_schema
from huiliu.lake.writer import StagedBatchWriter
from huiliu.pii.decisions import Decision
from huiliu.quality import zones
from huiliu.quality.batch_stream import BatchScan
from huiliu.quality.decided import DecidedRows
from huiliu.quality.verdict import RuleResult, Verdict
from huiliu.settings import Settings


def write_whole_batch(
    writer: StagedBatchWriter,
    contract: DatasetContract,
    scan: BatchScan,
    *,
    verdict: Verdict,
    ranks: npt.NDArray[np.int64],
    settings: Settings,
    decided: DecidedRows | None = None,
    marks: Mapping[str, str] | None = None,
) -> None:
    """Every row of the batch to quarantine, chunk by chunk, with the verdict's reasons.

    Args:
        writer: the batch's staged quarantine files.
        contract: the dataset.
        scan: the landed batch.
        verdict: why the batch is held.
        ranks: each row's rank by key (it numbers the quarantine ids).
        settings: the chunk size.
        decided: rows a steward decided on an earlier run: they keep the quarantine rows they have.
        marks: columns set to one value on every row (``_failed_rules`` …), instead of the verdict's.
    """
    offset, taken = 0, decided.ids if decided is not None else set()
    for chunk in scan.chunks(settings.quality_chunk_rows):
        positions = np.arange(offset, offset + chunk.num_rows)
        offset += chunk.num_rows
        mask = decided.mask(chunk) if decided is not None else None
        if mask is not None:
            chunk, positions = chunk.filter(pa.array(~mask)), positions[~mask]
        rows = zones.quarantine_rows(contract, chunk, positions, ranks, scan.batch_id, verdict, taken=taken)
        for name, value in (marks or {}).items():
            rows = rows.set_column(
                rows.schema.get_field_index(name), name, pa.array([value] * rows.num_rows, pa.string())
            )
        writer.write_file(rows)


def keep_decided(writer: StagedBatchWriter, contract: DatasetContract, decided: DecidedRows) -> None:
    """Rows of the batch a steward decided on an earlier run keep the quarantine rows they have."""
    if decided.rows.num_rows:
        writer.write_file(conform(decided.rows, zones.quarantine_schema(contract)))


def write_failing(
    writer: StagedBatchWriter,
    contract: DatasetContract,
    failing: list[pa.Table],
    positions: npt.NDArray[np.int64],
    *,
    verdict: Verdict,
    ranks: npt.NDArray[np.int64],
    batch_id: str,
    decided: DecidedRows,
) -> None:
    """The failing rows of a batch that is not held (at their batch ``positions``) to quarantine."""
    schema = landing_schema(contract)
    rows = pa.concat_tables([conform(t, schema) for t in failing]) if failing else schema.empty_table()
    writer.write_file(
        zones.quarantine_rows(contract, rows, positions, ranks, batch_id, verdict, taken=decided.ids)
    )


@dataclass(frozen=True, kw_only=True)
class RejectedBatch:
    """A batch whose personal information was rejected: the verdict, and the marks every row carries."""

    verdict: Verdict
    marks: dict[str, str]


def pii_rejected(contract: DatasetContract, rows: int, rejection: Decision) -> RejectedBatch:
    """The verdict on a batch whose personal information was rejected, and the marks of its rows.

    The message names who rejected it and when; the officer's own words stay with the decision
    and in each row's failure record.
    """
    reason = (
        f"personal information rejected by {rejection.decided_by} at "
        f"{rejection.decided_at:%Y-%m-%d %H:%M} UTC; the reason is recorded with the decision "
        f"(PII report of {contract.name})"
    )
    rule = RuleResult(
        zones.PII_REJECTED_RULE, zones.PII_REJECTED_RULE, (), "critical", success=False, element_count=rows
    )
    rule.unexpected_count = rows
    verdict = Verdict(
        rows_total=rows,
        failing_positions=np.arange(rows),
        failures_by_row={},
        rules=[rule],
        held=True,
        held_reasons=[reason],
    )
    failure = {"rule": zones.PII_REJECTED_RULE, "severity": "critical", "values": {}, **rejection.as_dict()}
    marks = {"_failed_rules": zones.PII_REJECTED_RULE, "_failures": json.dumps([failure], ensure_ascii=False)}
    return RejectedBatch(verdict=verdict, marks=marks)
