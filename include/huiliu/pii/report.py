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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huiliu.contracts.model import DatasetContract
from huiliu.pii import decisions
from huiliu.pii.policy import ORGANISATION_TYPES
from huiliu.pii.report_page import render_batch_page, render_history_page
from huiliu.reports.files import ReportFiles, write_report
from huiliu.reports.labels import LANGUAGES
from huiliu.settings import Settings, get_settings

HISTORY_STEM = "history"
LATEST_STEM = "latest"


def report_dir(dataset: str, settings: Settings | None = None) -> Path:
    """``<reports>/pii/<dataset>``."""
    return (settings or get_settings()).reports_path / "pii" / dataset


def batch_stem(batch_id: str) -> str:
    """A batch id as a file name: letters, digits, ``-`` and ``_`` kept, anything else ``_``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in batch_id)


def count_pii_columns(columns: list[dict[str, Any]]) -> int:
    """Stored columns classified as personal information (organisation identifiers do not count)."""
    return sum(1 for c in columns if set(c.get("entity_types") or ()) - ORGANISATION_TYPES)


def _column_rows(column: dict[str, Any], entity: dict[str, Any]) -> int:
    """Rows of a structured column estimated to carry an entity (non-empty rows × match ratio)."""
    filled = max(int(column.get("rows") or 0) - int(column.get("nulls") or 0), 0)
    return round(filled * float(entity.get("match_ratio") or 0.0))


def entity_counts(stored: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Entity type → columns classified with it and rows carrying it (free text: every row counted)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"columns": 0, "rows": 0})
    free_text = stored["free_text"]
    for column in stored["columns"]:
        if column["name"] in free_text:
            continue
        for entity in column.get("entities") or ():
            counts[entity["entity_type"]]["columns"] += 1
            counts[entity["entity_type"]]["rows"] += _column_rows(column, entity)
    for summary in free_text.values():
        for entity, found in summary["entities"].items():
            counts[entity]["columns"] += 1
            counts[entity]["rows"] += found["rows"]
    return {k: dict(v) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]["rows"])}


def _columns(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-column table: what was detected, what was declared, evidence (masked) and why."""
    rows = []
    for column in stored["columns"]:
        entities = column.get("entities") or []
        examples = next((e["examples"] for e in entities if e.get("examples")), [])
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


def _free_text(stored: dict[str, Any]) -> dict[str, Any]:
    columns = stored["free_text"]
    return {
        "columns": columns,
        "findings": sum(s["findings"] for s in columns.values()),
        "rows_with_findings": sum(s["rows_with_findings"] for s in columns.values()),
    }


def batch_report_data(contract: DatasetContract, stored: dict[str, Any]) -> dict[str, Any]:
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


def _dataset_fields(contract: DatasetContract) -> dict[str, Any]:
    return {
        "dataset": contract.name,
        "title": contract.title,
        "title_en": contract.title_en,
        "owner": contract.owner.department,
        "sensitivity": contract.classification.sensitivity.value,
        "generated_at": datetime.now(UTC),
    }


def history_report_data(contract: DatasetContract) -> dict[str, Any]:
    """The data of a dataset's history report: every classified batch and every decision."""
    history = decisions.decision_history(contract.name)
    latest = {d.batch_id: d.status for d in history}
    batches = []
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
    files = _write(directory, stem, data, "batch")
    newest = decisions.classifications(contract.name)[-1]["batch_id"]
    if newest == batch_id:
        _write(directory, LATEST_STEM, data, "batch", batch_page=stem)
    return PiiReportFiles(files, write_history_report(contract, settings))


def write_history_report(contract: DatasetContract, settings: Settings | None = None) -> ReportFiles:
    """Write the dataset's PII history report."""
    return _write(report_dir(contract.name, settings), HISTORY_STEM, history_report_data(contract), "history")


def _write(
    directory: Path, stem: str, data: dict[str, Any], kind: str, batch_page: str | None = None
) -> ReportFiles:
    if kind == "history":
        pages = {lang: render_history_page(data, lang) for lang in LANGUAGES}
    else:
        pages = {lang: render_batch_page(data, lang, stem, batch_page or stem) for lang in LANGUAGES}
    return write_report(directory, stem, data, pages)
