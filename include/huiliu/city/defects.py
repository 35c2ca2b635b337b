"""Planted defects: each at a known small rate, each listed in the ground truth.

A row carries at most one planted defect, so a checker's findings can be scored without
ambiguity. Person-level defects (an invalid ID number) show in every row about that person;
cross-dataset defects (a recipient who is dead in, or absent from, the registry) only touch people
who appear in exactly one row, and registry-row defects only people no department refers to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

from huiliu.city.arrays import Indexes
from huiliu.city.frame import Frame
from huiliu.city.geo import CityGeo
from huiliu.city.groundtruth import DefectRecord
from huiliu.city.identity import corrupt_id, corrupt_uscc
from huiliu.city.people import DEAD, Population, age_on
from huiliu.contracts.model import DatasetContract

RATES: dict[str, float] = {
    "invalid_id_checksum": 0.005,
    "birth_date_mismatch": 0.005,
    "missing_required": 0.008,
    "duplicate_record": 0.005,
    "unknown_community": 0.005,
    "stale_record": 0.005,
    "absent_from_registry": 0.01,
    "dead_in_registry": 0.005,
}
RECIPIENT_DATASETS: tuple[str, ...] = (
    "subsistence_allowance",
    "disability_registry",
    "elderly_care_services",
)
PERSON_DATASETS: tuple[str, ...] = (*RECIPIENT_DATASETS, "unemployment_benefit", "volunteer_points")
STALE_DAYS = (3 * 365, 6 * 365)
MIN_ROWS_FOR_EVERY_KIND = 20
# columns moved back in time together with updated_at, so a stale row is old but not self-contradictory
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "subsistence_allowance": ("approval_date",),
    "disability_registry": ("issued_date",),
    "elderly_care_services": ("service_date",),
    "hotline_tickets": ("received_at", "dispatched_at", "closed_at"),
    "grid_events": ("reported_at",),
    "business_registrations": ("established_date",),
}
_STAMP = "%Y-%m-%d %H:%M:%S"


class DefectLog:
    """The planted defects, in the ground truth's format."""

    def __init__(self) -> None:
        self.items: list[DefectRecord] = []
        self.per_dataset: Counter[str] = Counter()

    def add(self, dataset: str, key: object, column: str, defect: str, detail: str | None = None) -> None:
        """Record one defect of one row (``key`` is the row's primary key value)."""
        item: DefectRecord = {"dataset": dataset, "key": str(key), "column": column, "defect": defect}
        if detail:
            item["detail"] = detail
        self.items.append(item)
        self.per_dataset[dataset] += 1


def defect_count(rng: np.random.Generator, rate: float, rows: int, at_least_one: bool = True) -> int:
    """How many rows of ``rows`` get a defect planted at ``rate`` (randomly rounded)."""
    expected = rate * rows
    count = int(expected) + int(rng.random() < expected - int(expected))
    if at_least_one and rows >= MIN_ROWS_FOR_EVERY_KIND:
        count = max(count, 1)
    return min(count, rows)


def choose_rows(
    rng: np.random.Generator, frame: Frame, count: int, eligible: Sequence[bool] | None = None
) -> list[int]:
    """Up to ``count`` clean rows (and eligible ones, when a mask is given), in row order."""
    candidates = [i for i, ok in enumerate(frame.clean) if ok and (eligible is None or eligible[i])]
    if not candidates or count <= 0:
        return []
    picked = rng.choice(len(candidates), min(count, len(candidates)), replace=False)
    return sorted(candidates[i] for i in picked.tolist())


def corrupt_population_ids(rng: np.random.Generator, population: Population, rate: float) -> set[int]:
    """Give some people an ID number with a wrong check character, everywhere they appear."""
    people = rng.choice(len(population), round(rate * len(population)), replace=False)
    for person, shift in zip(people.tolist(), rng.integers(1, 11, len(people)).tolist(), strict=True):
        population.id_number[person] = corrupt_id(str(population.id_number[person]), shift)
    return set(people.tolist())


def mark_invalid_ids(frame: Frame, bad_people: set[int], log: DefectLog) -> None:
    """Log every row about a person whose ID number was corrupted."""
    for row, person in enumerate(frame.people):
        if person in bad_people and frame.clean[row]:
            log.add(
                frame.dataset, frame.keys()[row], "id_number", "invalid_id_checksum", "wrong check character"
            )
            frame.clean[row] = False


def plant_invalid_uscc(rng: np.random.Generator, frame: Frame, rate: float, log: DefectLog) -> None:
    """Corrupt the check character of some unified social credit codes (the primary key)."""
    keys = frame.columns["uscc"]
    for row in choose_rows(rng, frame, defect_count(rng, rate, len(frame))):
        keys[row] = corrupt_uscc(str(keys[row]), int(rng.integers(1, 30)))
        log.add(frame.dataset, keys[row], "uscc", "invalid_id_checksum", "wrong check character")
        frame.clean[row] = False


def plant_birth_mismatch(frame: Frame, wrong_dates: dict[int, str], log: DefectLog) -> None:
    """Write birth dates that contradict the ID number for the chosen people."""
    births = frame.columns["birth_date"]
    for row, person in enumerate(frame.people):
        if person in wrong_dates and frame.clean[row]:
            births[row] = wrong_dates[person]
            log.add(
                frame.dataset,
                frame.keys()[row],
                "birth_date",
                "birth_date_mismatch",
                "differs from the ID number",
            )
            frame.clean[row] = False


def wrong_birth_dates(
    rng: np.random.Generator, population: Population, people: Indexes, as_of: date
) -> dict[int, str]:
    """Birth dates off by a month to a few years (never the true one, never in the future)."""
    shift = rng.integers(30, 1_500, len(people)) * np.where(rng.random(len(people)) < 0.5, -1, 1)
    wrong = population.birth_date[people] + shift.astype("timedelta64[D]")
    wrong = np.where(wrong >= np.datetime64(as_of, "D"), population.birth_date[people] - np.abs(shift), wrong)
    return dict(zip(people.tolist(), np.datetime_as_string(wrong, unit="D").tolist(), strict=True))


def plant_dead_in_registry(
    rng: np.random.Generator,
    frames: dict[str, Frame],
    population: Population,
    rate: float,
    log: DefectLog,
    as_of: date,
) -> None:
    """Mark some recipients dead in the registry while their department still serves them."""
    rows_per_person = Counter(p for name in PERSON_DATASETS for p in frames[name].people if p >= 0)
    for name in RECIPIENT_DATASETS:
        frame = frames[name]
        eligible = [rows_per_person[p] == 1 and population.status[p] != DEAD for p in frame.people]
        for row in choose_rows(rng, frame, defect_count(rng, rate, len(frame)), eligible):
            person = frame.people[row]
            population.status[person] = DEAD
            seconds = np.timedelta64(int(rng.integers(86_400, 150 * 86_400)), "s")
            population.updated_at[person] = np.datetime64(as_of, "s") - seconds
            log.add(name, frame.keys()[row], "id_number", "dead_in_registry", "registry status is 死亡")
            frame.clean[row] = False


def plant_absent_from_registry(
    rng: np.random.Generator,
    frames: dict[str, Frame],
    outsiders: Population,
    rate: float,
    log: DefectLog,
) -> None:
    """Replace some recipients by people the registry does not know (old enough for every dataset)."""
    next_outsider = 0
    for name in RECIPIENT_DATASETS:
        frame = frames[name]
        for row in choose_rows(rng, frame, defect_count(rng, rate, len(frame))):
            if next_outsider >= len(outsiders):
                return
            number = str(outsiders.id_number[next_outsider])
            frame.columns["id_number"][row] = number
            frame.columns["name"][row] = str(outsiders.name[next_outsider])
            if name == "disability_registry":
                certificate = frame.columns["certificate_no"]
                certificate[row] = number + str(certificate[row])[-2:]
            if name == "elderly_care_services":
                service = np.datetime64(str(frame.columns["service_date"][row]), "D")
                frame.columns["age"][row] = int(
                    age_on(outsiders.birth_date[next_outsider : next_outsider + 1], service)[0]
                )
            frame.people[row] = -1
            frame.clean[row] = False
            log.add(
                name,
                frame.keys()[row],
                "id_number",
                "absent_from_registry",
                "person not in resident_registry",
            )
            next_outsider += 1


def required_columns(contract: DatasetContract) -> list[str]:
    """Non-nullable columns that may be left empty: not the key, the ID number or the cursor column."""
    skip = {*contract.schema_.primary_key, "id_number", contract.extraction.cursor_column}
    return [c.name for c in contract.columns if not c.nullable and c.name not in skip]


def plant_row_defects(
    rng: np.random.Generator,
    frame: Frame,
    contract: DatasetContract,
    geo: CityGeo,
    population: Population,
    as_of: date,
    log: DefectLog,
    eligible: Sequence[bool] | None = None,
    at_least_one: bool = True,
) -> None:
    """Plant missing values, unknown communities, stale rows and duplicates in clean rows of a frame.

    Args:
        rng: random stream.
        frame: the rows; changed in place (duplicates are appended).
        contract: the dataset's contract (which columns are required).
        geo: the city's places (to make up unknown community codes).
        population: the population (to recompute ages of stale elderly-care rows).
        as_of: the generation date.
        log: where defects are recorded.
        eligible: rows that may carry a defect (default: all clean rows).
        at_least_one: plant at least one of each kind when the frame has 20 rows or more.
    """
    _plant_missing(rng, frame, contract, log, eligible, at_least_one)
    if "community_code" in frame.columns:
        _plant_unknown_community(rng, frame, geo, log, eligible, at_least_one)
    if "updated_at" in frame.columns:
        _plant_stale(rng, frame, population, as_of, log, eligible, at_least_one)
    _plant_duplicates(rng, frame, as_of, log, eligible, at_least_one)


def _plant_unknown_community(
    rng: np.random.Generator,
    frame: Frame,
    geo: CityGeo,
    log: DefectLog,
    eligible: Sequence[bool] | None,
    at_least_one: bool,
) -> None:
    codes = frame.columns["community_code"]
    count = defect_count(rng, RATES["unknown_community"], len(frame), at_least_one)
    for row in choose_rows(rng, frame, count, eligible):
        codes[row] = geo.unknown_community_code(rng)
        log.add(
            frame.dataset, frame.keys()[row], "community_code", "unknown_community", "not in the hierarchy"
        )
        frame.clean[row] = False


def _plant_stale(
    rng: np.random.Generator,
    frame: Frame,
    population: Population,
    as_of: date,
    log: DefectLog,
    eligible: Sequence[bool] | None,
    at_least_one: bool,
) -> None:
    allowed = list(eligible) if eligible is not None else [True] * len(frame)
    if frame.dataset == "elderly_care_services":  # moved years back, a client must still have been 60+
        ages = frame.columns["age"]
        allowed = [
            ok and isinstance(age, int) and age >= 60 + STALE_DAYS[1] // 365 + 1
            for ok, age in zip(allowed, ages, strict=True)
        ]
    count = defect_count(rng, RATES["stale_record"], len(frame), at_least_one)
    for row in choose_rows(rng, frame, count, allowed):
        days = _make_stale(rng, frame, row, population, as_of)
        log.add(
            frame.dataset,
            frame.keys()[row],
            "updated_at",
            "stale_record",
            f"last updated {days} days before as_of",
        )
        frame.clean[row] = False


def _plant_missing(
    rng: np.random.Generator,
    frame: Frame,
    contract: DatasetContract,
    log: DefectLog,
    eligible: Sequence[bool] | None,
    at_least_one: bool,
) -> None:
    columns = required_columns(contract)
    types = {c.name: c.type for c in contract.columns}
    for row in choose_rows(
        rng, frame, defect_count(rng, RATES["missing_required"], len(frame), at_least_one), eligible
    ):
        column = columns[int(rng.integers(0, len(columns)))]
        empty_string = types[column] == "string" and rng.random() < 0.3
        frame.columns[column][row] = "" if empty_string else None
        if column == "description" and frame.spans is not None:
            frame.spans[row] = []
        log.add(
            frame.dataset,
            frame.keys()[row],
            column,
            "missing_required",
            "empty string" if empty_string else "NULL",
        )
        frame.clean[row] = False


def _shift(value: object, delta: timedelta) -> str | None:
    if value is None:
        return None
    text = str(value)
    if len(text) == 10:
        return (date.fromisoformat(text) + timedelta(days=delta.days)).isoformat()
    return (datetime.strptime(text, _STAMP) + delta).strftime(_STAMP)


def _make_stale(rng: np.random.Generator, frame: Frame, row: int, population: Population, as_of: date) -> int:
    """Move a row's updated_at (and its other event times) years back; return its age in days."""
    old = datetime.strptime(str(frame.columns["updated_at"][row]), _STAMP)
    new = datetime.combine(as_of, datetime.min.time()) - timedelta(
        days=int(rng.integers(*STALE_DAYS)), seconds=int(rng.integers(0, 86_400))
    )
    delta = new - old
    frame.columns["updated_at"][row] = new.strftime(_STAMP)
    for column in TIME_COLUMNS.get(frame.dataset, ()):
        frame.columns[column][row] = _shift(frame.columns[column][row], delta)
    person = frame.people[row]
    if frame.dataset == "elderly_care_services" and person >= 0:
        service = np.datetime64(str(frame.columns["service_date"][row]), "D")
        frame.columns["age"][row] = int(age_on(population.birth_date[person : person + 1], service)[0])
    return (as_of - new.date()).days


def _plant_duplicates(
    rng: np.random.Generator,
    frame: Frame,
    as_of: date,
    log: DefectLog,
    eligible: Sequence[bool] | None,
    at_least_one: bool,
) -> None:
    limit = datetime.combine(as_of, datetime.min.time())
    for row in choose_rows(
        rng, frame, defect_count(rng, RATES["duplicate_record"], len(frame), at_least_one), eligible
    ):
        frame.clean[row] = False
        copy = frame.append_copy(row)
        detail = "exact copy"
        if "updated_at" in frame.columns and rng.random() < 0.5:
            stamp = datetime.strptime(str(frame.columns["updated_at"][copy]), _STAMP)
            delta = timedelta(seconds=int(rng.integers(3_600, 72 * 3_600)))
            stamp = stamp + delta if stamp + delta < limit else stamp - delta
            frame.columns["updated_at"][copy] = stamp.strftime(_STAMP)
            detail = "second copy with a different updated_at"
        log.add(frame.dataset, frame.keys()[row], frame.key, "duplicate_record", detail)
