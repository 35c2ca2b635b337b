"""Key hashes find every repeated key: equal keys hash alike in any batch, and a repeated hash is
always found (a collision only makes rows look closer)."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.returnflow.key_hashes import key_hashes, repeated, text_hashes

KEYS = st.one_of(st.none(), st.text(alphabet="0123456789X甲é", max_size=30))


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(KEYS, max_size=80), cuts=st.lists(st.integers(0, 80), max_size=3))
def test_equal_keys_hash_alike_whatever_batch_or_neighbours_they_come_in(
    keys: list[str | None], cuts: list[int]
) -> None:
    bounds = sorted({0, len(keys), *(min(c, len(keys)) for c in cuts)})
    batches = [pa.record_batch({"id": pa.array(keys[lo:hi], pa.string())}) for lo, hi in pairwise(bounds)]

    hashes = key_hashes(batches, ["id"])

    assert len(hashes) == len(keys)
    by_key: dict[str | None, set[int]] = {}
    for key, value in zip(keys, hashes.tolist(), strict=True):
        by_key.setdefault(key, set()).add(value)
    assert all(len(values) == 1 for values in by_key.values())
    counts = Counter(keys)
    shared = repeated(hashes)
    assert all(shared[i] for i, key in enumerate(keys) if counts[key] > 1)


def test_text_of_one_width_hashes_as_the_same_text_among_others() -> None:
    ids = ["52010219900307451X", "520102199003074518", "520102199003074518"]
    alone = text_hashes(pa.array(ids))
    mixed = text_hashes(pa.array(["", *ids, "5201"]))
    sliced = text_hashes(pa.array(["x", *ids]).slice(1))
    large = text_hashes(pa.array(ids, pa.large_string()))

    assert alone[1] == alone[2] != alone[0]
    assert mixed[1:4].tolist() == alone.tolist() == sliced.tolist() == large.tolist()


def test_keys_of_several_columns_are_hashed_together() -> None:
    batch = pa.record_batch({"a": pa.array([1, 1, 2]), "b": pa.array(["x", "y", "x"])})
    other = pa.record_batch({"a": pa.array([1]), "b": pa.array(["x"])})

    hashes = key_hashes([batch, other], ["a", "b"])

    assert hashes[0] == hashes[3] and len(set(hashes[:3].tolist())) == 3
    assert repeated(hashes).tolist() == [True, False, False, True]
    assert len(key_hashes([], ["a"])) == 0


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.integers(0, 2**64 - 1), max_size=200), twins=st.lists(st.integers(0, 199), max_size=5)
)
def test_a_repeated_hash_is_found_and_a_lone_one_is_not(values: list[int], twins: list[int]) -> None:
    values = values + [values[t % len(values)] for t in twins] if values else values
    # hashes that differ in few bits: neighbours once sorted, never equal
    values += [2**63 + 5, 2**63 + 6, 7, 7 + 2**40]
    hashes = np.array(values, dtype=np.uint64)

    counts = Counter(values)
    assert repeated(hashes).tolist() == [counts[v] > 1 for v in values]
