"""Land one PostgreSQL table into a fresh lake and print elapsed seconds and peak RSS as JSON.

Run as a separate process so that its peak memory is its own:
``python -m bench.ingest_once --url URL --table T --home DIR [--baseline]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_huiliu() -> None:
    """Library imports, done before the clock starts (as for the baseline's own imports)."""
    import pyiceberg.io.pyarrow  # noqa: F401 - loaded lazily by pyiceberg on first table use

    import huiliu.ingest  # noqa: F401


def import_baseline() -> None:
    import adbc_driver_postgresql.dbapi  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def huiliu_landing(url: str, table: str, home: str) -> int:
    """A first landing into an empty lake: store, catalog and table are created inside the timing."""
    os.environ["HUILIU_HOME"] = home
    os.environ["HUILIU_SOURCE_BENCH"] = url
    from huiliu.contracts import load_contract
    from huiliu.contracts.model import SqlSource
    from huiliu.ingest import land_dataset

    contract = load_contract("resident_registry")
    contract = contract.model_copy(update={"source": SqlSource(connection="bench", table=table)})
    return land_dataset(contract, f"bench-{time.time_ns()}").rows


def baseline(url: str, table: str, home: str) -> int:
    """The plain way: the same query into one Arrow table with ADBC, one Parquet file with PyArrow."""
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow.parquet as pq
    from sqlalchemy.engine import make_url

    from huiliu.contracts import load_contract

    columns = ", ".join(f'"{c.name}"' for c in load_contract("resident_registry").columns)
    uri = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with adbc.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT {columns} FROM "{table}"')
        data = cur.fetch_arrow_table()
    Path(home).mkdir(parents=True, exist_ok=True)
    pq.write_table(data, Path(home) / "baseline.parquet", compression="zstd")
    return data.num_rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    (import_baseline if args.baseline else import_huiliu)()
    started = time.perf_counter()
    rows = (baseline if args.baseline else huiliu_landing)(args.url, args.table, args.home)
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mb": _peak_rss_mb()}))


if __name__ == "__main__":
    main()
