"""Drift between two classifications of the same dataset."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from huiliu.city.identity import mobiles, resident_ids
from huiliu.pii.classify import classify_table
from huiliu.pii.drift import compare_classifications
from huiliu.pii.engine import PiiEngine, get_engine

ROWS = 1000


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def ids(rng: np.random.Generator, rows: int = ROWS) -> np.ndarray:
    birth = np.datetime64("1985-01-01") + rng.integers(0, 9_000, rows).astype("timedelta64[D]")
    return resident_ids(np.full(rows, 520102), birth, rng.integers(0, 999, rows))


def test_no_drift_between_two_deliveries_of_the_same_kind(engine: PiiEngine) -> None:
    rng = np.random.default_rng(1)
    before = classify_table(pa.table({"id_number": ids(rng), "note": ["无"] * ROWS}), engine)
    after = classify_table(pa.table({"id_number": ids(rng), "note": ["无"] * ROWS}), engine)
    report = compare_classifications(before, after)
    assert not report.drifted and report.as_dict() == {"drifted": False, "changes": []}


def test_column_starts_carrying_phone_numbers_and_a_type_disappears(engine: PiiEngine) -> None:
    rng = np.random.default_rng(2)
    before = classify_table(
        pa.table({"id_number": ids(rng), "remark": ["无"] * ROWS, "old": ["x"] * ROWS}), engine
    )
    masked = [f"{v[:6]}********{v[-4:]}" for v in ids(rng)]  # the department started masking
    after = classify_table(
        pa.table({"id_number": masked, "remark": mobiles(rng, ROWS), "new_phone": mobiles(rng, ROWS)}), engine
    )
    changes = {(c.column, c.kind, c.entity_type) for c in compare_classifications(before, after).changes}
    assert changes == {
        ("remark", "entity_appeared", "CN_MOBILE"),
        ("id_number", "entity_disappeared", "CN_RESIDENT_ID"),
        ("new_phone", "column_added", None),
        ("old", "column_removed", None),
    }


def test_share_and_checksum_changes(engine: PiiEngine) -> None:
    rng = np.random.default_rng(3)
    good = ids(rng)
    broken = np.array(
        [v[:17] + ("0" if v[17] != "0" else "1") if i % 4 == 0 else v for i, v in enumerate(good)]
    )
    half = np.where(np.arange(ROWS) % 2 == 0, ids(rng), "不详")
    before = classify_table(pa.table({"id_number": good, "sfz": good}), engine)
    after = classify_table(pa.table({"id_number": broken, "sfz": half}), engine)
    report = compare_classifications(before, after)
    kinds = {(c.column, c.kind) for c in report.changes}
    assert kinds == {("id_number", "checksum_dropped"), ("sfz", "ratio_changed")}
    dropped = next(c for c in report.changes if c.kind == "checksum_dropped")
    assert dropped.before == 1.0 and 0.7 < dropped.after < 0.8
    assert "valid checksums 100% → " in dropped.message
