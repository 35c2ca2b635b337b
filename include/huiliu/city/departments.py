"""The departments' tables, built from the population: one function per dataset.

Each builder returns a :class:`~huiliu.city.frame.Frame` whose columns are exactly the dataset
contract's columns, in order. Defects are planted afterwards by :mod:`huiliu.city.defects`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from huiliu.city.arrays import Indexes
from huiliu.city.frame import Frame, dates, money, timestamps
from huiliu.city.freetext import GRID_TEMPLATES, HOTLINE_TEMPLATES, compose
from huiliu.city.geo import CityGeo
from huiliu.city.identity import bank_cards, uscc
from huiliu.city.people import ALIVE, Population, age_on, residence_label, status_label
from huiliu.city.vocab import (
    BUSINESS_INDUSTRIES,
    BUSINESS_STATUSES,
    BUSINESS_STEMS,
    COMMUNITY_PROVIDER_STEMS,
    DISABILITY_TYPES,
    ELDERLY_PROVIDER_STEMS,
    ELDERLY_SERVICES,
    ETHNICITIES,
    GRID_STATUSES,
    HOTLINE_CHANNELS,
    INSURED_STATUSES,
    SATISFACTION,
    SHOP_KINDS,
    SUBSISTENCE_CATEGORIES,
    VOLUNTEER_ACTIVITIES,
)

DAY = np.timedelta64(1, "D")
SECOND = np.timedelta64(1, "s")
SUBSISTENCE_STANDARD_CENTS = 89_000  # 贵阳市城市低保标准 (元/人·月), rounded
SPECIAL_HARDSHIP_CENTS = 115_700
UNEMPLOYMENT_CENTS = (160_000, 195_000)

WeightedOption: TypeAlias = tuple[str, *tuple[str, ...], float]
"""A vocabulary entry: its label first, its relative weight last (e.g. ``("低保", 0.85)``)."""


@dataclass(frozen=True)
class Block:
    """Which records of a dataset generated block by block: ``rows`` from ``first_number`` of ``total``."""

    first_number: int
    rows: int
    total: int


def _weighted(rng: np.random.Generator, options: Sequence[WeightedOption], n: int) -> npt.NDArray[np.int64]:
    """Indexes into ``options`` drawn by the weight in each option's last field."""
    weights = np.array([o[-1] for o in options], dtype=float)
    return rng.choice(len(options), n, p=weights / weights.sum())


def _labels(options: Sequence[WeightedOption], picks: Indexes) -> list[str]:
    names = [o[0] for o in options]
    return [names[i] for i in picks.tolist()]


def _midnight(day: date) -> np.datetime64:
    return np.datetime64(day, "s")


def pick_people(
    rng: np.random.Generator,
    population: Population,
    n: int,
    as_of: date,
    min_age: int = 0,
    max_age: int = 200,
    weight: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.floating]] | None = None,
    replace: bool = False,
) -> Indexes:
    """Population indexes of ``n`` living residents in an age range (distinct unless ``replace``).

    Args:
        rng: random stream.
        population: the population.
        n: how many to pick; fewer when not enough people qualify and ``replace`` is False.
        as_of: the date ages are taken on.
        min_age: youngest age.
        max_age: oldest age.
        weight: relative chance of being picked, as a function of age.
        replace: whether a person may be picked more than once.
    """
    age = population.ages(as_of)
    eligible = np.flatnonzero((population.status == ALIVE) & (age >= min_age) & (age <= max_age))
    if len(eligible) == 0:
        return np.zeros(0, dtype=np.int64)
    p = None
    if weight is not None:
        w = weight(age[eligible]).astype(float)
        p = w / w.sum()
    size = n if replace else min(n, len(eligible))
    return np.sort(rng.choice(eligible, size, replace=replace, p=p))


def resident_registry(population: Population, geo: CityGeo, people: Indexes) -> Frame:
    """Rows of the resident registry (公安人口基础信息) for some people of the population."""
    phone = population.phone[people]
    return Frame(
        dataset="resident_registry",
        key="id_number",
        columns={
            "id_number": population.id_number[people].tolist(),
            "name": population.name[people].tolist(),
            "gender": np.where(population.male[people], "男", "女").tolist(),
            "birth_date": dates(population.birth_date[people]),
            "ethnicity": np.array([e for e, _ in ETHNICITIES])[population.ethnicity[people]].tolist(),
            "household_address": population.full_address(geo, people),
            "community_code": geo.community_codes[population.community[people]].tolist(),
            "phone": [p or None for p in phone.tolist()],
            "residence_status": residence_label(population.residence[people]).tolist(),
            "status": status_label(population.status[people]).tolist(),
            "updated_at": timestamps(population.updated_at[people]),
        },
        people=people.tolist(),
    )


def _recent(rng: np.random.Generator, as_of: date, n: int, days: int) -> npt.NDArray[np.datetime64]:
    """Timestamps within the ``days`` before ``as_of`` (midnight)."""
    return _midnight(as_of) - rng.integers(60, days * 86_400, n) * SECOND


def _in_order(rng: np.random.Generator, as_of: date, block: Block, days: int) -> npt.NDArray[np.datetime64]:
    """Timestamps over the ``days`` before ``as_of`` that grow with the record number."""
    window = days * 86_400
    step = max(1, window // max(block.total, 1))
    position = np.arange(block.first_number - 1, block.first_number - 1 + block.rows, dtype=np.int64)
    offset = position * window // max(block.total, 1) + rng.integers(0, step, block.rows)
    return _midnight(as_of) - window * SECOND + offset * SECOND


def subsistence_allowance(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date, n: int
) -> Frame:
    """Cases of 低保 and 特困 support (民政), one per applicant."""
    people = pick_people(rng, population, n, as_of, 18, 200, lambda a: 1.0 + 1.5 * (a >= 60))
    n = len(people)
    category = _weighted(rng, SUBSISTENCE_CATEGORIES, n)
    hardship = category == 1
    size = np.where(hardship, 1, rng.choice([1, 2, 3, 4, 5], n, p=[0.3, 0.3, 0.2, 0.15, 0.05]))
    cents = np.where(
        hardship,
        SPECIAL_HARDSHIP_CENTS + rng.integers(0, 30_000, n),
        (size * SUBSISTENCE_STANDARD_CENTS * rng.uniform(0.35, 1.0, n)).astype(np.int64) // 100 * 100,
    )
    approval = np.datetime64(as_of, "D") - rng.integers(20, 3_650, n) * DAY
    cards = bank_cards(rng, n)
    updated = np.maximum(
        _recent(rng, as_of, n, 180),
        approval.astype("datetime64[s]") + rng.integers(3_600, 86_400, n) * SECOND,
    )
    district = geo.district_of(population.community[people])
    year = approval.astype("datetime64[Y]").astype(np.int64) + 1970
    prefix = np.where(hardship, "TK", "DB")
    return Frame(
        dataset="subsistence_allowance",
        key="case_id",
        columns={
            "case_id": [
                f"{p}{d}{y}{i:06d}" for i, (p, d, y) in enumerate(zip(prefix, district, year, strict=True), 1)
            ],
            "id_number": population.id_number[people].tolist(),
            "name": population.name[people].tolist(),
            "category": _labels(SUBSISTENCE_CATEGORIES, category),
            "household_size": size.tolist(),
            "monthly_amount": money(cents),
            "bank_card": [
                c if keep else None for c, keep in zip(cards.tolist(), rng.random(n) < 0.95, strict=True)
            ],
            "approval_date": dates(approval),
            "community_code": geo.community_codes[population.community[people]].tolist(),
            "updated_at": timestamps(updated),
        },
        people=people.tolist(),
    )


def disability_certificate(id_number: str, type_code: str, grade: int) -> str:
    """残疾人证号: the ID number, the disability type digit and the grade digit."""
    return f"{id_number}{type_code}{grade}"


def disability_registry(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date, n: int
) -> Frame:
    """Holders of a disability certificate (残联), one certificate per person."""
    people = pick_people(rng, population, n, as_of, 1, 200, lambda a: 0.3 + a / 40)
    n = len(people)
    kind = _weighted(rng, DISABILITY_TYPES, n)
    grade = rng.choice([1, 2, 3, 4], n, p=[0.1, 0.25, 0.3, 0.35])
    earliest = population.birth_date[people] + 365 * DAY
    issued = np.maximum(np.datetime64(as_of, "D") - rng.integers(10, 5_000, n) * DAY, earliest)
    updated = np.maximum(_recent(rng, as_of, n, 180), issued.astype("datetime64[s]") + 7_200 * SECOND)
    ids = population.id_number[people].tolist()
    codes = [DISABILITY_TYPES[k][1] for k in kind.tolist()]
    return Frame(
        dataset="disability_registry",
        key="certificate_no",
        columns={
            "certificate_no": [
                disability_certificate(i, c, g) for i, c, g in zip(ids, codes, grade.tolist(), strict=True)
            ],
            "id_number": ids,
            "name": population.name[people].tolist(),
            "disability_type": _labels(DISABILITY_TYPES, kind),
            "disability_grade": grade.tolist(),
            "issued_date": dates(issued),
            "community_code": geo.community_codes[population.community[people]].tolist(),
            "updated_at": timestamps(updated),
        },
        people=people.tolist(),
    )


def elderly_care_services(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date, n: int
) -> Frame:
    """Home elderly-care service records (民政养老服务), several per person over the last three months."""
    recipients = pick_people(rng, population, max(1, int(n / 2.5)), as_of, 61, 200, lambda a: 1.0 + (a >= 75))
    people = recipients[rng.integers(0, len(recipients), n)]
    people = people[np.argsort(people, kind="stable")]
    service_date = np.datetime64(as_of, "D") - rng.integers(1, 90, n) * DAY
    # typed: numpy's stubs lose the dtype of astype("datetime64[s]") and guess timedelta64 for the sum
    service_midnight: npt.NDArray[np.datetime64] = service_date.astype("datetime64[s]")
    updated = service_midnight + rng.integers(3_600, 3 * 86_400, n) * SECOND
    updated = np.minimum(updated, _midnight(as_of) - 60 * SECOND)
    kind = _weighted(rng, ELDERLY_SERVICES, n)
    community = population.community[people]
    providers = _elderly_providers(rng, geo, community)
    stamp = np.datetime_as_string(service_date, unit="D")
    return Frame(
        dataset="elderly_care_services",
        key="service_id",
        columns={
            "service_id": [f"YL{s.replace('-', '')}{i:06d}" for i, s in enumerate(stamp.tolist(), 1)],
            "id_number": population.id_number[people].tolist(),
            "name": population.name[people].tolist(),
            "age": age_on(population.birth_date[people], service_date).tolist(),
            "service_type": _labels(ELDERLY_SERVICES, kind),
            "provider": providers,
            "service_date": dates(service_date),
            "community_code": geo.community_codes[community].tolist(),
            "updated_at": timestamps(updated),
        },
        people=people.tolist(),
    )


def _elderly_providers(rng: np.random.Generator, geo: CityGeo, community: Indexes) -> list[str]:
    """Service providers: a district-wide centre (南明区颐年居家养老服务中心) or a community's own station."""
    n = len(community)
    local = rng.random(n) < 0.4
    district_stem = rng.integers(0, len(ELDERLY_PROVIDER_STEMS), n).tolist()
    local_stem = rng.integers(0, len(COMMUNITY_PROVIDER_STEMS), n).tolist()
    return [
        geo.communities[c].name.removesuffix("委会") + COMMUNITY_PROVIDER_STEMS[ls]
        if is_local
        else geo.districts[geo.community_district[c]].name + ELDERLY_PROVIDER_STEMS[ds]
        for c, is_local, ds, ls in zip(
            community.tolist(), local.tolist(), district_stem, local_stem, strict=True
        )
    ]


def unemployment_benefit(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date, n: int
) -> Frame:
    """This month's unemployment insurance payments (人社, delivered as a GBK CSV file)."""
    people = pick_people(rng, population, n, as_of, 18, 59)
    n = len(people)
    months = rng.integers(1, 25, n)
    start = np.datetime64(as_of, "M") - months * np.timedelta64(1, "M")
    month_start: npt.NDArray[np.datetime64] = start.astype("datetime64[D]")  # typed, as service_midnight
    start_date = month_start + rng.integers(0, 28, n) * DAY
    month = as_of.strftime("%Y%m")
    return Frame(
        dataset="unemployment_benefit",
        key="record_id",
        columns={
            "record_id": [f"SY{month}{i:06d}" for i in range(1, n + 1)],
            "id_number": population.id_number[people].tolist(),
            "name": population.name[people].tolist(),
            "insured_status": _labels(INSURED_STATUSES, _weighted(rng, INSURED_STATUSES, n)),
            "benefit_months": months.tolist(),
            "monthly_amount": money(rng.integers(*UNEMPLOYMENT_CENTS, n) // 100 * 100),
            "start_date": dates(start_date),
            "community_code": geo.community_codes[population.community[people]].tolist(),
        },
        people=people.tolist(),
    )


def volunteer_points(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date, n: int
) -> Frame:
    """This month's volunteer credit-point changes (社区, delivered as an XLSX workbook)."""
    volunteers = pick_people(rng, population, max(1, n // 3), as_of, 16, 80)
    people = np.sort(volunteers[rng.integers(0, len(volunteers), n)])
    activity = rng.integers(0, len(VOLUNTEER_ACTIVITIES), n)
    activity[rng.random(n) < 0.9] %= len(VOLUNTEER_ACTIVITIES) - 1  # redemptions are rarer
    low = np.array([a[2] for a in VOLUNTEER_ACTIVITIES])[activity]
    high = np.array([a[3] for a in VOLUNTEER_ACTIVITIES])[activity]
    points = low + (rng.random(n) * (high - low + 1)).astype(np.int64)
    first = np.datetime64(as_of, "M").astype("datetime64[D]")
    span = max(1, (np.datetime64(as_of, "D") - first).astype(int))
    recorded = first + rng.integers(0, span, n) * DAY
    month = as_of.strftime("%Y%m")
    return Frame(
        dataset="volunteer_points",
        key="record_id",
        columns={
            "record_id": [f"ZY{month}{i:06d}" for i in range(1, n + 1)],
            "id_number": population.id_number[people].tolist(),
            "name": population.name[people].tolist(),
            "activity": [VOLUNTEER_ACTIVITIES[a][0] for a in activity.tolist()],
            "points": points.tolist(),
            "rule_id": [VOLUNTEER_ACTIVITIES[a][1] for a in activity.tolist()],
            "community_code": geo.community_codes[population.community[people]].tolist(),
            "recorded_at": dates(recorded),
        },
        people=people.tolist(),
    )


def hotline_tickets(
    rng: np.random.Generator,
    population: Population,
    geo: CityGeo,
    as_of: date,
    block: Block,
    pool: Indexes,
) -> Frame:
    """12345 hotline tickets (城运中心), numbered in order of receipt over the last six months.

    Args:
        rng: random stream.
        population: the population.
        geo: the city's places.
        as_of: the generation date.
        block: which tickets to make.
        pool: people who may call or be mentioned.
    """
    n, first_number = block.rows, block.first_number
    texts = compose(rng, HOTLINE_TEMPLATES, pool, population, geo, as_of, n)
    received = _in_order(rng, as_of, block, 180)
    dispatched = received + rng.integers(300, 8 * 3_600, n) * SECOND
    closed = dispatched + rng.integers(2 * 3_600, 15 * 86_400, n) * SECOND
    now = _midnight(as_of)
    not_dispatched = (dispatched >= now) | (rng.random(n) < 0.01)
    still_open = not_dispatched | (closed >= now) | (rng.random(n) < 0.05)
    dispatched[not_dispatched] = np.datetime64("NaT")
    closed[still_open] = np.datetime64("NaT")
    last = np.where(still_open, np.where(not_dispatched, received, dispatched), closed)
    updated = np.minimum(last + rng.integers(1, 7_200, n) * SECOND, now - SECOND)
    channel = _weighted(rng, HOTLINE_CHANNELS, n)
    has_phone = (channel == 0) | (rng.random(n) < np.where(channel == 1, 0.5, 0.85))
    satisfaction = _labels(SATISFACTION, _weighted(rng, SATISFACTION, n))
    answered = ~still_open & (rng.random(n) < 0.85)
    community = np.where(rng.random(n) < 0.9, geo.community_codes[population.community[texts.people]], "")
    stamp = np.datetime_as_string(received.astype("datetime64[D]"), unit="D")
    return Frame(
        dataset="hotline_tickets",
        key="ticket_id",
        columns={
            "ticket_id": [
                f"GY{s.replace('-', '')}{first_number + i:07d}" for i, s in enumerate(stamp.tolist())
            ],
            "channel": _labels(HOTLINE_CHANNELS, channel),
            "caller_phone": [
                p if keep else None for p, keep in zip(texts.phones.tolist(), has_phone, strict=True)
            ],
            "description": texts.texts,
            "category": texts.categories,
            "community_code": [c or None for c in community.tolist()],
            "assigned_department": texts.departments,
            "received_at": timestamps(received),
            "dispatched_at": timestamps(dispatched),
            "closed_at": timestamps(closed),
            "satisfaction": [s if a else None for s, a in zip(satisfaction, answered, strict=True)],
            "updated_at": timestamps(updated),
        },
        people=texts.people.tolist(),
        spans=texts.spans,
    )


def grid_workers(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date
) -> npt.NDArray[np.str_]:
    """The name of each grid's grid worker (网格员), a working-age resident."""
    workers = pick_people(rng, population, len(geo.grid_codes), as_of, 22, 58, replace=True)
    return population.name[workers]


def grid_events(
    rng: np.random.Generator,
    population: Population,
    geo: CityGeo,
    as_of: date,
    block: Block,
    pool: Indexes,
    workers: npt.NDArray[np.str_],
) -> Frame:
    """Events reported by grid workers (网格事件), in the grid of the community of the person concerned.

    Args:
        rng: random stream.
        population: the population.
        geo: the city's places.
        as_of: the generation date.
        block: which events to make.
        pool: people who may be mentioned.
        workers: the grid worker of each grid.
    """
    n, first_number = block.rows, block.first_number
    texts = compose(rng, GRID_TEMPLATES, pool, population, geo, as_of, n)
    community = population.community[texts.people]
    first_grid = np.searchsorted(geo.grid_community, community, side="left")
    grid_count = np.searchsorted(geo.grid_community, community, side="right") - first_grid
    grid = first_grid + (rng.random(n) * grid_count).astype(np.int64)
    reported = _in_order(rng, as_of, block, 120)
    status = _weighted(rng, GRID_STATUSES, n)
    updated = (
        reported
        + np.where(status == 2, rng.integers(60, 1_800, n), rng.integers(3_600, 10 * 86_400, n)) * SECOND
    )
    updated = np.minimum(updated, _midnight(as_of) - SECOND)
    location = population.street_address(geo, texts.people)
    city_prefix = geo.hierarchy.full_name(geo.city_code)
    prefixes = [geo.prefixes[c].removeprefix(city_prefix) for c in community.tolist()]
    keep = rng.random(n) < 0.95
    stamp = np.datetime_as_string(reported.astype("datetime64[D]"), unit="D")
    return Frame(
        dataset="grid_events",
        key="event_id",
        columns={
            "event_id": [
                f"WG{s.replace('-', '')}{first_number + i:07d}" for i, s in enumerate(stamp.tolist())
            ],
            "grid_code": geo.grid_codes[grid].tolist(),
            "reporter": workers[grid].tolist(),
            "event_type": texts.categories,
            "location": [p + loc if k else None for p, loc, k in zip(prefixes, location, keep, strict=True)],
            "description": texts.texts,
            "status": _labels(GRID_STATUSES, status),
            "reported_at": timestamps(reported),
            "updated_at": timestamps(updated),
        },
        people=texts.people.tolist(),
        spans=texts.spans,
    )


def business_registrations(
    rng: np.random.Generator, population: Population, geo: CityGeo, as_of: date, n: int
) -> Frame:
    """Registered businesses (市场监管): companies, sole traders and cooperatives."""
    owners = pick_people(rng, population, n, as_of, 20, 75, replace=True)
    kind = rng.choice(3, n, p=[0.8, 0.18, 0.02])
    established = np.datetime64(as_of, "D") - rng.integers(30, 25 * 365, n) * DAY
    updated = np.maximum(_recent(rng, as_of, n, 365), established.astype("datetime64[s]") + 86_400 * SECOND)
    status = _weighted(rng, BUSINESS_STATUSES, n)
    community = population.community[owners]
    district = geo.district_of(community)
    capital = np.round(np.exp(rng.normal(4.0, 1.5, n)), 2)
    capital[kind == 1] = np.round(rng.uniform(1, 30, int((kind == 1).sum())), 2)
    new_style = established >= np.datetime64("2015-10-01")
    codes: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    for i in range(n):
        code = uscc(rng, str(district[i]), str(kind[i] + 1), bool(new_style[i]))
        while code in seen:
            code = uscc(rng, str(district[i]), str(kind[i] + 1), bool(new_style[i]))
        seen.add(code)
        codes.append(code)
        names.append(
            _business_name(rng, geo, int(kind[i]), int(community[i]), str(population.name[owners[i]]))
        )
    addresses = [
        f"{geo.prefixes[c]}{geo.roads[geo.community_roads[c, r]]}{no}号"
        for c, r, no in zip(
            community.tolist(), rng.integers(0, 3, n).tolist(), rng.integers(1, 400, n).tolist(), strict=True
        )
    ]
    return Frame(
        dataset="business_registrations",
        key="uscc",
        columns={
            "uscc": codes,
            "company_name": names,
            "legal_representative": population.name[owners].tolist(),
            "address": addresses,
            "registered_capital": [f"{c:.2f}" for c in capital.tolist()],
            "established_date": dates(established),
            "district_code": [str(d) for d in district.tolist()],
            "status": _labels(BUSINESS_STATUSES, status),
            "updated_at": timestamps(updated),
        },
        people=owners.tolist(),
    )


def _business_name(rng: np.random.Generator, geo: CityGeo, kind: int, community: int, owner: str) -> str:
    """A company name (贵阳黔鑫商贸有限公司), a shop name (南明区张记粉馆) or a cooperative name."""
    city = geo.city_name.removesuffix("市")
    stem = BUSINESS_STEMS[int(rng.integers(0, len(BUSINESS_STEMS)))]
    stem2 = BUSINESS_STEMS[int(rng.integers(0, len(BUSINESS_STEMS)))]
    if kind == 1:
        district = geo.districts[geo.community_district[community]].name
        return f"{district}{owner[0]}记{SHOP_KINDS[int(rng.integers(0, len(SHOP_KINDS)))]}"
    if kind == 2:
        return f"{city}市{stem}{stem2}种养殖专业合作社"
    industry = BUSINESS_INDUSTRIES[int(rng.integers(0, len(BUSINESS_INDUSTRIES)))]
    return f"{city}{stem}{stem2}{industry}有限公司"
