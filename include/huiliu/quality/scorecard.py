"""The quality scorecard: per dataset and per owner department, over time.

Built from the gate's verdicts in the governance store plus each source's freshness now; written
as JSON and as HTML pages with charts (Chinese, with an English version).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from huiliu.contracts.model import DatasetContract
from huiliu.reports.html import SHANGHAI
from huiliu.store.models import QualityRun
from huiliu.store.statuses import QualityStatus

if TYPE_CHECKING:
    from huiliu.quality.freshness import FreshnessRecord
    from huiliu.quality.verdict import RuleRecord
    from huiliu.reports.files import ReportFiles


class TrendPoint(TypedDict):
    """One Beijing day of a trend: rows gated, curated and quarantined, and the pass rate."""

    day: str
    pass_rate: float | None
    rows_total: int
    rows_curated: int
    rows_quarantined: int


class DatasetCard(TypedDict):
    """One dataset's scorecard entry."""

    dataset: str
    title: str
    title_en: str
    owner: str
    owner_en: str
    owner_code: str
    batches: int
    rows_total: int
    rows_curated: int
    rows_quarantined: int
    batches_held: int
    pass_rate: float | None
    last_status: str
    last_pass_rate: float | None
    last_batch_id: str | None
    last_gated_at: str | None
    failed_rules: list[RuleRecord]
    freshness: FreshnessRecord
    trend: list[TrendPoint]


class DepartmentCard(TypedDict):
    """An owner department's datasets summed."""

    owner: str
    owner_en: str
    datasets: list[str]
    rows_total: int
    rows_curated: int
    rows_quarantined: int
    pass_rate: float | None
    stale_datasets: list[str]
    trend: list[TrendPoint]


class Scorecard(TypedDict):
    """The scorecard, as ``scorecard.json`` holds it."""

    generated_at: str
    reference_time: str
    datasets: list[DatasetCard]
    departments: list[DepartmentCard]


def _utc(moment: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite hands back the UTC times it stores without a zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _trend(runs: Sequence[QualityRun]) -> list[TrendPoint]:
    """Per Beijing day, oldest first: rows gated, curated and quarantined, and the pass rate."""
    return _daily(
        (
            _utc(run.finished_at).astimezone(SHANGHAI).date().isoformat(),
            run.rows_curated,
            run.rows_total,
            run.rows_quarantined,
        )
        for run in runs
        if run.finished_at is not None and run.rows_total
    )


def _daily(points: Iterable[tuple[str, int, int, int]]) -> list[TrendPoint]:
    """``(day, curated, total, quarantined)`` points summed per day, oldest first."""
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, *counts in points:
        days[day] = [a + b for a, b in zip(days[day], counts, strict=True)]
    return [
        {
            "day": day,
            "pass_rate": round(curated / total, 4) if total else None,
            "rows_total": total,
            "rows_curated": curated,
            "rows_quarantined": quarantined,
        }
        for day, (curated, total, quarantined) in sorted(days.items())
    ]


def dataset_card(
    contract: DatasetContract, runs: Sequence[QualityRun], freshness: FreshnessRecord
) -> DatasetCard:
    """One dataset's scorecard entry (pure). Its status and failed rules are those of the last batch
    that held rows: an empty delivery since does not hide what is wrong with the data."""
    total = sum(r.rows_total for r in runs)
    curated = sum(r.rows_curated for r in runs)
    latest = runs[-1] if runs else None
    last = next((r for r in reversed(runs) if r.rows_total), latest)
    return {
        "dataset": contract.name,
        "title": contract.title,
        "title_en": contract.title_en,
        "owner": contract.owner.department,
        "owner_en": contract.owner.department_en or contract.owner.department,
        "owner_code": contract.owner.department_code,
        "batches": len(runs),
        "rows_total": total,
        "rows_curated": curated,
        "rows_quarantined": sum(r.rows_quarantined for r in runs),
        "batches_held": sum(1 for r in runs if r.status == QualityStatus.HELD),
        "pass_rate": round(curated / total, 4) if total else None,
        "last_status": last.status if last else "not_run",
        "last_pass_rate": last.pass_rate if last else None,
        "last_batch_id": last.batch_id if last else None,
        "last_gated_at": _utc(latest.finished_at).isoformat() if latest and latest.finished_at else None,
        "failed_rules": _failed_rules(last),
        "freshness": freshness,
        "trend": _trend(runs),
    }


def _failed_rules(run: QualityRun | None) -> list[RuleRecord]:
    if run is None:
        return []
    failed: list[RuleRecord] = [r for r in run.expectations or [] if r.get("unexpected_count")]
    return sorted(failed, key=lambda r: -int(r["unexpected_count"]))[:10]


def department_cards(datasets: Sequence[DatasetCard]) -> list[DepartmentCard]:
    """Datasets summed per owner department, with their trend per day (pure)."""
    groups: dict[str, list[DatasetCard]] = defaultdict(list)
    for card in datasets:
        groups[card["owner"]].append(card)
    out: list[DepartmentCard] = []
    for owner, cards in sorted(groups.items()):
        total = sum(c["rows_total"] for c in cards)
        curated = sum(c["rows_curated"] for c in cards)
        trend = _daily(
            (p["day"], p["rows_curated"], p["rows_total"], p["rows_quarantined"])
            for c in cards
            for p in c["trend"]
        )
        out.append(
            {
                "owner": owner,
                "owner_en": cards[0]["owner_en"],
                "datasets": [c["dataset"] for c in cards],
                "rows_total": total,
                "rows_curated": curated,
                "rows_quarantined": sum(c["rows_quarantined"] for c in cards),
                "pass_rate": round(curated / total, 4) if total else None,
                "stale_datasets": [c["dataset"] for c in cards if c["freshness"].get("status") == "stale"],
                "trend": trend,
            }
        )
    return out


def build_scorecard(reference: datetime | None = None) -> Scorecard:
    """The scorecard of every contract's dataset, from the governance store."""
    from huiliu.contracts import load_contracts
    from huiliu.quality.freshness import check_freshness
    from huiliu.quality.records import quality_runs

    reference = reference or datetime.now(UTC)
    datasets = [
        dataset_card(contract, quality_runs(name), check_freshness(contract, reference).as_dict())
        for name, contract in sorted(load_contracts().items())
    ]
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "reference_time": reference.isoformat(),
        "datasets": datasets,
        "departments": department_cards(datasets),
    }


def write_scorecard(card: Scorecard, out: Path | None = None) -> ReportFiles:
    """Write ``scorecard.json``, ``scorecard.html`` (zh) and ``scorecard.en.html``."""
    from huiliu.quality.scorecard_page import render_scorecard
    from huiliu.reports.files import write_report
    from huiliu.reports.labels import LANGUAGES
    from huiliu.settings import get_settings

    directory = out or get_settings().reports_path / "quality"
    pages = {lang: render_scorecard(card, lang) for lang in LANGUAGES}
    return write_report(directory, "scorecard", card, pages)
