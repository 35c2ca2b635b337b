"""Identifiers of the synthetic city, checked with python-stdnum."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum

from huiliu.city.bulk import IdSpace
from huiliu.city.geo import build_geo
from huiliu.city.identity import (
    bank_cards,
    corrupt_id,
    corrupt_uscc,
    id_check_char,
    mobiles,
    resident_ids,
)
from huiliu.city.identity import uscc as make_uscc
from huiliu.city.people import random_names, random_people, unique_sequences
from huiliu.errors import ConfigurationError, UnknownUnitError
from huiliu.identity.resident_id import valid_resident_id


def test_resident_ids_match_stdnum() -> None:
    region = np.array([520102, 520103, 522701, 110101])
    birth = np.array(["1990-03-07", "2000-02-29", "1936-12-31", "2024-01-01"], dtype="datetime64[D]")
    sequence = np.array([451, 2, 999, 10])
    ids = resident_ids(region, birth, sequence).tolist()
    assert ids[0] == "520102199003074517"
    for number in ids:
        assert ric.calc_check_digit(number) == number[-1] == id_check_char(number)
    assert ric.get_birth_date(ids[1]) == date(2000, 2, 29)


@pytest.mark.parametrize("shift", range(1, 11))
def test_corrupted_ids_fail_only_the_checksum(shift: int) -> None:
    wrong = corrupt_id("520102199003074517", shift)
    assert wrong[:17] == "52010219900307451"
    with pytest.raises(InvalidChecksum):
        ric.validate(wrong)


def test_people_hold_unique_ids_issued_by_their_districts() -> None:
    as_of = date(2026, 10, 15)
    geo = build_geo("5201", ["520102", "520115"], 20240601, 3)
    people = random_people(np.random.default_rng(3), geo, 30_000, as_of)
    ids = people.id_number.tolist()
    assert len(set(ids)) == len(ids)
    assert all(valid_resident_id(i, as_of) for i in ids)
    male = np.array([int(i[16]) % 2 == 1 for i in ids])
    assert (male == people.male).all()
    births = people.birth_date.astype("datetime64[Y]").astype(int) + 1970
    home = geo.district_of(people.community)
    guanshanhu = home == 520115  # 观山湖区, created in 2012
    issued_there = np.array([i.startswith("520115") for i in ids])
    assert (issued_there & (births < 2012)).sum() > 1_000
    local = guanshanhu & (people.residence == 0)
    older, younger = issued_there[local & (births < 2012)], issued_there[local & (births >= 2012)]
    assert older.mean() > 0.8 and abs(older.mean() - younger.mean()) < 0.05  # whenever they were born
    assert {i[:6] for i in ids} >= {"520102", "520115"}
    before = [i for i, born in zip(ids, births, strict=True) if i.startswith("520115") and born < 2012]
    assert not any(ric.is_valid(i) for i in before)  # stdnum wants the code to exist in the birth year


def test_people_are_the_same_for_a_seed() -> None:
    geo = build_geo("5201", ["520102", "520115"], 20240601, 3)
    first, second = (
        random_people(np.random.default_rng(8), geo, 5_000, date(2026, 10, 15)) for _ in range(2)
    )
    assert first.id_number.tolist() == second.id_number.tolist()


def test_bulk_rows_hold_codes_created_after_birth() -> None:
    as_of = date(2026, 10, 15)
    ids, _, birth = IdSpace("5201", as_of, 3).numbers(0, 50_000)
    assert len(set(ids.tolist())) == 50_000
    assert all(valid_resident_id(i, as_of) for i in ids.tolist())
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    assert ((np.char.startswith(ids, "520115")) & (years < 2012)).sum() > 100
    assert {i[:4] for i in ids.tolist()} == {"5201"}


def test_sequences_are_unique_within_a_region_and_day() -> None:
    region = np.full(900, 520102)
    birth = np.full(900, np.datetime64("1990-01-01"))
    male = np.arange(900) % 2 == 0
    sequence = unique_sequences(region, birth, male)
    assert len(set(sequence.tolist())) == 900
    assert ((sequence % 2 == 1) == male).all() and sequence.min() >= 1 and sequence.max() <= 999
    with pytest.raises(ConfigurationError):
        unique_sequences(
            np.full(1200, 520102), np.full(1200, np.datetime64("1990-01-01")), np.zeros(1200, bool)
        )


def test_mobiles_and_bank_cards() -> None:
    rng = np.random.default_rng(1)
    assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles(rng, 5_000).tolist())
    cards = bank_cards(rng, 5_000).tolist()
    assert {len(c) for c in cards} <= {16, 17, 18, 19} and {16, 19} <= {len(c) for c in cards}
    assert all(luhn.is_valid(c) for c in cards)


def test_credit_codes() -> None:
    rng = np.random.default_rng(2)
    codes = [
        make_uscc(rng, "520102", kind, new) for kind in "123" for new in (True, False) for _ in range(200)
    ]
    assert all(uscc.is_valid(c) and c.startswith("9") and c[2:8] == "520102" for c in codes)
    with pytest.raises(InvalidChecksum):
        uscc.validate(corrupt_uscc(codes[0], 5))


def test_names_are_chinese_and_gendered() -> None:
    rng = np.random.default_rng(4)
    male = rng.random(10_000) < 0.5
    names = random_names(rng, male).tolist()
    assert all(2 <= len(n) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", n) for n in names)
    assert len(set(names)) > 3_000
    for name in names:
        name.encode("gbk")


def test_unknown_district() -> None:
    with pytest.raises(UnknownUnitError):
        build_geo("5201", ["520199"], 20240601, 1)
