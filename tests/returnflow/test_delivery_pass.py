"""One partitioned pass over a real curated Iceberg table serves every grant: scope, current versions,
the guard's verdicts, unchanged deliveries and clean-up after a failure."""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers.deliveries import (
    COMMUNITIES,
    KEY,
    OUTSIDE,
    STREET,
    ParquetWriter,
    append_curated,
    decoded,
    plan,
    project,
    residents,
)

from huiliu.contracts import load_contract
from huiliu.contracts.model import DatasetContract
from huiliu.open_files import open_now
from huiliu.returnflow.delivery import (
    FILES_PER_DELIVERY,
    OUTBOX_THREADS,
    ExtractOpening,
    ExtractPlan,
    deliver_snapshot,
    fingerprint,
)
from huiliu.returnflow.overlay import Overlay
from huiliu.returnflow.records import DeliveryStatus
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings


@pytest.fixture
def registry(huiliu_home: Settings) -> Iterator[DatasetContract]:
    contract = load_contract("resident_registry")
    first = datetime(2026, 11, 1, tzinfo=UTC)
    append_curated(contract, residents(6, COMMUNITIES[0], 0), "b1", first)
    append_curated(contract, residents(6, COMMUNITIES[1], 100), "b1", first)
    append_curated(contract, residents(2, COMMUNITIES[2], 200), "b1", first)  # a tiny community
    append_curated(contract, residents(5, OUTSIDE, 300), "b1", first)
    yield contract


def _run(  # type: ignore[no-untyped-def]
    contract: DatasetContract,
    plans: list[ExtractPlan],
    tmp_path: Path,
    writers: dict[str, ParquetWriter] | None = None,
    kinds: dict[str, type[ParquetWriter]] | None = None,
    **kwargs: object,
):
    """Deliver ``plans``; ``kinds`` names the writer a unit gets (default :class:`ParquetWriter`)."""
    writers = {} if writers is None else writers

    def open_writer(o: ExtractOpening) -> ParquetWriter:
        unit = o.plan.grant.unit_code
        writers[unit] = (kinds or {}).get(unit, ParquetWriter)(tmp_path / unit / o.delivery_id, o.schema)
        return writers[unit]

    ids = iter(f"D{i}" for i in range(100))
    outcomes = deliver_snapshot(
        CuratedSnapshot(contract),
        contract,
        plans,
        levels={p.grant.unit_code: p.grant.unit_level for p in plans},
        open_writer=open_writer,
        new_id=lambda: next(ids),
        fingerprint_key=KEY,
        **kwargs,
    )
    return {o.plan.grant.unit_code: o for o in outcomes}, writers


def _delivered(writer: ParquetWriter) -> pa.Table:
    return pq.read_table(writer.folder / "rows.parquet")


def test_each_unit_gets_its_own_subtree_and_the_street_all_of_its_communities(
    registry: DatasetContract, tmp_path: Path
) -> None:
    plans = [plan(STREET), plan(COMMUNITIES[0]), plan(COMMUNITIES[1])]
    outcomes, writers = _run(registry, plans, tmp_path)

    street = _delivered(writers[STREET])
    assert sorted(set(street.column("community_code").to_pylist())) == list(COMMUNITIES)
    assert street.num_rows == 14 and outcomes[STREET].status is DeliveryStatus.DELIVERED
    for community in COMMUNITIES[:2]:
        rows = _delivered(writers[community])
        assert set(rows.column("community_code").to_pylist()) == {community}
        assert rows.num_rows == 6 and outcomes[community].rows == 6
    assert OUTSIDE not in {
        c for w in writers.values() for c in _delivered(w).column("community_code").to_pylist()
    }
    assert street.column_names == ["name", "birth_year", "gender", "community_code", "status"]


def test_a_pass_for_one_unit_masks_and_writes_only_the_rows_it_receives(
    registry: DatasetContract, tmp_path: Path
) -> None:
    mixed = [
        *residents(6, COMMUNITIES[0], 400),
        *residents(4, COMMUNITIES[1], 500),
        *residents(5, OUTSIDE, 600),
    ]
    append_curated(registry, mixed, "b2", datetime(2026, 11, 2, tzinfo=UTC))  # one data file, three places
    _, every = _run(registry, [plan(STREET), *(plan(c) for c in COMMUNITIES)], tmp_path / "all")
    projected: list[int] = []
    alone = plan(COMMUNITIES[1])

    def counted(rows: pa.Table) -> pa.Table:
        if rows.num_columns > 1:  # the pass's rows (the guard projects one column's values at a time)
            projected.append(rows.num_rows)
        return alone.project(rows)

    outcomes, writers = _run(registry, [replace(alone, project=counted)], tmp_path / "one")

    assert outcomes[COMMUNITIES[1]].rows == 10
    assert sum(projected) == 10  # not the 15 rows of the file it shares with other places
    assert _delivered(writers[COMMUNITIES[1]]).equals(_delivered(every[COMMUNITIES[1]]))


def test_only_the_current_version_of_a_record_is_delivered(registry: DatasetContract, tmp_path: Path) -> None:
    moved = residents(1, COMMUNITIES[0], 0, status="迁出")
    append_curated(registry, moved, "b2", datetime(2026, 11, 20, tzinfo=UTC))

    _, writers = _run(registry, [plan(COMMUNITIES[0])], tmp_path)

    rows = _delivered(writers[COMMUNITIES[0]])
    assert rows.num_rows == 6
    assert sorted(rows.column("status").to_pylist()) == ["正常"] * 5 + ["迁出"]


def test_a_tiny_community_is_held_while_its_street_is_served(
    registry: DatasetContract, tmp_path: Path
) -> None:
    plans = [plan(STREET, k=2), plan(COMMUNITIES[2], k=3)]
    outcomes, writers = _run(registry, plans, tmp_path)

    tiny = outcomes[COMMUNITIES[2]]
    assert tiny.status is DeliveryStatus.HELD and tiny.rows == 0 and COMMUNITIES[2] not in writers
    assert tiny.verdict is not None and tiny.verdict.held and tiny.verdict.rare
    assert outcomes[STREET].status is DeliveryStatus.DELIVERED


def test_generalisation_is_applied_to_what_is_written(registry: DatasetContract, tmp_path: Path) -> None:
    # births 1980-1982 in pairs: k=3 fails on years, passes once years become the 1980s
    outcomes, writers = _run(registry, [plan(COMMUNITIES[0], k=3)], tmp_path)

    verdict = outcomes[COMMUNITIES[0]].verdict
    assert verdict is not None and verdict.steps == 1
    assert set(_delivered(writers[COMMUNITIES[0]]).column("birth_year").to_pylist()) == {1980}


def test_the_same_rows_again_are_not_delivered_again(registry: DatasetContract, tmp_path: Path) -> None:
    first, _ = _run(registry, [plan(COMMUNITIES[0])], tmp_path / "one")
    again, writers = _run(
        registry,
        [plan(COMMUNITIES[0])],
        tmp_path / "two",
        previous_content=lambda _p: first[COMMUNITIES[0]].content_sha256,
    )

    assert again[COMMUNITIES[0]].status is DeliveryStatus.UNCHANGED
    assert writers[COMMUNITIES[0]].state == "discarded"
    assert again[COMMUNITIES[0]].content_sha256 == first[COMMUNITIES[0]].content_sha256


def test_a_unit_with_no_rows_in_scope_gets_an_empty_outcome(
    registry: DatasetContract, tmp_path: Path
) -> None:
    outcomes, writers = _run(registry, [plan("520102016004")], tmp_path)
    assert outcomes["520102016004"].status is DeliveryStatus.EMPTY and writers == {}


def test_a_failure_midway_discards_every_open_delivery(
    registry: DatasetContract, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(rows: pa.Table) -> pa.Table:
        # the narrow pass projects the guard's columns only; a chunk of the streaming pass holds the
        # key too, and by then the street's rows of the chunk are written
        if "id_number" in rows.column_names:
            raise RuntimeError("disk full")
        return project(rows)

    plans = [plan(STREET), ExtractPlan(**{**plan(COMMUNITIES[0]).__dict__, "project": failing})]
    seen: dict[str, ParquetWriter] = {}

    with pytest.raises(RuntimeError, match="disk full"):
        _run(registry, plans, tmp_path, writers=seen)
    assert list(seen) == [STREET] and seen[STREET].state == "discarded"
    assert not (tmp_path / STREET).exists()


def test_a_seal_failing_discards_every_delivery_only_after_every_seal_has_ended(
    registry: DatasetContract, tmp_path: Path
) -> None:
    events: list[str] = []

    class FailingSeal(ParquetWriter):
        def seal(self) -> str:
            raise OSError("no space left on device")

    class SlowSeal(ParquetWriter):
        def seal(self) -> str:
            time.sleep(0.3)
            events.append("sealed")
            return super().seal()

        def discard(self) -> None:
            events.append("discarded")
            super().discard()

    seen: dict[str, ParquetWriter] = {}
    kinds: dict[str, type[ParquetWriter]] = {STREET: FailingSeal, COMMUNITIES[0]: SlowSeal}
    with pytest.raises(OSError, match="no space left"):
        _run(registry, [plan(STREET), plan(COMMUNITIES[0])], tmp_path, writers=seen, kinds=kinds)
    assert events == ["sealed", "discarded"]  # never discarded while its seal was running
    assert {w.state for w in seen.values()} == {"discarded"}
    assert not any(tmp_path.rglob("rows.parquet"))


def test_a_writer_failing_in_its_thread_discards_every_delivery(
    registry: DatasetContract, tmp_path: Path
) -> None:
    class Failing(ParquetWriter):
        def write(self, rows: pa.Table, fingerprints: pa.Array) -> None:
            raise OSError("no space left on device")

    seen: dict[str, ParquetWriter] = {}
    plans = [plan(STREET), plan(COMMUNITIES[0]), plan(COMMUNITIES[1])]
    with pytest.raises(OSError, match="no space left"):
        _run(registry, plans, tmp_path, writers=seen, kinds={COMMUNITIES[1]: Failing})
    # the street's delivery was open beside the failing one (the other community's may not have been
    # reached: the pass stops at the end of the chunk that failed)
    assert {STREET, COMMUNITIES[1]} <= set(seen)
    assert {w.state for w in seen.values()} == {"discarded"}
    assert not any((tmp_path / unit).exists() for unit in seen)


def test_fingerprints_are_keyed_and_stable() -> None:
    keys = pa.table({"id_number": ["520102198001010011", "520102198001010027"]})
    one = fingerprint(keys, KEY).to_pylist()
    assert one == fingerprint(keys, KEY).to_pylist() and len(set(one)) == 2
    assert one != fingerprint(keys, b"another-key-of-16-bytes").to_pylist()
    with pytest.raises(ValueError, match="16 bytes"):
        fingerprint(keys, b"short")


def _pandas_fingerprints(keys: pa.Table, key: bytes) -> list[int]:
    """The fingerprints' definition: pandas' hash of the key columns as Python texts, no index."""
    import pandas as pd

    frame = pd.DataFrame(
        {n: [None if v is None else str(v) for v in keys.column(n).to_pylist()] for n in keys.column_names},
        dtype=object,
    )
    hashed = pd.util.hash_pandas_object(frame, index=False, hash_key=key[:16].hex()[:16], categorize=False)
    return [int(v) for v in hashed]


KEY_COLUMNS = {"text": ["a"], "text+number": ["a", "b"], "number+text": ["b", "a"], "text+text": ["a", "c"]}
KEY_TEXT = st.text(alphabet=st.sampled_from(list("0123456789Xx张三 é\U0001f600")), max_size=40)


@settings(max_examples=120, deadline=None)
@given(
    texts=st.lists(KEY_TEXT, min_size=1, max_size=25),
    numbers=st.lists(st.integers(-(2**40), 2**40), min_size=25, max_size=25),
    split=st.integers(0, 25),
    large=st.booleans(),
    columns=st.sampled_from(sorted(KEY_COLUMNS)),
    key=st.binary(min_size=16, max_size=40),
)
def test_fingerprints_are_pandas_hash_of_the_key_texts(
    texts: list[str], numbers: list[int], split: int, large: bool, columns: str, key: bytes
) -> None:
    kind = pa.large_string() if large else pa.string()
    cut = min(split, len(texts))
    text = pa.chunked_array([pa.array(texts[:cut], kind), pa.array(texts[cut:], kind)])
    number = pa.array(numbers[: len(texts)], pa.int64())
    table = pa.table({"a": text, "b": number, "c": pa.array(list(reversed(texts)), kind)})
    keys = table.select(KEY_COLUMNS[columns])

    assert fingerprint(keys, key).to_pylist() == _pandas_fingerprints(keys, key)


def test_fingerprints_of_keys_with_nulls_are_pandas_hash_too() -> None:
    keys = pa.table({"id_number": ["520102198001010011", None, ""], "seq": [1, 2, None]})
    assert fingerprint(keys, KEY).to_pylist() == _pandas_fingerprints(keys, KEY)


ID = "id_number"


def _current_keys(snapshot: CuratedSnapshot) -> list[tuple[str, str]]:
    rows = snapshot.columns([ID, "status"]).filter(pa.array(snapshot.current()))
    return sorted(zip(rows.column(ID).to_pylist(), rows.column("status").to_pylist(), strict=True))


def test_the_latest_version_of_each_record_is_current_and_every_other_record_stays(
    registry: DatasetContract,
) -> None:
    moved = residents(2, COMMUNITIES[0], 0, status="迁出")
    append_curated(registry, moved, "b2", datetime(2026, 11, 20, tzinfo=UTC))
    append_curated(
        registry, residents(1, COMMUNITIES[0], 0, status="死亡"), "b0", datetime(2026, 10, 1, tzinfo=UTC)
    )

    snapshot = CuratedSnapshot(registry)
    current = _current_keys(snapshot)

    assert snapshot.current().size == 19 + 3
    assert len(current) == 19  # one row per record
    changed = {k: s for k, s in current if s != "正常"}
    assert changed == {moved[0][ID]: "迁出", moved[1][ID]: "迁出"}


def test_records_whose_key_hashes_collide_are_both_kept(
    registry: DatasetContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_curated(
        registry, residents(1, COMMUNITIES[1], 100, status="迁出"), "b2", datetime(2026, 11, 20, tzinfo=UTC)
    )
    snapshot = CuratedSnapshot(registry)
    expected = _current_keys(snapshot)

    # every key hashes the same: only the exact comparison of keys tells the records apart
    monkeypatch.setattr(
        CuratedSnapshot, "_key_hashes", lambda self, key: np.zeros(self.rows, dtype=np.uint64)
    )
    assert _current_keys(snapshot) == expected
    assert len(expected) == 19 and dict(expected)[residents(1, COMMUNITIES[1], 100)[0][ID]] == "迁出"


def test_chunks_hold_every_row_in_order_and_never_span_two_data_files(registry: DatasetContract) -> None:
    snapshot = CuratedSnapshot(registry)
    files = [task.file.record_count for task in snapshot._planned()]
    whole = pa.Table.from_batches(list(snapshot.record_batches()))

    chunks = list(snapshot.chunks(1000))
    small = list(snapshot.chunks(4))

    assert sorted(files) == [2, 5, 6, 6]  # one data file per append
    assert [chunk.num_rows for _, chunk in chunks] == files
    ends = np.cumsum(files)
    for offset, chunk in small:  # within one file's rows
        assert np.searchsorted(ends, offset, side="right") == np.searchsorted(
            ends, offset + chunk.num_rows - 1, side="right"
        )
    for pieces in (chunks, small):
        assert pa.concat_tables([chunk for _, chunk in pieces]).equals(whole)
        assert [offset for offset, _ in pieces] == list(np.cumsum([0, *[c.num_rows for _, c in pieces][:-1]]))


def test_text_read_as_dictionaries_holds_the_values_and_a_corrected_column_stays_values(
    registry: DatasetContract,
) -> None:
    names = ["community_code", "gender", "birth_date"]
    plain = CuratedSnapshot(registry).columns([ID, *names])

    read = CuratedSnapshot(registry).columns(names, dictionaries=names)

    assert [pa.types.is_dictionary(f.type) for f in read.schema] == [True, True, False]  # a date: as values
    assert decoded(read).equals(plain.select(names))

    first = plain.column(ID)[0].as_py()
    overlay = Overlay(key=(ID,), values={"gender": {first: "未知"}})
    corrected = CuratedSnapshot(registry, overlay=overlay).columns(names, dictionaries=names)

    assert corrected.schema.field("gender").type == pa.string()
    assert pa.types.is_dictionary(corrected.schema.field("community_code").type)
    assert corrected.column("gender").to_pylist() == ["未知", *plain.column("gender").to_pylist()[1:]]


def test_a_pass_raises_the_open_files_limit_it_needs_before_it_opens_anything(
    registry: DatasetContract, tmp_path: Path
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    gc.collect()  # files earlier tests left unreferenced close now, not while the pass counts its own
    low = open_now() + 20  # fewer than three deliveries and the outbox threads may hold
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        outcomes, _ = _run(registry, [plan(STREET), plan(COMMUNITIES[0]), plan(COMMUNITIES[1])], tmp_path)
        raised = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert raised >= low - 20 + 3 * FILES_PER_DELIVERY + OUTBOX_THREADS
    assert {o.status for o in outcomes.values()} == {DeliveryStatus.DELIVERED}
