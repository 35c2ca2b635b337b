"""The population: one record per person, held as compact numpy arrays.

Every department copies its people from here, so a person has the same ID number, name, phone and
address everywhere. Names are drawn vectorised from Faker's zh_CN surname and given-name lists
(calling Faker once per person would be far too slow for a million people).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TypedDict

import numpy as np
import numpy.typing as npt
from faker.providers.person.zh_CN import Provider as ZhPerson

from huiliu.city.arrays import Indexes
from huiliu.city.geo import COMPOUNDS_PER_COMMUNITY, ROADS_PER_COMMUNITY, CityGeo
from huiliu.city.identity import FIRST_YEAR, issuing_regions, mobiles, resident_ids
from huiliu.city.vocab import AGE_BANDS, ETHNICITIES, MIGRANT_PROVINCES, PERSON_STATUSES, RESIDENCE_STATUSES
from huiliu.errors import ConfigurationError

DAYS_PER_YEAR = 365.2425
ALIVE, DEAD, MOVED_OUT = 0, 1, 2
LOCAL, MIGRANT = 0, 1
MAX_SEQUENCES = 499  # even sequence numbers 002-998 for women; odd 001-999 for men
UPDATE_WINDOW_DAYS = 180


@dataclass
class Population:
    """People of the city, one index per person.

    Attributes:
        id_number: 18-character ID numbers (``U18``).
        name: full names.
        male: True for men.
        birth_date: ``datetime64[D]``.
        ethnicity: index into ``vocab.ETHNICITIES``.
        community: index into ``CityGeo.communities`` of the community lived in.
        road, road_no, compound, building, unit, room: the home address inside the community
            (``road``/``compound`` index the community's roads and compounds).
        phone: mobile numbers, ``""`` for none.
        residence: ``LOCAL`` (户籍) or ``MIGRANT`` (流动).
        status: ``ALIVE`` (正常), ``DEAD`` (死亡) or ``MOVED_OUT`` (迁出).
        updated_at: last change in the registry, ``datetime64[s]``.
    """

    id_number: npt.NDArray[np.str_]
    name: npt.NDArray[np.str_]
    male: npt.NDArray[np.bool_]
    birth_date: npt.NDArray[np.datetime64]
    ethnicity: npt.NDArray[np.int8]
    community: npt.NDArray[np.int32]
    road: npt.NDArray[np.int8]
    road_no: npt.NDArray[np.int16]
    compound: npt.NDArray[np.int8]
    building: npt.NDArray[np.int16]
    unit: npt.NDArray[np.int8]
    room: npt.NDArray[np.int16]
    phone: npt.NDArray[np.str_]
    residence: npt.NDArray[np.int8]
    status: npt.NDArray[np.int8]
    updated_at: npt.NDArray[np.datetime64]

    def __len__(self) -> int:
        return len(self.id_number)

    def ages(self, on: date | np.datetime64 | npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
        """Age in whole years on a date (or on each of an array of dates)."""
        return age_on(self.birth_date, on)

    def street_address(self, geo: CityGeo, people: Indexes) -> list[str]:
        """Addresses below the community, e.g. 遵义路128号阳光小区3栋2单元1203室."""
        roads = geo.community_roads[self.community[people], self.road[people]]
        compounds = geo.community_compounds[self.community[people], self.compound[people]]
        return [
            f"{geo.roads[r]}{no}号{geo.compounds[c]}{b}栋{u}单元{room}室"
            for r, no, c, b, u, room in zip(
                roads.tolist(),
                self.road_no[people].tolist(),
                compounds.tolist(),
                self.building[people].tolist(),
                self.unit[people].tolist(),
                self.room[people].tolist(),
                strict=True,
            )
        ]

    def full_address(self, geo: CityGeo, people: Indexes) -> list[str]:
        """Full household addresses: province, city, district, street, community, then the street address."""
        prefixes = geo.prefixes
        return [
            prefixes[c] + rest
            for c, rest in zip(self.community[people].tolist(), self.street_address(geo, people), strict=True)
        ]


def age_on(
    birth: npt.NDArray[np.datetime64], on: date | np.datetime64 | npt.NDArray[np.datetime64]
) -> npt.NDArray[np.int64]:
    """Whole years between birth dates and a date (or dates)."""
    day = np.asarray(np.datetime64(on, "D") if isinstance(on, date) else on, dtype="datetime64[D]")
    by, bm, bd = _ymd(birth)
    oy, om, od = _ymd(day)
    before_birthday = (om < bm) | ((om == bm) & (od < bd))
    ages: npt.NDArray[np.int64] = (oy - by - before_birthday).astype(np.int64)
    return ages


def _ymd(
    days: npt.NDArray[np.datetime64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    days = np.asarray(days, dtype="datetime64[D]")
    months = days.astype("datetime64[M]")
    return (
        days.astype("datetime64[Y]").astype(np.int64) + 1970,
        months.astype(np.int64) % 12 + 1,
        (days - months).astype(np.int64) + 1,
    )


@lru_cache(maxsize=1)
def _name_pools() -> tuple[
    npt.NDArray[np.str_],
    npt.NDArray[np.float64],
    tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]],
    tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]],
]:
    """Surnames with their probabilities, and (all, one-character) given-name parts for men and women."""
    surnames = np.array(list(ZhPerson.last_names.keys()))
    weights = np.array(list(ZhPerson.last_names.values()), dtype=float)

    def pools(parts: list[str]) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
        unique = sorted(set(parts))
        return np.array(unique), np.array([p for p in unique if len(p) == 1])

    return (
        surnames,
        weights / weights.sum(),
        pools(ZhPerson.first_names_male),
        pools(ZhPerson.first_names_female),
    )


def random_names(rng: np.random.Generator, male: npt.NDArray[np.bool_]) -> npt.NDArray[np.str_]:
    """Full names: a weighted surname and a one- or two-character given name fitting the gender."""
    surnames, weights, male_pool, female_pool = _name_pools()
    n = len(male)
    given = np.empty(n, dtype="U4")
    for is_male, (parts, singles) in ((True, male_pool), (False, female_pool)):
        rows = np.flatnonzero(male == is_male)
        first = parts[rng.integers(0, len(parts), len(rows))]
        second = singles[rng.integers(0, len(singles), len(rows))]
        two = (np.char.str_len(first) == 1) & (rng.random(len(rows)) < 0.7)
        given[rows] = np.where(two, np.char.add(first, second), first)
    return np.char.add(surnames[rng.choice(len(surnames), n, p=weights)], given)


def random_birth_dates(
    rng: np.random.Generator, n: int, as_of: date, min_age: int = 0, max_age: int = 99
) -> npt.NDArray[np.datetime64]:
    """Birth dates following the age pyramid, limited to ages ``min_age``..``max_age``."""
    bands = np.array(AGE_BANDS, dtype=float)
    lows = np.arange(len(bands)) * 5
    share = np.clip(np.minimum(lows + 5, max_age + 1) - np.maximum(lows, min_age), 0, 5) / 5
    probs = bands * share
    band = rng.choice(len(bands), n, p=probs / probs.sum())
    low = np.maximum(lows[band], min_age)
    high = np.minimum(lows[band] + 5, max_age + 1)
    age_years = low + rng.random(n) * (high - low)
    days = np.floor(age_years * DAYS_PER_YEAR).astype(np.int64) + 1
    births: npt.NDArray[np.datetime64] = np.datetime64(as_of, "D") - days
    return births


def _choose_regions(
    rng: np.random.Generator,
    geo: CityGeo,
    community: Indexes,
    migrant: npt.NDArray[np.bool_],
    birth: npt.NDArray[np.datetime64],
    as_of: date,
) -> npt.NDArray[np.int64]:
    """Region codes for ID numbers: the code of the district that issued each number.

    Most people hold the current code of their home district, however long after their birth the
    district was created; migrants and some locals hold one of their place of origin. A code
    abolished before someone's birth year cannot be theirs: they get one of the city that can.
    """
    codes, issuable = issuing_regions(as_of.year)
    n = len(community)
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970 - FIRST_YEAR
    province = codes // 10_000
    city_codes = np.flatnonzero(codes // 100 == int(geo.city_code))
    home = geo.district_of(community)
    region = home.copy()
    elsewhere = migrant | (rng.random(n) < 0.12)
    province_pick = np.array([int(p) for p, _ in MIGRANT_PROVINCES])
    province_p = np.array([w for _, w in MIGRANT_PROVINCES])
    origin = np.where(
        migrant, province_pick[rng.choice(len(province_pick), n, p=province_p)], int(geo.city_code[:2])
    )
    for prov in np.unique(origin[elsewhere]):
        rows = np.flatnonzero(elsewhere & (origin == prov))
        pool = np.flatnonzero((province == prov) & (codes // 100 != int(geo.city_code)))
        region[rows] = codes[pool[rng.integers(0, len(pool), len(rows))]]
    index = np.searchsorted(codes, region)
    bad = (index >= len(codes)) | (codes[np.minimum(index, len(codes) - 1)] != region)
    bad |= ~issuable[np.minimum(index, len(codes) - 1), years]
    for year in np.unique(years[bad]):
        rows = np.flatnonzero(bad & (years == year))
        pool = city_codes[issuable[city_codes, year]]
        if len(pool) == 0:
            pool = np.flatnonzero((province == int(geo.city_code[:2])) & issuable[:, year])
        if len(pool) == 0:
            pool = np.flatnonzero(issuable[:, year])
        region[rows] = codes[pool[rng.integers(0, len(pool), len(rows))]]
    return region


def unique_sequences(
    region: npt.NDArray[np.int64], birth: npt.NDArray[np.datetime64], male: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Sequence numbers making (region, birth date, sequence) unique; odd for men, even for women.

    Raises:
        ConfigurationError: more than 499 people of one sex share a region and a birth date.
    """
    days = birth.astype("datetime64[D]").astype(np.int64) + 100_000
    key = (region.astype(np.int64) * 1_000_000 + days) * 2 + male.astype(np.int64)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    group = np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - group
    if len(key) and rank.max() >= MAX_SEQUENCES:
        raise ConfigurationError("too many people share a birth date and region; lower the population")
    offset = (key * 2_654_435_761) % MAX_SEQUENCES
    slot = (rank + offset) % MAX_SEQUENCES
    return np.where(male, slot * 2 + 1, slot * 2 + 2)


class AddressParts(TypedDict):
    """The home address of each person inside their community (fields of :class:`Population`)."""

    road: npt.NDArray[np.int8]
    road_no: npt.NDArray[np.int16]
    compound: npt.NDArray[np.int8]
    building: npt.NDArray[np.int16]
    unit: npt.NDArray[np.int8]
    room: npt.NDArray[np.int16]


def address_parts(rng: np.random.Generator, n: int) -> AddressParts:
    """Random home addresses inside a community: road, number, compound, building, unit and room."""
    floors = rng.integers(1, 34, n)
    return {
        "road": rng.integers(0, ROADS_PER_COMMUNITY, n).astype(np.int8),
        "road_no": rng.integers(1, 300, n).astype(np.int16),
        "compound": rng.integers(0, COMPOUNDS_PER_COMMUNITY, n).astype(np.int8),
        "building": rng.integers(1, 31, n).astype(np.int16),
        "unit": rng.integers(1, 5, n).astype(np.int8),
        "room": (floors * 100 + rng.integers(1, 5, n)).astype(np.int16),
    }


def random_people(
    rng: np.random.Generator, geo: CityGeo, n: int, as_of: date, min_age: int = 0, max_age: int = 99
) -> Population:
    """``n`` people living in the city's communities, all alive, with valid and unique ID numbers."""
    community = rng.choice(len(geo.communities), n, p=geo.community_weight).astype(np.int32)
    male = rng.random(n) < 0.512
    birth = random_birth_dates(rng, n, as_of, min_age, max_age)
    age = age_on(birth, as_of)
    migrant = rng.random(n) < np.where((age >= 18) & (age < 60), 0.24, 0.08)
    region = _choose_regions(rng, geo, community, migrant, birth, as_of)
    ids = resident_ids(region, birth, unique_sequences(region, birth, male))
    return people_with_ids(rng, ids, male, birth, community, migrant, as_of)


def people_with_ids(
    rng: np.random.Generator,
    ids: npt.NDArray[np.str_],
    male: npt.NDArray[np.bool_],
    birth: npt.NDArray[np.datetime64],
    community: npt.NDArray[np.int32],
    migrant: npt.NDArray[np.bool_],
    as_of: date,
) -> Population:
    """Complete people whose ID number, sex, birth date, community and residence are already chosen."""
    n = len(ids)
    age = age_on(birth, as_of)
    phone = mobiles(rng, n)
    phone[(rng.random(n) < 0.06) | ((age < 14) & (rng.random(n) < 0.8))] = ""
    weights = np.array([w for _, w in ETHNICITIES])
    seconds = rng.integers(0, UPDATE_WINDOW_DAYS * 86_400, n)
    return Population(
        id_number=ids,
        name=random_names(rng, male),
        male=male,
        birth_date=birth,
        ethnicity=rng.choice(len(ETHNICITIES), n, p=weights / weights.sum()).astype(np.int8),
        community=community,
        phone=phone,
        residence=migrant.astype(np.int8),
        status=np.full(n, ALIVE, dtype=np.int8),
        updated_at=np.datetime64(as_of, "s") - seconds.astype("timedelta64[s]"),
        **address_parts(rng, n),
    )


def generate_population(rng: np.random.Generator, geo: CityGeo, n: int, as_of: date) -> Population:
    """The city's population: mostly alive, some dead (mainly the old) and some moved away."""
    people = random_people(rng, geo, n, as_of)
    people.status = generate_status(rng, people, as_of)
    return people


def generate_status(rng: np.random.Generator, people: Population, as_of: date) -> npt.NDArray[np.int8]:
    """Registry statuses: about 3% of the over-70s and 0.2% of the others dead, 1% moved away."""
    age = people.ages(as_of)
    roll = rng.random(len(people))
    status = np.full(len(people), ALIVE, dtype=np.int8)
    status[roll < np.where(age >= 70, 0.03, 0.002)] = DEAD
    status[(roll > 0.99) & (age >= 16)] = MOVED_OUT
    return status


def status_label(status: npt.NDArray[np.int8]) -> npt.NDArray[np.str_]:
    """正常 / 死亡 / 迁出 labels of status codes."""
    return np.array(PERSON_STATUSES)[status]


def residence_label(residence: npt.NDArray[np.int8]) -> npt.NDArray[np.str_]:
    """户籍 / 流动 labels of residence codes."""
    return np.array(RESIDENCE_STATUSES)[residence]
