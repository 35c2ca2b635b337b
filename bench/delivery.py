"""Delivery figures, each beside its same-run baseline.

The lake is a curated ``resident_registry`` of synthetic residents of 南明区 (520102), every one in
a real community code of the district, written as the quality gate writes curated (files of
500,000 rows), with a stored PII classification; every street (23) and
community (275) of the district holds a grant. The deliveries are the library's own: extract plans
from the shipped return policy (:func:`huiliu.returnflow.plans.plan_grants`), one pass over the
snapshot (:func:`huiliu.returnflow.delivery.deliver_snapshot`) and the real outbox writing Parquet,
CSV, fingerprints and a manifest per unit, with its checksums and fsyncs.

* Delivery: serving a 1M-row registry to every street and community of the district, vs PyArrow
  writing the whole table (the contract's columns, read once beforehand, not timed) once to Parquet
  and once to CSV  [time ratio <= 2.5].
* Guard: the re-identification guard's narrow pass (:func:`huiliu.returnflow.delivery.assess_units`:
  current versions, row scope, k-anonymity per unit on the contract's quasi-identifiers, for the
  street and the community tier) on the 1M rows, vs reading the unit column and the
  quasi-identifiers from curated with ``CuratedSnapshot(contract).columns([...])``  [<= 2]. Twice:
  with the data files' key hashes indexed (:mod:`huiliu.lake.key_index`: every read of a file after
  its first), and on each file's first read (the indexes removed before each run, not timed: the
  keys are read, hashed and indexed). The delivery figure is also measured without indexes.
* Memory: peak RSS of the same delivery on 4M rows (four 1M-row gated batches) vs 1M rows (one),
  each in a fresh process  [ratio <= 1.25].

The lakes are built in their own processes (not timed); each timing is the best of three rounds,
ours and the baseline in turn in every round, the disk synced before each. Run alone:
``python -m bench.delivery`` (``--rows N`` for a smaller lake); the guard figure alone on a lake
built once: ``--home DIR --prepare ROWS``, then ``--home DIR --guard RUNS``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from bench.timing import best_of_rounds

ROWS = 1_000_000
BATCH_ROWS = 1_000_000
"""Rows per gated batch appended to curated (a 4M-row lake holds four)."""
CITY, DISTRICT = "5201", "520102"
SEED = 17
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"
FORMATS = ("parquet", "csv")
HASH_KEY = b"x" * 32
FINGERPRINT_KEY = b"bench-fingerprints-0123456789abcdef"
SEQUENCE_BLOCK = 120
"""Resident ID sequence numbers per birth date, gender and batch (so IDs stay unique over batches)."""

ETHNICITIES = {
    "汉族": 0.88, "布依族": 0.045, "苗族": 0.04, "侗族": 0.012, "土家族": 0.01, "彝族": 0.008, "回族": 0.005,
}  # fmt: skip
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然子涵欣怡梓轩雨婷思佳")
ROADS = [
    "中华南路", "遵义路", "新华路", "花果园大街", "沙冲路", "宝山南路", "市南路", "青云路", "箭道街",
]  # fmt: skip


# --- the lake (its own process) -------------------------------------------------------------------


def residents(rows: int, communities: list[str], batch: int, seed: int = SEED) -> Any:
    """``rows`` synthetic residents in the contract's columns, vectorised (batch ``batch`` of a lake).

    IDs are valid GB 11643 numbers of 南明区, unique within a lake of up to
    ``999 // (2 * SEQUENCE_BLOCK)`` batches; communities differ in size.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from huiliu.city.identity import mobiles, resident_ids

    sizes = np.random.default_rng(seed).gamma(2.0, 1.0, len(communities))
    rng = np.random.default_rng([seed, batch])
    community = rng.choice(len(communities), rows, p=sizes / sizes.sum())
    first, last = np.datetime64("1930-01-01"), np.datetime64("2020-12-31")
    birth = first + rng.integers(0, int((last - first).astype(int)) + 1, rows).astype("timedelta64[D]")
    male = rng.random(rows) < 0.5
    # per (birth date, gender): the rank of each resident, the block of sequence numbers its batch uses
    order = np.lexsort((male, birth))
    cell = birth.astype(np.int64)[order] * 2 + male[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    rank = np.empty(rows, dtype=np.int64)
    rank[order] = np.arange(rows) - np.repeat(starts, np.diff(np.r_[starts, rows]))
    if rank.max(initial=0) >= SEQUENCE_BLOCK or (batch + 1) * SEQUENCE_BLOCK * 2 > 999:
        raise ValueError("too many residents per birth date for unique ID numbers; use smaller batches")
    sequence = 2 * (batch * SEQUENCE_BLOCK + rank) + male
    ids = resident_ids(np.full(rows, int(DISTRICT)), birth, sequence)

    def pick(values: list[str], weights: list[float] | None = None) -> pa.Array:
        p = None if weights is None else np.asarray(weights) / sum(weights)
        return pa.array(values).take(pa.array(rng.choice(len(values), rows, p=p)))

    def flat(values: Any) -> pa.Array:  # numpy text can convert to a chunked array
        values = pa.array(values)
        return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values

    def text(*parts: pa.Array | str) -> pa.Array:
        return pc.binary_join_element_wise(*parts, "")

    given = text(pick(GIVEN), pc.if_else(pa.array(rng.random(rows) < 0.7), pick(GIVEN), ""))
    number = pa.array(rng.integers(1, 400, rows)).cast(pa.string())
    building = pa.array(rng.integers(1, 30, rows)).cast(pa.string())
    updated = np.datetime64("2020-01-01T00:00:00") + rng.integers(0, 7 * 365 * 86400, rows).astype(
        "timedelta64[s]"
    )
    return pa.record_batch(
        {
            "id_number": flat(ids),
            "name": text(pick(SURNAMES), given),
            "gender": pc.if_else(pa.array(male), "男", "女"),
            "birth_date": pa.array(birth, pa.date32()),
            "ethnicity": pick(list(ETHNICITIES), list(ETHNICITIES.values())),
            "household_address": text("贵州省贵阳市南明区", pick(ROADS), number, "号", building, "栋"),
            "community_code": pa.array(communities).take(pa.array(community)),
            "phone": flat(mobiles(rng, rows)),
            "residence_status": pick(["户籍", "流动"], [0.82, 0.18]),
            "status": pick(["正常", "迁出", "死亡"], [0.96, 0.03, 0.01]),
            "updated_at": pa.array(updated.astype("datetime64[us]")),
        }
    )


def prepare(rows: int) -> dict[str, Any]:
    """Curated ``resident_registry`` of ``rows`` residents (1M-row batches, each written as the quality
    gate writes curated: files of 500,000 rows in row groups of 131,072), the district's units and a
    stored PII classification, in the home named by ``HUILIU_HOME``."""
    import pyarrow as pa
    from tests.helpers.classifications import store_resident_classification

    from huiliu.contracts import load_contract
    from huiliu.divisions import load_hierarchy
    from huiliu.lake.catalog import lake_table
    from huiliu.lake.schema import landing_schema, with_meta_columns
    from huiliu.lake.writer import StagedBatchWriter
    from huiliu.settings import get_settings
    from huiliu.store.units import sync_units

    get_settings().ensure_home()
    contract = load_contract("resident_registry")
    hierarchy = load_hierarchy(CITY, [DISTRICT])
    sync_units(hierarchy)
    communities = sorted(u.code for u in hierarchy.units.values() if u.level == "community")
    schema = landing_schema(contract)
    table = lake_table(contract.curated_table, schema)
    batches = range((rows + BATCH_ROWS - 1) // BATCH_ROWS)
    for batch in batches:
        size = min(BATCH_ROWS, rows - batch * BATCH_ROWS)
        data = residents(size, communities, batch)
        stamped = with_meta_columns(
            data, schema, f"bench-{batch}", AT - timedelta(days=len(batches) - batch), "bench"
        )
        with StagedBatchWriter(table, f"bench-{batch}", schema) as curated:  # files as the gate writes them
            curated.write_file(pa.Table.from_batches([stamped]))
            curated.commit()
    store_resident_classification(f"bench-{batches[-1]}")
    return {"rows": rows, "batches": len(batches), "communities": len(communities)}


# --- one delivery run (timing and memory processes) -----------------------------------------------


class Run:
    """Everything a delivery run takes, built once: contract, grants of every street and community, plans."""

    def __init__(self) -> None:
        from huiliu.contracts import load_contract
        from huiliu.divisions import load_hierarchy
        from huiliu.policy.explain import stored_classification
        from huiliu.policy.grant_rules import GrantStatus
        from huiliu.policy.grants import GrantView
        from huiliu.policy.loader import load_policy
        from huiliu.returnflow.plans import plan_grants
        from huiliu.settings import get_settings

        self.settings = get_settings()
        self.contract = load_contract("resident_registry")
        units = [
            u for u in load_hierarchy(CITY, [DISTRICT]).units.values() if u.level in ("street", "community")
        ]
        self.levels = {u.code: u.level for u in units}
        grants = [
            GrantView(
                id=f"G-bench-{u.code}",
                unit_code=u.code,
                unit_name=u.name,
                unit_level=u.level,
                dataset=self.contract.name,
                purpose="基层治理对象核验",
                legal_basis="《个人信息保护法》第十三条",
                requested_by="bench",
                requested_at=AT - timedelta(days=30),
                expires_at=AT + timedelta(days=335),
                status=GrantStatus.APPROVED,
                compliance_required=True,
                history=(),
            )
            for u in units
        ]
        classification, _ = stored_classification(self.contract.name)
        if classification is None:
            raise RuntimeError("no stored classification: prepare the lake first")
        self.plans = plan_grants(
            self.contract, grants, policy=load_policy(), classification=classification, hash_key=HASH_KEY
        )
        if len(self.plans) != len(grants):
            raise RuntimeError(f"{len(grants) - len(self.plans)} grants got no extract plan")
        self.outbox = self.settings.outbox_path
        self._ids = count()

    def snapshot(self) -> Any:
        from huiliu.returnflow.snapshot import CuratedSnapshot

        return CuratedSnapshot(self.contract)

    def forget_key_hashes(self) -> None:
        """Remove the data files' key-hash indexes: the next read hashes every file's keys."""
        from huiliu.lake.key_index import index_folder

        shutil.rmtree(index_folder(self.settings), ignore_errors=True)

    def deliver(self) -> dict[str, Any]:
        """One delivery run: every unit's extract into its outbox (the outbox emptied and the key
        hashes' indexes removed beforehand)."""
        from huiliu.returnflow.delivery import ExtractOpening, deliver_snapshot
        from huiliu.returnflow.outbox import open_delivery
        from huiliu.returnflow.push import describe

        shutil.rmtree(self.outbox, ignore_errors=True)
        self.forget_key_hashes()
        os.sync()

        def open_writer(opening: ExtractOpening) -> Any:
            description = describe(self.contract, opening, AT)
            return open_delivery(self.outbox, description, opening.schema, formats=FORMATS, zone=ZONE)

        started = time.perf_counter()
        outcomes = deliver_snapshot(
            self.snapshot(),
            self.contract,
            self.plans,
            levels=self.levels,
            open_writer=open_writer,
            new_id=lambda: f"D-bench-{next(self._ids)}",
            fingerprint_key=FINGERPRINT_KEY,
        )
        seconds = time.perf_counter() - started
        statuses: dict[str, int] = {}
        for outcome in outcomes:
            statuses[outcome.status.value] = statuses.get(outcome.status.value, 0) + 1
        return {"seconds": seconds, "statuses": statuses, "rows": sum(o.rows for o in outcomes)}

    def write_baseline(self, table: Any) -> dict[str, Any]:
        """PyArrow alone: the table written once to Parquet and once to CSV."""
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        folder = self.settings.home / "baseline"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        os.sync()
        started = time.perf_counter()
        pq.write_table(table, folder / "residents.parquet")
        pacsv.write_csv(table, folder / "residents.csv")
        return {"seconds": time.perf_counter() - started}

    def guard(self, indexed: bool = True) -> dict[str, Any]:
        """The guard's narrow pass over every unit of both tiers (``indexed``: with the files' key
        hashes indexed by an earlier read; otherwise the indexes are removed first)."""
        from huiliu.returnflow.delivery import assess_units

        if not indexed:
            self.forget_key_hashes()
        started = time.perf_counter()
        _, assessed = assess_units(self.snapshot(), self.contract, self.plans, self.levels)
        seconds = time.perf_counter() - started
        verdicts = [v for _, _, assessment in assessed for v in assessment.units.values()]
        return {
            "seconds": seconds,
            "held": sum(v.held for v in verdicts),
            "steps": sorted({v.steps for v in verdicts}),
            "suppressed": sum(v.suppressed for v in verdicts),
        }

    def read_baseline(self) -> dict[str, Any]:
        """The same snapshot's unit column and quasi-identifiers, read from curated."""
        returns = self.contract.returns
        assert returns is not None
        started = time.perf_counter()
        self.snapshot().columns([returns.unit_column, *returns.quasi_identifiers])
        return {"seconds": time.perf_counter() - started}


def timings(runs: int) -> dict[str, Any]:
    """Delivery vs PyArrow writing, and the guard vs reading its columns (best of ``runs`` rounds)."""
    run = Run()
    table = run.snapshot().columns([c.name for c in run.contract.columns])
    base, ours = best_of_rounds(runs, lambda: run.write_baseline(table), run.deliver)
    read, guard, first = best_of_rounds(runs, run.read_baseline, run.guard, lambda: run.guard(indexed=False))
    return {
        "rows": table.num_rows,
        "units": len(run.plans),
        "deliver": ours,
        "write": base,
        "guard": guard,
        "guard_first": first,
        "read": read,
    }


def guard_timing(runs: int) -> dict[str, Any]:
    """The guard vs reading its columns alone (best of ``runs`` rounds, in turn)."""
    run = Run()
    read, guard, first = best_of_rounds(runs, run.read_baseline, run.guard, lambda: run.guard(indexed=False))
    return {
        "guard": guard,
        "guard_first": first,
        "read": read,
        "ratio": round(guard["seconds"] / read["seconds"], 2),
        "ratio_first": round(first["seconds"] / read["seconds"], 2),
    }


def memory(rows: int) -> dict[str, Any]:
    """One delivery run of a lake of ``rows`` rows; its peak RSS."""
    run = Run()
    if run.snapshot().rows != rows:
        raise RuntimeError(f"the lake holds {run.snapshot().rows} rows, not {rows}")
    result = run.deliver()
    return {**result, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# --- the figures (the calling process) ------------------------------------------------------------


def _child(home: str, *args: str) -> dict[str, Any]:
    """``python -m bench.delivery --home HOME ARGS`` in a fresh process; its JSON answer."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.delivery", "--home", home, *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(figure: str, ours: float, baseline: float, target: str, **extra: Any) -> dict[str, Any]:
    return {
        "figure": figure,
        "ours": round(ours, 3),
        "baseline": round(baseline, 3),
        "ratio": round(ours / baseline, 2),
        "target": target,
        **extra,
    }


def figures(rows: int = ROWS, runs: int = 3) -> list[dict[str, Any]]:
    """The three delivery figures (lakes of ``rows`` and ``4 * rows`` residents)."""
    with (
        tempfile.TemporaryDirectory(prefix="huiliu-bench-delivery-") as one,
        tempfile.TemporaryDirectory(prefix="huiliu-bench-delivery4-") as four,
    ):
        _child(one, "--prepare", str(rows))
        _child(four, "--prepare", str(4 * rows))
        os.sync()
        timed = _child(one, "--time", str(runs))
        small = _child(one, "--memory", str(rows))
        big = _child(four, "--memory", str(4 * rows))
    return [
        _row(
            f"delivery of {rows:,} rows to {timed['units']} streets and communities (Parquet + CSV) "
            "vs PyArrow writing both once (s)",
            timed["deliver"]["seconds"],
            timed["write"]["seconds"],
            "≤ 2.50",
            statuses=timed["deliver"]["statuses"],
            delivered_rows=timed["deliver"]["rows"],
        ),
        _row(
            f"guard on {rows:,} rows, every unit of both tiers, files' key hashes indexed, "
            "vs reading its columns (s)",
            timed["guard"]["seconds"],
            timed["read"]["seconds"],
            "≤ 2.00",
            held=timed["guard"]["held"],
            steps=timed["guard"]["steps"],
            suppressed=timed["guard"]["suppressed"],
        ),
        _row(
            f"guard on {rows:,} rows, each file's first read (keys hashed and indexed), "
            "vs reading its columns (s)",
            timed["guard_first"]["seconds"],
            timed["read"]["seconds"],
            "≤ 2.00",
        ),
        _row(
            f"peak RSS, delivery of {4 * rows:,} vs {rows:,} rows (MB)",
            big["peak_rss_mb"],
            small["peak_rss_mb"],
            "≤ 1.25",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=ROWS, help="residents in the smaller lake")
    # the steps, each run in its own process on a bench home (a temporary folder of figures())
    parser.add_argument("--home", help=argparse.SUPPRESS)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--prepare", type=int, metavar="ROWS", help=argparse.SUPPRESS)
    modes.add_argument("--time", type=int, metavar="RUNS", help=argparse.SUPPRESS)
    modes.add_argument("--memory", type=int, metavar="ROWS", help=argparse.SUPPRESS)
    modes.add_argument(
        "--guard",
        type=int,
        metavar="RUNS",
        help="only the guard figure, best of RUNS rounds, on the lake in --home (built with --prepare ROWS)",
    )
    args = parser.parse_args()
    if (args.prepare, args.time, args.memory, args.guard) != (None, None, None, None):
        if not args.home:
            parser.error(
                "--prepare, --time, --memory and --guard need --home (a bench folder: its outbox is emptied)"
            )
        for key in [k for k in os.environ if k.startswith(("HUILIU_", "OPENLINEAGE"))]:
            del os.environ[key]  # every store, catalog and outbox under the bench home, nothing else
        os.environ["HUILIU_HOME"] = args.home
    if args.prepare is not None:
        print(json.dumps(prepare(args.prepare)))
    elif args.time is not None:
        print(json.dumps(timings(args.time)))
    elif args.memory is not None:
        print(json.dumps(memory(args.memory)))
    elif args.guard is not None:
        print(json.dumps(guard_timing(args.guard)))
    else:
        for figure in figures(args.rows):
            print(figure)


if __name__ == "__main__":
    main()
