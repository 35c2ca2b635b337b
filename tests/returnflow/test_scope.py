"""Row scope: a unit receives its own subtree's rows and nothing else, whatever the codes look like."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.policy.reidentification import EncodedColumn
from huiliu.returnflow.scope import TierScope, partition, tiers

STREET, COMMUNITY, OTHER = "520102016", "520102016001", "520102016002"


def test_a_street_gets_its_communities_rows_and_a_community_only_its_own() -> None:
    codes = pa.array([COMMUNITY, OTHER, "520102017001", None, "52010201600", "5201020160011", "52010201600x"])
    street, community = tiers([(STREET, "street"), (COMMUNITY, "community")])

    assert street.keys(codes, "community").to_pylist() == [STREET, STREET, None, None, None, None, None]
    assert community.keys(codes, "community").to_pylist() == [COMMUNITY, None, None, None, None, None, None]


def test_traversal_and_non_digit_codes_never_match() -> None:
    scope = TierScope(level="community", units=frozenset({COMMUNITY}))
    hostile = pa.array(["../../etc/passwd", "520102016001/../x", "５２０１０２０１６００１", "", "%"])
    assert scope.keys(hostile, "community").to_pylist() == [None, None, None, None, None]


def test_unit_codes_must_fit_their_level() -> None:
    with pytest.raises(ValueError, match="not a community code"):
        tiers([(STREET, "community")])
    with pytest.raises(ValueError, match="not a street code"):
        tiers([("52010201a", "street")])


def test_partition_groups_kept_rows_by_unit_in_row_order() -> None:
    keys = pa.array(["A", None, "B", "A", "B", "A"])
    keep = np.array([True, True, True, False, True, True])
    assert [(u, p.tolist()) for u, p in partition(keys, keep)] == [("A", [0, 5]), ("B", [2, 4])]
    assert list(partition(keys, np.zeros(6, dtype=bool))) == []


@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789/.x", min_size=0, max_size=16)), max_size=60
    ),
    granted=st.sets(
        st.one_of(
            st.sampled_from(["520102016", "520102017"]),
            st.text(alphabet="0123456789", min_size=9, max_size=9),
        ),
        max_size=4,
    ),
)
def test_no_row_outside_a_units_subtree_is_ever_given_to_it(
    codes: list[str | None], granted: set[str]
) -> None:
    scope = TierScope(level="street", units=frozenset(granted))
    keys = scope.keys(pa.array(codes, pa.string()), "community").to_pylist()
    for code, key in zip(codes, keys, strict=True):
        if key is not None:
            assert code is not None and code.startswith(key) and key in granted
            assert len(code) == 12 and code.isdigit()
    for unit, positions in partition(pa.array(keys, pa.string()), np.ones(len(codes), dtype=bool)):
        assert all(codes[p] is not None and codes[p].startswith(unit) for p in positions)


@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(
        st.one_of(st.none(), st.sampled_from([COMMUNITY, OTHER, "520102017001", "5201020160011", "x", ""])),
        max_size=40,
    ),
    cut=st.integers(0, 40),
)
def test_keys_of_the_distinct_codes_spread_over_the_rows_are_the_keys(
    codes: list[str | None], cut: int
) -> None:
    # the guard's narrow pass scopes each distinct code once and spreads its unit over the rows
    street, community = tiers([(STREET, "street"), (COMMUNITY, "community")])
    text = pa.array(codes, pa.string())
    as_read = [  # chunks as read from dictionary pages, and as plain text
        pa.chunked_array([text[:cut].dictionary_encode(), text[cut:].dictionary_encode()]),
        pa.chunked_array([text[:cut], text[cut:]]),
    ]
    for scope in (street, community):
        expected = scope.keys(text, "community").to_pylist()
        for read in as_read:
            units = EncodedColumn.of(read).mapped(lambda distinct, s=scope: s.keys(distinct, "community"))
            spread = [None if c == 0 else units.dictionary[c - 1].as_py() for c in units.codes.tolist()]
            assert spread == expected
