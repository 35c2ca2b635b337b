"""The administrative hierarchy: real divisions down to streets, seeded communities and grids below."""

from __future__ import annotations

import pytest

from huiliu.divisions import LEVELS, Hierarchy, load_hierarchy
from huiliu.divisions.hierarchy import CODE_LENGTH
from huiliu.errors import UnknownUnitError

NANMING = "520102"  # 南明区
YUNYAN = "520103"  # 云岩区


@pytest.fixture(scope="module")
def city() -> Hierarchy:
    return load_hierarchy("5201")


def test_every_code_has_its_levels_length_and_starts_with_its_parents(city: Hierarchy) -> None:
    for unit in city.units.values():
        assert len(unit.code) == CODE_LENGTH[unit.level]
        if unit.parent_code is None:
            assert unit.level == "province"
            continue
        parent = city.get(unit.parent_code)
        assert LEVELS.index(parent.level) == LEVELS.index(unit.level) - 1
        assert unit.code.startswith(parent.code) and unit.is_within(parent.code)


def test_real_divisions_above_the_streets(city: Hierarchy) -> None:
    assert city.get("52").name == "贵州省"
    assert city.get("5201").name == "贵阳市"
    street = city.at_level("street", within=NANMING)[0]
    assert city.full_name(street.code) == f"贵州省贵阳市南明区{street.name}"
    assert [u.level for u in city.ancestors(street.code)] == ["district", "city", "province"]


def test_a_subtree_holds_the_unit_and_exactly_the_units_below_it(city: Hierarchy) -> None:
    street = city.at_level("street", within=NANMING)[0]
    subtree = list(city.subtree(street.code))
    assert subtree[0] == street
    assert {u.code for u in subtree} == {c for c in city.units if c.startswith(street.code)}
    communities = city.at_level("community", within=street.code)
    assert communities == sorted(city.children(street.code), key=lambda u: u.code)


def test_communities_and_grids_follow_the_seed_whatever_other_districts_are_loaded(city: Hierarchy) -> None:
    alone = load_hierarchy("5201", [NANMING])
    assert {c for c in alone.units if len(c) >= 9} == {
        c for c in city.units if c.startswith(NANMING) and len(c) >= 9
    }
    assert YUNYAN not in alone
    other_seed = load_hierarchy("5201", [NANMING], seed=7)
    assert {c for c in other_seed.units if len(c) == 12} != {c for c in alone.units if len(c) == 12}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: load_hierarchy("9999"), "not a prefecture city", id="unknown-city"),
        pytest.param(lambda: load_hierarchy("5201", ["530102"]), "not in city 5201", id="district-elsewhere"),
        pytest.param(
            lambda: load_hierarchy("5201", [NANMING]).get("520102999999"), "huiliu units list", id="unit"
        ),
    ],
)
def test_unknown_codes_are_refused_naming_the_code(build: object, message: str) -> None:
    with pytest.raises(UnknownUnitError, match=message):
        build()  # type: ignore[operator]
