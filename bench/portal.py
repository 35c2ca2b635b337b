"""Portal figures, each beside its same-run baseline.

The lakes are :mod:`bench.delivery`'s curated resident registries of 南明区 (520102); the district
itself holds an approved grant, so its extract is every row, and a token. The district's push
delivery is held by the re-identification guard (rare combinations across the whole district) and
released by a compliance officer, as in production; a pull of the same snapshot is then served
from that released delivery's file. ``huiliu portal`` serves each lake in its own process.

* Pull throughput: ``GET /api/v1/datasets/resident_registry/download?format=csv`` of the 1M-row
  extract over loopback, vs reading the same rows with ``CuratedSnapshot.columns`` and writing them
  with ``pyarrow.csv`` in-process  [the pull's speed ≥ 50% of the baseline's: time ratio ≤ 2].
* Pull memory: the server's peak RSS after pulling the 1M-row extract vs after pulling a 100k-row
  one, each server fresh  [ratio ≤ 1.2].
* ``GET /api/v1/datasets`` from 50 concurrent clients for 30 s: errors and p99 latency
  [0 errors, p99 < 200 ms].

Run alone: ``python -m bench.portal`` (``--rows N`` for a smaller lake).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.delivery import DISTRICT, _child

ROWS = 1_000_000
SMALL = 100_000
CLIENTS = 50
SECONDS = 30.0


def grant_and_token() -> dict[str, Any]:
    """The district's approved grant of the registry and a token of the district (in HUILIU_HOME)."""
    from tests.helpers.deliveries import approved_grant, approvers

    from huiliu.contracts import load_contract, load_contracts
    from huiliu.policy.accounts import Role, RoleGrant, add_account
    from huiliu.policy.grants import known_departments
    from huiliu.portal.tokens import create_token
    from huiliu.returnflow.push import deliver, release_held
    from huiliu.returnflow.records import DeliveryStatus

    approvers()
    add_account(
        "engineer",
        unit_code="5201",
        roles=[RoleGrant(role=Role.BUREAU_ENGINEER)],
        departments=known_departments(load_contracts()),
    )
    contract = load_contract("resident_registry")
    approved_grant(contract, DISTRICT, datetime.now(UTC))
    pushed = deliver(contract)
    held = [o.delivery_id for o in pushed.outcomes if o.status is DeliveryStatus.HELD]
    if held:  # the district's whole registry holds rare combinations: the officer releases it
        release_held(contract, held, by="officer", reason="区级统筹核验，稀有组合已压制")
    return {"token": create_token(DISTRICT, by="engineer").token, "released": bool(held)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(home: str) -> Iterator[tuple[str, int]]:
    """``huiliu portal`` on the bench home; its URL and process id."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUILIU_", "OPENLINEAGE"))}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "huiliu"), "portal", "--port", str(port)],
        env={**env, "HUILIU_HOME": home},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("huiliu portal did not start")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def pull(url: str, token: str) -> dict[str, Any]:
    """One CSV pull of the district's extract, streamed and discarded; its time and size."""
    started = time.perf_counter()
    size = 0
    with httpx.stream(
        "GET",
        url + "/api/v1/datasets/resident_registry/download",
        params={"format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    ) as response:
        response.raise_for_status()
        rows = int(response.headers["x-huiliu-rows"])
        for chunk in response.iter_bytes(1 << 20):
            size += len(chunk)
    return {"seconds": time.perf_counter() - started, "bytes": size, "rows": rows}


def read_and_write_csv(home: str) -> dict[str, Any]:
    """PyArrow alone, in-process: the same snapshot's rows read from curated and written to CSV."""
    import pyarrow.csv as pacsv

    from huiliu.contracts import load_contract
    from huiliu.returnflow.snapshot import CuratedSnapshot

    contract = load_contract("resident_registry")
    target = Path(home) / "baseline.csv"
    started = time.perf_counter()
    rows = CuratedSnapshot(contract).columns([c.name for c in contract.columns])
    pacsv.write_csv(rows, target)
    seconds = time.perf_counter() - started
    target.unlink()
    return {"seconds": seconds, "rows": rows.num_rows}


def _listing_clients(url: str, token: str, threads: int, seconds: float, answers: Any) -> None:
    """``threads`` clients (keep-alive connections) listing datasets back to back for ``seconds``."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connection.request("GET", "/api/v1/datasets", headers={"Authorization": f"Bearer {token}"})
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or not json.loads(body)["datasets"]:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
            latencies.append(time.perf_counter() - started)

    running = [threading.Thread(target=client) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    answers.put((latencies, errors[0]))


def listing_load(url: str, token: str, clients: int = CLIENTS, seconds: float = SECONDS) -> dict[str, Any]:
    """``clients`` concurrent clients on loopback (two processes of threads, so the load generator is
    not the bottleneck); latency percentiles and errors."""
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    halves = [clients // 2, clients - clients // 2]
    workers = [
        context.Process(target=_listing_clients, args=(url, token, n, seconds, answers)) for n in halves
    ]
    for worker in workers:
        worker.start()
    results = [answers.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for found, _ in results for x in found)
    errors = sum(e for _, e in results)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    return {"requests": len(latencies), "errors": errors, "p99_ms": p99 * 1000, "p50_ms": p50 * 1000}


def _row(figure: str, ours: float, baseline: float, target: str, **extra: Any) -> dict[str, Any]:
    return {
        "figure": figure,
        "ours": round(ours, 3),
        "baseline": round(baseline, 3),
        "ratio": round(ours / baseline, 2),
        "target": target,
        **extra,
    }


def figures(rows: int = ROWS, small: int = SMALL, runs: int = 3) -> list[dict[str, Any]]:
    """The portal's three figures."""
    with (
        tempfile.TemporaryDirectory(prefix="huiliu-bench-portal-") as big_home,
        tempfile.TemporaryDirectory(prefix="huiliu-bench-portal-small-") as small_home,
    ):
        _child(big_home, "--prepare", str(rows))
        _child(small_home, "--prepare", str(small))
        token = _portal_child(big_home, "--grant")["token"]
        small_token = _portal_child(small_home, "--grant")["token"]
        os.sync()
        with served(small_home) as (url, pid):
            pull(url, small_token)
            small_rss = _peak_rss_mb(pid)
        with served(big_home) as (url, pid):
            pulls, bases = [], []
            for _ in range(runs):
                pulls.append(pull(url, token))
                bases.append(_portal_child(big_home, "--baseline"))
            big_rss = _peak_rss_mb(pid)
            load = listing_load(url, token)
    fastest, base = min(pulls, key=lambda r: r["seconds"]), min(bases, key=lambda r: r["seconds"])
    return [
        _row(
            f"pulling the {fastest['rows']:,}-row extract as CSV over HTTP vs PyArrow reading and writing "
            "it in-process (s)",
            fastest["seconds"],
            base["seconds"],
            "≤ 2.00",
            megabytes=round(fastest["bytes"] / 1e6, 1),
        ),
        _row(f"portal peak RSS, pulling {rows:,} vs {small:,} rows (MB)", big_rss, small_rss, "≤ 1.20"),
        {
            "figure": f"GET /api/v1/datasets, {CLIENTS} clients for {SECONDS:.0f} s: p99 (ms) vs p50; "
            f"{load['requests']:,} requests, {load['errors']} errors",
            "ours": round(load["p99_ms"], 1),
            "baseline": round(load["p50_ms"], 1),
            "ratio": round(load["p99_ms"] / load["p50_ms"], 2),
            "target": "0 errors, p99 < 200 ms",
            "errors": load["errors"],
        },
    ]


def _portal_child(home: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.portal", "--home", home, *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=ROWS, help="residents in the larger lake")
    parser.add_argument("--small", type=int, default=SMALL, help="residents in the smaller lake")
    parser.add_argument("--home", help=argparse.SUPPRESS)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--grant", action="store_true", help=argparse.SUPPRESS)
    modes.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.grant or args.baseline:
        for key in [k for k in os.environ if k.startswith(("HUILIU_", "OPENLINEAGE"))]:
            del os.environ[key]
        os.environ["HUILIU_HOME"] = args.home
        print(json.dumps(grant_and_token() if args.grant else read_and_write_csv(args.home)))
        return
    for figure in figures(args.rows, args.small):
        print(figure)


if __name__ == "__main__":
    main()
