"""Gate, or just read, one landed batch of a prepared bench lake; print seconds, CPU seconds (all
threads) and peak RSS as JSON.

Run as a separate process so that its peak memory is its own:
``python -m bench.quality_once --home DIR --batch ID [--read]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from bench.ingest_once import _peak_rss_mb


def _contract():  # type: ignore[no-untyped-def]
    from huiliu.contracts import load_contract

    return load_contract("resident_registry")


def gate(batch_id: str) -> dict[str, int]:
    """The gate over the batch: its rows, and how many of them it quarantined."""
    from huiliu.errors import BatchHeldError
    from huiliu.quality.gate import run_gate

    try:
        result = run_gate(_contract(), batch_id)
    except BatchHeldError as exc:
        raise SystemExit(f"the bench batch was held: {exc}") from None
    return {"rows": result.rows_total, "rows_quarantined": result.rows_quarantined}


def read(batch_id: str) -> dict[str, int]:
    """The plain way: scan the batch from the lake into one Arrow table."""
    from pyiceberg.expressions import EqualTo

    from huiliu.lake.catalog import lake_table

    table = lake_table(_contract().landing_table)
    return {"rows": table.scan(row_filter=EqualTo("_batch_id", batch_id)).to_arrow().num_rows}


def land(url: str, run_keys: list[str], table: str = "resident_registry") -> None:
    """Prepare the lake: land a 1M-row source table once per run key, as full snapshots."""
    from huiliu.contracts.model import Extraction, SqlSource
    from huiliu.ingest import land_dataset

    os.environ["HUILIU_SOURCE_BENCH"] = url
    source = SqlSource(connection="bench", table=table)
    contract = _contract().model_copy(update={"source": source, "extraction": Extraction(mode="full")})
    for key in run_keys:
        land_dataset(contract, key)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--batch", required=True, nargs="+", help="batch id (or run keys with --land)")
    parser.add_argument("--read", action="store_true")
    parser.add_argument("--land", metavar="URL", help="land the PostgreSQL source under the run keys")
    parser.add_argument("--table", default="resident_registry", help="source table to land")
    args = parser.parse_args()
    os.environ["HUILIU_HOME"] = args.home
    if args.land:
        land(args.land, args.batch, args.table)
        return
    import great_expectations  # noqa: F401 - imports are not part of the figure
    import pyiceberg.io.pyarrow  # noqa: F401

    import huiliu.quality.expectations
    import huiliu.quality.gate  # noqa: F401

    started, cpu = time.perf_counter(), time.process_time()
    counts = (read if args.read else gate)(args.batch[0])
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    figures = {**counts, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": _peak_rss_mb()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
