"""PII reports: per batch and per dataset over time, as JSON and as Chinese and English pages.

Files, under ``<reports>/pii/<dataset>/``:

* ``<batch>.json``/``.html``/``.en.html`` — one batch: the per-column table (entity types, match
  ratio, confidence, checksum validity, explanation, masked examples), rows per entity type,
  drift against the previous batch, the free-text findings summarised, the policy's findings and
  the batch's decisions (who, when, why);
* ``latest.*`` — the same for the dataset's latest classified batch;
* ``history.*`` — every batch of the dataset: verdict, decision, PI columns, free-text findings,
  drift, and the whole decision history.

Everything comes from the governance store, so a report can be written again at any time: the gate
writes it, and the decision task writes it again once a compliance officer has answered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypedDict

from huiliu.contracts.model import DatasetContract
from huiliu.pii import decisions
from huiliu.pii.classify import EntityMatchRecord, StoredColumn
from huiliu.pii.drift import DriftRecord
from huiliu.pii.findings import FreeTextRecord
from huiliu.pii.policy import ORGANISATION_TYPES, PolicyFindingRecord
from huiliu.pii.report_page import render_batch_page, render_history_page
from huiliu.reports.files import ReportFiles, write_report
from huiliu.reports.labels import LANGUAGES
from huiliu.settings import Settings, get_settings

HISTORY_STEM = "history"
LATEST_STEM = "latest"


class ColumnRow(TypedDict):
    """One row of a batch report's per-column table."""

    column: str
    kind: str
    entity_types: list[str]
    declared: list[str]
    match_ratio: float | None
    confidence: float | None
    checksum_valid: float | None
    sensitive: bool
    explanation: str
    examples: list[str]


class EntityCount(TypedDict):
    """Columns classified with an entity type, and rows carrying it."""

    columns: int
    rows: int


class FreeTextSection(TypedDict):
    """A batch report's free-text columns, with their findings and rows holding some, summed."""

    columns: dict[str, FreeTextRecord]
    findings: int
    rows_with_findings: int


class BatchReport(TypedDict):
    """The data of one batch's report (also its JSON file)."""

    report: Literal["pii_batch"]
    dataset: str
    title: str
    title_en: str
    owner: str
    sensitivity: str
    generated_at: datetime
    batch_id: str
    classified_at: datetime
    rows: int
    sampled_rows: int
    status: str
    decision: decisions.DecisionRecord | None
    pii_columns: int
    columns: list[ColumnRow]
    entity_counts: dict[str, EntityCount]
    free_text: FreeTextSection
    drift: DriftRecord
    findings: list[PolicyFindingRecord]
    decisions: list[decisions.DecisionRecord]


class HistoryBatch(TypedDict):
    """One batch in a dataset's history report."""

    batch_id: str
    stem: str
    classified_at: datetime
    rows: int
    status: str
    decision: str | None
    pii_columns: int
    free_text_findings: int
    rows_with_findings: int
    drift_changes: int
    held: int


class HistoryReport(TypedDict):
    """The data of a dataset's history report (also its JSON file)."""

    report: Literal["pii_history"]
    dataset: str
    title: str
    title_en: str
    owner: str
    sensitivity: str
    generated_at: datetime
    batches: list[HistoryBatch]
    decisions: list[decisions.DecisionRecord]


class _DatasetFields(TypedDict):
    dataset: str
    title: str
    title_en: str
    owner: str
    sensitivity: str
    generated_at: datetime


def report_dir(dataset: str, settings: Settings | None = None) -> Path:
    """``<reports>/pii/<dataset>``."""
    return (settings or get_settings()).reports_path / "pii" / dataset


def batch_stem(batch_id: str) -> str:
    """A batch id as a file name: letters, digits, ``-`` and ``_`` kept, anything else ``_``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in batch_id)


def count_pii_columns(columns: Sequence[StoredColumn]) -> int:
    """Stored columns classified as personal information (organisation identifiers do not count)."""
    return sum(1 for c in columns if set(c.get("entity_types") or ()) - ORGANISATION_TYPES)


def _column_rows(column: StoredColumn, entity: EntityMatchRecord) -> int:
    """Rows of a structured column estimated to carry an entity (non-empty rows × match ratio)."""
    filled = max(int(column.get("rows") or 0) - int(column.get("nulls") or 0), 0)
    return round(filled * float(entity.get("match_ratio") or 0.0))


def entity_counts(stored: decisions.StoredClassification) -> dict[str, EntityCount]:
    """Entity type → columns classified with it and rows carrying it (free text: every row counted)."""
    counts: dict[str, EntityCount] = defaultdict(lambda: {"columns": 0, "rows": 0})
    free_text = stored["free_text"]
    for column in stored["columns"]:
        if column["name"] in free_text:
            continue
        for entity in column.get("entities") or ():
            counts[entity["entity_type"]]["columns"] += 1
            counts[entity["entity_type"]]["rows"] += _column_rows(column, entity)
    for summary in free_text.values():
        for entity_type, found in summary["entities"].items():
            counts[entity_type]["columns"] += 1
            counts[entity_type]["rows"] += found["rows"]
    return {k: v.copy() for k, v in sorted(counts.items(), key=lambda kv: -kv[1]["rows"])}


def _columns(stored: decisions.StoredClassification) -> list[ColumnRow]:
    """The per-column table: what was detected, what was declared, evidence (masked) and why."""
    rows: list[ColumnRow] = []
    for column in stored["columns"]:
        entities = column.get("entities") or []
        examples: list[str] = next((e["examples"] for e in entities if e.get("examples")), [])
        rows.append(
            {
                "column": column["name"],
                "kind": column.get("kind", "none"),
                "entity_types": list(column.get("entity_types") or []),
                "declared": list(column.get("declared") or []),
                "match_ratio": column.get("match_ratio"),
                "confidence": column.get("confidence"),
                "checksum_valid": column.get("checksum_valid"),
                "sensitive": bool(column.get("sensitive")),
                "explanation": column.get("explanation", ""),
                "examples": list(examples),
            }
        )
    return rows


def _free_text(stored: decisions.StoredClassification) -> FreeTextSection:
    columns = stored["free_text"]
    return {
        "columns": columns,
        "findings": sum(s["findings"] for s in columns.values()),
        "rows_with_findings": sum(s["rows_with_findings"] for s in columns.values()),
    }


def batch_report_data(contract: DatasetContract, stored: decisions.StoredClassification) -> BatchReport:
    """The data of one batch's report (also its JSON file)."""
    history = decisions.decision_history(contract.name, stored["batch_id"])
    return {
        "report": "pii_batch",
        **_dataset_fields(contract),
        "batch_id": stored["batch_id"],
        "classified_at": stored["classified_at"],
        "rows": stored["rows"],
        "sampled_rows": stored["sampled_rows"],
        "status": stored["status"],
        "decision": history[-1].as_dict() if history else None,
        "pii_columns": count_pii_columns(stored["columns"]),
        "columns": _columns(stored),
        "entity_counts": entity_counts(stored),
        "free_text": _free_text(stored),
        "drift": stored["drift"],
        "findings": stored["findings"],
        "decisions": [d.as_dict() for d in history],
    }


def _dataset_fields(contract: DatasetContract) -> _DatasetFields:
    return {
        "dataset": contract.name,
        "title": contract.title,
        "title_en": contract.title_en,
        "owner": contract.owner.department,
        "sensitivity": contract.classification.sensitivity.value,
        "generated_at": datetime.now(UTC),
    }


def history_report_data(contract: DatasetContract) -> HistoryReport:
    """The data of a dataset's history report: every classified batch and every decision."""
    history = decisions.decision_history(contract.name)
    latest = {d.batch_id: d.status for d in history}
    batches: list[HistoryBatch] = []
    for stored in decisions.classifications(contract.name):
        free_text = _free_text(stored)
        batches.append(
            {
                "batch_id": stored["batch_id"],
                "stem": batch_stem(stored["batch_id"]),
                "classified_at": stored["classified_at"],
                "rows": stored["rows"],
                "status": stored["status"],
                "decision": latest.get(stored["batch_id"]),
                "pii_columns": count_pii_columns(stored["columns"]),
                "free_text_findings": free_text["findings"],
                "rows_with_findings": free_text["rows_with_findings"],
                "drift_changes": len(stored["drift"].get("changes") or []),
                "held": sum(1 for f in stored["findings"] if f["holds"]),
            }
        )
    return {
        "report": "pii_history",
        **_dataset_fields(contract),
        "batches": batches,
        "decisions": [d.as_dict() for d in history],
    }


@dataclass(frozen=True)
class PiiReportFiles:
    """The files written for one batch: its own report, and the dataset's history."""

    batch: ReportFiles
    history: ReportFiles

    @property
    def zh_path(self) -> Path:
        return self.batch.zh_path


def write_batch_report(
    contract: DatasetContract, batch_id: str, settings: Settings | None = None
) -> PiiReportFiles:
    """Write (or rewrite) a batch's PII report, ``latest`` when it is the newest batch, and the history.

    Raises:
        KeyError: the PII gate has not classified the batch.
    """
    stored = decisions.classification_of(batch_id)
    if stored is None:
        raise KeyError(f"batch {batch_id} of {contract.name} has no PII classification; run the PII gate")
    directory = report_dir(contract.name, settings)
    data = batch_report_data(contract, stored)
    stem = batch_stem(batch_id)
    files = _write_batch(directory, stem, data)
    newest = decisions.classifications(contract.name)[-1]["batch_id"]
    if newest == batch_id:
        _write_batch(directory, LATEST_STEM, data, batch_page=stem)
    return PiiReportFiles(files, write_history_report(contract, settings))


def write_history_report(contract: DatasetContract, settings: Settings | None = None) -> ReportFiles:
    """Write the dataset's PII history report."""
    data = history_report_data(contract)
    pages = {lang: render_history_page(data, lang) for lang in LANGUAGES}
    return write_report(report_dir(contract.name, settings), HISTORY_STEM, data, pages)


def _write_batch(directory: Path, stem: str, data: BatchReport, batch_page: str | None = None) -> ReportFiles:
    pages = {lang: render_batch_page(data, lang, stem, batch_page or stem) for lang in LANGUAGES}
    return write_report(directory, stem, data, pages)
