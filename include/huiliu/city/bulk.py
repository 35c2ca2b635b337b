"""``write_resident_rows``: millions of valid registry rows, streamed, for benchmarks.

ID numbers must be unique across blocks generated independently, so they are not sampled: row
``i`` is mapped by a seeded affine permutation onto a slot ``(region code, birth date, sequence)``
of a fixed space of valid numbers. Every row is distinct by construction and memory stays flat.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import numpy as np
import numpy.typing as npt

from huiliu.city import departments
from huiliu.city.frame import Frame
from huiliu.city.geo import CityGeo, build_geo
from huiliu.city.identity import FIRST_YEAR, issuing_regions, resident_ids
from huiliu.city.people import generate_status, people_with_ids
from huiliu.city.writers import SqlWriter
from huiliu.contracts import load_contract
from huiliu.divisions import reference
from huiliu.errors import ConfigurationError
from huiliu.settings import get_settings

BLOCK_ROWS = 100_000
SEQUENCES = 999
OLDEST_BIRTH_YEAR = 1930
_MULTIPLIER = 2_654_435_761


class IdSpace:
    """A numbered space of distinct valid ID numbers (region, birth day, sequence) and a permutation of it.

    Every region code of the city issues numbers to people born from 1930 on, however long after
    their birth the code was created, up to the year it was abolished.
    """

    def __init__(self, city_code: str, as_of: date, seed: int) -> None:
        codes, issuable = issuing_regions(as_of.year)
        last_day = int(np.datetime64(as_of, "D").astype(np.int64)) - 1
        regions: list[int] = []
        first_days: list[int] = []
        day_counts: list[int] = []
        for index in np.flatnonzero(codes // 100 == int(city_code)).tolist():
            years = np.flatnonzero(issuable[index]) + FIRST_YEAR
            years = years[years >= OLDEST_BIRTH_YEAR]
            if len(years):
                end = int(np.datetime64(f"{int(years.max()) + 1}-01-01", "D").astype(np.int64)) - 1
                self._add(
                    regions, first_days, day_counts, int(codes[index]), int(years.min()), min(end, last_day)
                )
        if not regions:
            raise ConfigurationError(f"no region code of city {city_code} can be used in ID numbers")
        self.regions = np.array(regions, dtype=np.int64)
        self.first_days = np.array(first_days, dtype=np.int64)
        capacity = np.array(day_counts, dtype=np.int64) * SEQUENCES
        self.ends = np.cumsum(capacity)
        self.size = int(self.ends[-1])
        self.multiplier = _MULTIPLIER
        while math.gcd(self.multiplier, self.size) != 1:
            self.multiplier += 2
        self.offset = int(np.random.default_rng([seed, 4242]).integers(0, self.size))

    @staticmethod
    def _add(
        regions: list[int], first_days: list[int], day_counts: list[int], code: int, year: int, last_day: int
    ) -> None:
        first = int(np.datetime64(f"{year}-01-01", "D").astype(np.int64))
        if last_day > first:
            regions.append(code)
            first_days.append(first)
            day_counts.append(last_day - first + 1)

    def numbers(
        self, start: int, count: int
    ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_], npt.NDArray[np.datetime64]]:
        """ID numbers, sexes and birth dates of rows ``start`` .. ``start + count - 1``."""
        if start + count > self.size:
            raise ConfigurationError(f"at most {self.size} distinct rows can be generated for this city")
        index = np.arange(start, start + count, dtype=np.int64)
        slot = (index * self.multiplier + self.offset) % self.size
        region = np.searchsorted(self.ends, slot, side="right")
        within = slot - np.r_[0, self.ends][region]
        birth = (self.first_days[region] + within // SEQUENCES).astype("datetime64[D]")
        sequence = within % SEQUENCES + 1
        male = sequence % 2 == 1
        return resident_ids(self.regions[region], birth, sequence), male, birth


def resident_blocks(geo: CityGeo, rows: int, seed: int, as_of: date) -> Iterator[Frame]:
    """The registry rows, ``BLOCK_ROWS`` at a time."""
    space = IdSpace(geo.city_code, as_of, seed)
    contract = load_contract("resident_registry", get_settings().contracts_dir)
    names = [c.name for c in contract.columns]
    for start in range(0, rows, BLOCK_ROWS):
        count = min(BLOCK_ROWS, rows - start)
        rng = np.random.default_rng([seed, 77, start])
        ids, male, birth = space.numbers(start, count)
        community = rng.choice(len(geo.communities), count, p=geo.community_weight).astype(np.int32)
        migrant = rng.random(count) < 0.2
        people = people_with_ids(rng, ids, male, birth, community, migrant, as_of)
        people.status = generate_status(rng, people, as_of)
        frame = departments.resident_registry(people, geo, np.arange(count))
        if list(frame.columns) != names:
            raise ConfigurationError("the resident_registry contract changed; update huiliu.city.departments")
        yield frame


def write_resident_rows(
    url: str, rows: int, seed: int = 7, city_code: str = "5201", table: str = "resident_registry"
) -> None:
    """Bulk-write ``rows`` valid resident-registry rows into a table (dropped and recreated).

    PostgreSQL is filled with COPY, MariaDB/MySQL with multi-row INSERTs and SQLite in one
    transaction, ``100_000`` rows at a time, so memory does not grow with ``rows``.

    Args:
        url: SQLAlchemy URL of the database (created when missing).
        rows: how many rows.
        seed: random seed; the same seed gives the same rows.
        city_code: 4-digit city code whose communities the residents live in.
        table: table name.

    Raises:
        SourceUnavailableError: the database cannot be reached.
        ConfigurationError: more rows than distinct ID numbers available, or a bad URL.
    """
    districts = sorted(code for code, (_, parent) in reference.districts().items() if parent == city_code)
    geo = build_geo(city_code, districts, get_settings().units_seed, seed)
    contract = load_contract("resident_registry", get_settings().contracts_dir)
    writer = SqlWriter("benchmark", url)
    try:
        writer.open()
        writer.write(contract, resident_blocks(geo, rows, seed, date.today()), table=table)
    finally:
        writer.close()
