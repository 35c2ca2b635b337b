"""The end-to-end demo: a small synthetic city, every ingestion DAG run once by Airflow, the
reconciliation, and the return flow (grants, then the delivery DAGs of the granted datasets)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict

from huiliu.airflow.demo_portal import PortalRecord, run_portal
from huiliu.airflow.demo_returns import ReturnsRecord, grant_access, run_deliveries
from huiliu.airflow.environment import configure_airflow_env
from huiliu.settings import Settings, get_settings
from huiliu.store.statuses import BatchStatus

# a fixed logical date (midnight 2026-11-01 in Asia/Shanghai, the city's as-of date): re-running
# the demo replaces the same batches instead of adding new ones
DEMO_LOGICAL_DATE = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
CITY_AS_OF = date(2026, 11, 1)
Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class DatasetSummary:
    """One dataset's ingestion DAG run: its state, what it landed and what the gates made of it."""

    name: str
    owner: str
    state: str
    rows_landed: int
    batches: int
    seconds: float
    rows_curated: int = 0
    rows_quarantined: int = 0
    pass_rate: float | None = None
    quality: str = "not run"
    pii_columns: int = 0
    pii_findings: int = 0
    pii_decision: str = "not run"


class QualityColumns(TypedDict, total=False):
    """The quality gate's part of a :class:`DatasetSummary` (none when no batch was gated)."""

    rows_curated: int
    rows_quarantined: int
    pass_rate: float | None
    quality: str


class PiiColumns(TypedDict, total=False):
    """The PII gate's part of a :class:`DatasetSummary` (none when no batch was classified)."""

    pii_columns: int
    pii_findings: int
    pii_decision: str


class CheckCounts(TypedDict):
    """One reconciliation check of the demo's run, counts only (None: not in the stored summary)."""

    name: str | None
    status: str | None
    rows_compared: int | None
    mismatches: int | None


class ReconciliationResult(TypedDict):
    """The ``reconcile_city`` run of the demo: the DAG run's state and the stored run's checks."""

    state: str
    status: str | None
    checks: list[CheckCounts]


class DemoExtras(TypedDict):
    """What ``summary.json`` holds besides the datasets."""

    reconciliation: ReconciliationResult
    reports: dict[str, str]
    deliveries: ReturnsRecord
    portal: PortalRecord | None


def prepare(settings: Settings, seed: int, report: Progress) -> None:
    """Governance store, units, the small city and Airflow's metadata database."""
    from huiliu.airflow.runner import migrate_metadata_db
    from huiliu.city import generate_city
    from huiliu.divisions import load_hierarchy
    from huiliu.store.db import upgrade
    from huiliu.store.units import sync_units

    settings.ensure_home()
    report("governance store: migrating")
    upgrade()
    sync_units(load_hierarchy(settings.city_code, None, settings.units_seed))
    report(f"synthetic city: generating (small, seed {seed})")
    generate_city(settings.city_path, settings.city_code, None, "small", seed, as_of=CITY_AS_OF)
    report("airflow metadata database: migrating")
    migrate_metadata_db()


def _landed_rows(dataset: str, since: datetime) -> tuple[int, int]:
    """Rows landed by batches finished since ``since``, and the dataset's committed batch count."""
    from huiliu.store.batches import batches_of

    batches = [b for b in batches_of(dataset) if b.status == BatchStatus.COMMITTED]
    recent = [b for b in batches if b.finished_at and b.finished_at.replace(tzinfo=UTC) >= since]
    return sum(b.rows for b in recent), len(batches)


def _quality(dataset: str, since: datetime) -> QualityColumns:
    """The quality columns of the batches gated since ``since``."""
    from huiliu.quality.records import quality_runs

    runs = [r for r in quality_runs(dataset) if r.finished_at and r.finished_at.replace(tzinfo=UTC) >= since]
    if not runs:
        return {}
    total = sum(r.rows_total for r in runs)
    curated = sum(r.rows_curated for r in runs)
    statuses = sorted({r.status for r in runs})
    return {
        "rows_curated": curated,
        "rows_quarantined": sum(r.rows_quarantined for r in runs),
        "pass_rate": round(curated / total, 4) if total else None,
        "quality": ",".join(statuses),
    }


def _pii(dataset: str, since: datetime) -> PiiColumns:
    """The PII columns of the latest batch classified since ``since``: PI columns, free-text findings."""
    from huiliu.pii.decisions import classifications, latest_decision
    from huiliu.pii.report import count_pii_columns

    recent = [c for c in classifications(dataset) if c["classified_at"].replace(tzinfo=UTC) >= since]
    if not recent:
        return {}
    latest = recent[-1]
    decision = latest_decision(latest["batch_id"])
    return {
        "pii_columns": count_pii_columns(latest["columns"]),
        "pii_findings": sum(s["findings"] for s in latest["free_text"].values()),
        "pii_decision": decision.status if decision else "not run",
    }


def run_all(report: Progress, on_dataset: Callable[[DatasetSummary], None]) -> list[DatasetSummary]:
    """Run every ingestion DAG once with ``dag.test()``."""
    from huiliu.airflow.runner import run_dag
    from huiliu.contracts import load_contracts

    out: list[DatasetSummary] = []
    for name, contract in sorted(load_contracts().items()):
        report(f"running ingest_{name}")
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        state = run_dag(f"ingest_{name}", DEMO_LOGICAL_DATE)
        rows, batches = _landed_rows(name, started_at)
        summary = DatasetSummary(
            name=name,
            owner=contract.owner.department,
            state=state,
            rows_landed=rows,
            batches=batches,
            seconds=round(time.perf_counter() - started, 2),
            **_quality(name, started_at),
            **_pii(name, started_at),
        )
        on_dataset(summary)
        out.append(summary)
    return out


@dataclass(frozen=True, kw_only=True)
class DemoOutcome:
    """Everything the demo did: per-dataset summaries, the reconciliation and the reports written."""

    datasets: list[DatasetSummary]
    reconciliation: ReconciliationResult
    reports: dict[str, str]
    summary_path: Path
    deliveries: ReturnsRecord
    portal: PortalRecord | None = None


def run_reconciliation(report: Progress) -> ReconciliationResult:
    """Run the cross-department reconciliation DAG once and describe its latest run."""
    from huiliu.airflow.runner import run_dag
    from huiliu.reconciliation.store import latest_run

    report("running reconcile_city")
    state = run_dag("reconcile_city", DEMO_LOGICAL_DATE)
    run = latest_run()
    checks: list[CheckCounts] = [
        {
            "name": c.get("name"),
            "status": c.get("status"),
            "rows_compared": c.get("rows_compared"),
            "mismatches": c.get("mismatches"),
        }
        for c in (run.summary if run else [])
    ]
    return {"state": state, "status": run.status if run else None, "checks": checks}


def write_reports(settings: Settings, report: Progress) -> dict[str, str]:
    """The quality scorecard, plus where the reconciliation report and Data Docs are."""
    from huiliu.quality.scorecard import build_scorecard, write_scorecard

    report("writing the quality scorecard")
    card = write_scorecard(build_scorecard(DEMO_LOGICAL_DATE))
    reports = settings.reports_path
    return {
        "quality_scorecard": str(card.zh_path),
        "quality_scorecard_en": str(card.en_path),
        "reconciliation": str(reports / "reconciliation" / "latest.html"),
        "data_docs": str(reports / "quality" / "docs"),
        "pii_reports": str(reports / "pii"),
    }


def write_summary(
    datasets: list[DatasetSummary], settings: Settings, extra: DemoExtras | None = None
) -> Path:
    """``.huiliu/demo/summary.json``: one entry per dataset, the reconciliation and report paths."""
    path = settings.home / "demo" / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(),
        "datasets": [
            {
                "name": d.name,
                "owner": d.owner,
                "state": d.state,
                "rows_landed": d.rows_landed,
                "batches": d.batches,
                "rows_curated": d.rows_curated,
                "rows_quarantined": d.rows_quarantined,
                "pass_rate": d.pass_rate,
                "quality": d.quality,
                "pii_columns": d.pii_columns,
                "pii_findings": d.pii_findings,
                "pii_decision": d.pii_decision,
                "seconds": d.seconds,
            }
            for d in datasets
        ],
        **(extra or {}),
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def run_demo(seed: int, report: Progress, on_dataset: Callable[[DatasetSummary], None]) -> DemoOutcome:
    configure_airflow_env()
    settings = get_settings()
    prepare(settings, seed, report)
    datasets = run_all(report, on_dataset)
    reconciliation = run_reconciliation(report)
    returns = grant_access(settings.city_code, report)
    run_deliveries(returns, report)
    portal = run_portal(settings.city_code, returns.grants, report)
    deliveries = returns.as_dict()
    reports = write_reports(settings, report)
    reports["outbox"] = str(settings.outbox_path)
    extra: DemoExtras = {
        "reconciliation": reconciliation,
        "reports": reports,
        "deliveries": deliveries,
        "portal": portal,
    }
    path = write_summary(datasets, settings, extra)
    return DemoOutcome(
        datasets=datasets,
        reconciliation=reconciliation,
        reports=reports,
        summary_path=path,
        deliveries=deliveries,
        portal=portal,
    )
