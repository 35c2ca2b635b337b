"""The end-to-end demo: a small synthetic city, every ingestion DAG run once by Airflow."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huiliu.airflow.environment import configure_airflow_env
from huiliu.settings import Settings, get_settings

# a fixed logical date: re-running the demo replaces the same batches instead of adding new ones
DEMO_LOGICAL_DATE = datetime(2026, 11, 1, tzinfo=UTC)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    owner: str
    state: str
    rows_landed: int
    batches: int
    seconds: float


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
    generate_city(settings.city_path, settings.city_code, None, "small", seed, as_of=DEMO_LOGICAL_DATE.date())
    report("airflow metadata database: migrating")
    migrate_metadata_db()


def _landed_rows(dataset: str, since: datetime) -> tuple[int, int]:
    """Rows landed by batches finished since ``since``, and the dataset's committed batch count."""
    from huiliu.store.batches import batches_of

    batches = [b for b in batches_of(dataset) if b.status == "committed"]
    recent = [b for b in batches if b.finished_at and b.finished_at.replace(tzinfo=UTC) >= since]
    return sum(b.rows for b in recent), len(batches)


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
            name, contract.owner.department, state, rows, batches, round(time.perf_counter() - started, 2)
        )
        on_dataset(summary)
        out.append(summary)
    return out


def write_summary(datasets: list[DatasetSummary], settings: Settings) -> Path:
    """``.huiliu/demo/summary.json``: one entry per dataset (later stages add fields)."""
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
                "seconds": d.seconds,
            }
            for d in datasets
        ],
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def run_demo(
    seed: int, report: Progress, on_dataset: Callable[[DatasetSummary], None]
) -> tuple[list[DatasetSummary], Path]:
    configure_airflow_env()
    settings = get_settings()
    prepare(settings, seed, report)
    datasets = run_all(report, on_dataset)
    return datasets, write_summary(datasets, settings)
