"""PII speed figures, each beside its same-run baseline.

* Free-text scanning of 1M synthetic 12345 and grid texts (the city generator's templates, about
  65 characters each) with the fast scanner, vs a plain ``AnalyzerEngine.analyze`` call per text
  with the same recognizers and the statistical tagger (LAC) in both. The baseline is timed on a
  sample of texts and scaled per row; the scanner's findings on that sample are checked to be
  identical to the baseline's. Also as texts per second, the scanner's against plain ``analyze``.
* Classifying a 1M-row, 20-column table (written once as Parquet in a temp folder) vs reading it
  with ``pyarrow.parquet.read_table``.

Run alone: ``python -m bench.pii_speed``.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 1_000_000
BASELINE_SAMPLE = 2_000
SEED = 7
AS_OF = date(2026, 10, 15)


def corpus(rows: int = ROWS, seed: int = SEED) -> list[str]:
    """``rows`` free texts from the city generator's hotline and grid templates (南明区, 50k residents)."""
    from huiliu.city.freetext import GRID_TEMPLATES, HOTLINE_TEMPLATES, compose
    from huiliu.city.geo import build_geo
    from huiliu.city.people import ALIVE, generate_population
    from huiliu.settings import get_settings

    rng = np.random.default_rng(seed)
    geo = build_geo("5201", ["520102"], get_settings().units_seed, seed)
    population = generate_population(rng, geo, 50_000, AS_OF)
    pool = np.flatnonzero((population.status == ALIVE) & (population.ages(AS_OF) >= 18))
    hotline = compose(rng, HOTLINE_TEMPLATES, pool, population, geo, AS_OF, rows * 4 // 5)
    grid = compose(rng, GRID_TEMPLATES, pool, population, geo, AS_OF, rows - rows * 4 // 5)
    texts = hotline.texts + grid.texts
    order = rng.permutation(len(texts))
    return [texts[i] for i in order.tolist()]


def scan_figure(rows: int = ROWS, sample: int = BASELINE_SAMPLE) -> list[dict[str, Any]]:
    """Fast scanning of ``rows`` texts vs plain ``analyze`` per text (timed on ``sample``, scaled)."""
    from huiliu.pii.engine import get_engine
    from huiliu.pii.scanner import plain_analyze, scan_table, scan_texts

    engine = get_engine()
    texts = corpus(rows)
    subset = texts[:: max(1, len(texts) // sample)][:sample]
    plain_analyze(subset[:20], engine)  # warm-up: caches, lazy loads
    started = time.perf_counter()
    baseline = plain_analyze(subset, engine)
    per_text = (time.perf_counter() - started) / len(subset)
    if scan_texts(subset, engine) != baseline:
        raise AssertionError("the fast scanner's findings differ from plain analyze on the sample")
    started = time.perf_counter()
    scan_table(texts, engine)
    ours = time.perf_counter() - started
    scaled = per_text * len(texts)
    length = sum(map(len, texts)) / len(texts)
    label = f"scan {len(texts):,} free texts (~{length:.0f} characters, tagger included) vs plain analyze"
    return [
        _row(f"{label} (s; baseline timed on {len(subset):,}, scaled)", ours, scaled, ">= 3x faster", True),
        {
            "figure": "free texts scanned per second (2 cores) vs plain analyze per text",
            "ours": round(len(texts) / ours),
            "baseline": round(1 / per_text),
            "target": ">= 1,000 texts/s",
        },
    ]


def wide_table(rows: int = ROWS, seed: int = SEED) -> pa.Table:
    """A 20-column table of the kinds a department delivers: identifiers, people, codes, amounts, text."""
    from huiliu.city.identity import bank_cards, mobiles, resident_ids

    rng = np.random.default_rng(seed)
    texts = corpus(min(rows, 50_000), seed)
    birth = np.datetime64("1940-01-01") + rng.integers(0, 30_000, rows).astype("timedelta64[D]")
    surnames, given = np.array(list("王李张刘陈杨黄赵吴周")), np.array(list("伟芳娜敏静丽强磊军洋"))
    names = np.char.add(surnames[rng.integers(0, 10, rows)], given[rng.integers(0, 10, rows)])
    numbers = rng.integers(1, 300, (3, rows)).tolist()
    addresses = [f"南明区遵义路{n}号阳光小区{b}栋{r}室" for n, b, r in zip(*numbers, strict=True)]
    received = np.datetime64("2026-01-01T00:00:00") + rng.integers(0, 25_000_000, rows).astype(
        "timedelta64[s]"
    )
    return pa.table(
        {
            "id_number": resident_ids(np.full(rows, 522731), birth, rng.integers(0, 999, rows)),
            "name": names,
            "gender": np.where(rng.random(rows) < 0.5, "男", "女"),
            "birth_date": birth,
            "ethnicity": np.where(rng.random(rows) < 0.8, "汉族", "苗族"),
            "phone": mobiles(rng, rows),
            "bank_card": bank_cards(rng, rows),
            "address": addresses,
            "community_code": np.char.add("520102", rng.integers(100_000, 999_999, rows).astype("U6")),
            "grid_code": np.char.add("520102018", rng.integers(100_000, 999_999, rows).astype("U6")),
            "ticket_id": np.char.add("GY2026", rng.integers(10**10, 10**11 - 1, rows).astype("U11")),
            "year": rng.integers(1990, 2027, rows),
            "amount": np.round(rng.random(rows) * 5_000, 2),
            "count": rng.integers(0, 60, rows),
            "category": np.array(["噪音扰民", "物业管理", "市政设施", "社会救助"])[rng.integers(0, 4, rows)],
            "status": np.where(rng.random(rows) < 0.9, "已办结", "处置中"),
            "satisfaction": np.array(["满意", "基本满意", "不满意"])[rng.integers(0, 3, rows)],
            "disability_type": np.array(["视力残疾", "肢体残疾", "听力残疾"])[rng.integers(0, 3, rows)],
            "received_at": received,
            "description": [texts[i] for i in rng.integers(0, len(texts), rows).tolist()],
        }
    )  # fmt: skip


def classify_figure(rows: int = ROWS, runs: int = 3) -> dict[str, Any]:
    """Classifying a Parquet table (streamed) vs reading it whole with ``pq.read_table``."""
    from huiliu.pii.classify import classify_parquet, classify_table
    from huiliu.pii.engine import get_engine

    engine = get_engine()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.parquet"
        pq.write_table(wide_table(rows), path, row_group_size=131_072)
        pq.read_table(path)  # warm the page cache for both
        classify_table(wide_table(2_000), engine)  # warm-up: lazy caches, as for the scan figure
        baselines, ours_runs = [], []
        for _ in range(runs):  # best of ``runs``, alternating, as the other figures
            started = time.perf_counter()
            pq.read_table(path)
            baselines.append(time.perf_counter() - started)
            started = time.perf_counter()
            classify_parquet(path, engine)
            ours_runs.append(time.perf_counter() - started)
        baseline, ours = min(baselines), min(ours_runs)
    return _row(
        f"classify a {rows:,}-row, 20-column Parquet table vs reading it", ours, baseline, "<= 2x reading"
    )


def _row(figure: str, ours: float, baseline: float, target: str, inverse: bool = False) -> dict[str, Any]:
    ratio = baseline / ours if inverse else ours / baseline
    return {
        "figure": figure,
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "ratio": round(ratio, 2),
        "target": target,
    }


def figures() -> list[dict[str, Any]]:
    """Both PII figures (about two minutes on two cores)."""
    return [*scan_figure(), classify_figure()]


if __name__ == "__main__":
    for row in figures():
        print(row)
