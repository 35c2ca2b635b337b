"""``make bench``: ingestion speed and memory figures, each beside its same-run baseline.

Figures (issue targets in brackets):
  * landing a 1M-row resident registry from PostgreSQL, vs reading the same query into Arrow
    and writing one Parquet file with PyArrow  [time ratio <= 1.5]
  * peak RSS of landing 4M rows vs 1M rows  [ratio <= 1.25]
  * the quality gate on a 1M-row resident batch vs a plain read of that batch  [<= 3]
  * peak RSS of the gate when the table holds 4 batches vs 1  [memory does not grow]
  * PII: free-text scanning (tagger included) vs plain AnalyzerEngine.analyze per text
    [>= 3x faster, >= 1,000 texts/s], and classifying a 1M-row, 20-column table vs reading it  [<= 2]
  * PII accuracy: names and addresses on real held-out corpora vs the rules alone, and the number
    entities (and names, addresses) on each adversarial template set vs the other
  * outbox: a delivery's XLSX vs bare XlsxWriter constant-memory mode  [<= 1.3], and its Parquet + CSV
    vs PyArrow writing both once
  * delivery: a 1M-row resident registry delivered to every street and community of one district
    (Parquet + CSV) vs PyArrow writing the table once to each  [<= 2.5]; the re-identification guard
    on it vs reading its columns from curated  [<= 2]; peak RSS of the delivery, 4M vs 1M rows  [<= 1.25]
  * portal: pulling a 1M-row extract as CSV over HTTP vs PyArrow reading and writing it in-process
    [time ratio <= 2], the server's peak RSS pulling 1M vs 100k rows  [<= 1.2], and GET /api/v1/datasets
    from 50 concurrent clients for 30 s  [0 errors, p99 < 200 ms]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bench.timing import best_of_rounds, create_table_as

ADMIN = os.environ.get("HUILIU_BENCH_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DATABASE = "huiliu_bench"
console = Console()


def _database_url() -> str:
    engine = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DATABASE}
        ).scalar()
        if not exists:
            conn.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    return sa.engine.make_url(ADMIN).set(database=DATABASE).render_as_string(hide_password=False)


def _row_count(url: str, table: str) -> int:
    with sa.create_engine(url).connect() as conn:
        try:
            return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar() or 0)
        except sa.exc.ProgrammingError:
            return 0


def prepare_sources(url: str) -> None:
    """resident_registry (1M rows) and resident_registry_4m (4M rows: four shifted copies)."""
    from huiliu.city import write_resident_rows

    if _row_count(url, "resident_registry") != 1_000_000:
        console.print("writing 1,000,000 synthetic residents to PostgreSQL …")
        write_resident_rows(url, 1_000_000, seed=11)
    if _row_count(url, "resident_registry_4m") != 4_000_000:
        console.print("building the 4,000,000-row table …")
        create_table_as(
            url,
            "resident_registry_4m",
            "SELECT r.*, k FROM resident_registry r CROSS JOIN generate_series(0, 3) AS k",
            "UPDATE resident_registry_4m SET id_number = id_number || k::text",
            "ALTER TABLE resident_registry_4m DROP COLUMN k",
        )
    prepare_defects(url)


DEFECT_EVERY = 100  # resident_registry_defects: every 100th resident's phone is not a mobile number


def prepare_defects(url: str) -> None:
    """resident_registry_defects: the 1M residents with 1% failing rows, spread over the table."""
    if _row_count(url, "resident_registry_defects") == 1_000_000:
        return
    console.print("building the 1M-row table with 1% failing rows …")
    create_table_as(
        url,
        "resident_registry_defects",
        "SELECT r.*, row_number() OVER (ORDER BY id_number) AS n FROM resident_registry r",
        f"UPDATE resident_registry_defects SET phone = '0851-5550' WHERE n % {DEFECT_EVERY} = 0",
        "ALTER TABLE resident_registry_defects DROP COLUMN n",
    )


def run_once(url: str, table: str, baseline: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="huiliu-bench-") as home:
        cmd = [sys.executable, "-m", "bench.ingest_once", "--url", url, "--table", table, "--home", home]
        out = subprocess.run(
            [*cmd, *(["--baseline"] if baseline else [])], check=True, capture_output=True, text=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ingest_figures(url: str) -> list[dict[str, Any]]:
    console.print("landing: timing (best of 3, alternating) …")
    base, ours = best_of_rounds(
        3,
        lambda: run_once(url, "resident_registry", baseline=True),
        lambda: run_once(url, "resident_registry"),
    )
    big = run_once(url, "resident_registry_4m")
    return [
        {
            "figure": "landing 1M rows from PostgreSQL (s)",
            "ours": ours["seconds"],
            "baseline": base["seconds"],
            "target": "≤ 1.50",
        },
        {
            "figure": "peak RSS, landing 4M vs 1M rows (MB)",
            "ours": big["peak_rss_mb"],
            "baseline": ours["peak_rss_mb"],
            "target": "≤ 1.25",
        },
    ]


def main() -> None:
    from bench import delivery, outbox, pii_accuracy, pii_speed, portal, quality_gate

    started = time.perf_counter()
    url = _database_url()
    prepare_sources(url)
    figures = ingest_figures(url)
    console.print("quality gate: timing (best of 5 rounds, both batches read and gated in each) …")
    figures += quality_gate.figures(url)
    console.print("PII: timing …")
    figures += pii_speed.figures()
    console.print("PII: accuracy on real and adversarial text …")
    figures += pii_accuracy.figures()
    console.print("outbox: timing (best of 3, alternating) …")
    figures += outbox.bench_outbox()
    console.print("delivery: lakes of 1M and 4M residents, timing (best of 3, alternating), peak RSS …")
    figures += delivery.figures()
    console.print("portal: a 1M-row pull over HTTP (best of 3, alternating), peak RSS, 50 clients listing …")
    figures += portal.figures()
    table = Table("figure", "huiliu", "baseline", "ratio", "target", title="huiliu bench")
    for row in figures:
        ours, base = row.get("ours", row.get("ours_s")), row.get("baseline", row.get("baseline_s"))
        ratio = row.get("ratio", ours / base)  # a speed-up figure gives its own (baseline / ours)
        table.add_row(row["figure"], f"{ours:.4g}", f"{base:.4g}", f"{ratio:.2f}", row["target"])
    console.print(table)
    console.print(f"bench took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
