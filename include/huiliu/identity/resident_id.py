"""Resident identity numbers (公民身份号码, GB 11643-1999) as they are issued.

An ID number is a 6-digit region code, an 8-digit birth date, a 3-digit sequence (odd for men) and
an ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``). The region code is where the number was
issued, not where or when its holder was born, so a code created after the birth is common: 浦东新区
310115 (in use from 1992) is held by people born in the 1950s, 观山湖区 520115 (from 2012) by people
born long before. The rule here therefore accepts a region code that python-stdnum's table of division
codes records as in use at some time from the birth year up to today; a code abolished before the
birth year (崇文区 110103, until 2010, for someone born in 2012) or one that never existed is refused.
``stdnum.cn.ric.validate`` asks for the code to exist in the birth year itself and would miss them.

The birth date must be a real calendar day, not after today, not before 1900 and not more than 120
years ago.

First-generation numbers (GB 11643-1989: 15 digits, a 6-digit region code, the birth date as
YYMMDD in the 1900s and a 3-digit sequence, no check character) were issued from 1984 until the
second-generation cards replaced them in 2004, and they still fill old registers.
``plausible_legacy_id`` judges them by the same table: the region code must have been in use at
some time from the birth year (or 1984, when later) up to 2004. ``upgraded`` gives the 18-digit
number the same person holds.

Two other documents carry numbers of the same standard, and stand in the same ID fields of a
register: the residence permits of Hong Kong, Macau and Taiwan residents (港澳台居民居住证, issued from
2018; 810000 and 820000, which the table holds as the two regions, and 830000 for Taiwan, which it
does not), and the foreign permanent resident ID card (外国人永久居留身份证, from 2023: ``9``, the
issuing province's two digits, the holder's nationality as an ISO 3166-1 numeric code, then the birth
date, sequence and check character). Their leading six digits are accepted for any birth year once
such numbers were issued (:func:`permit_first_issued`).

One region code × year table serves both the scalar checks (``plausible_resident_id``,
``valid_resident_id``) and the vectorised one (``regions_issued``), so they cannot disagree.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
from iso3166 import countries_by_numeric
from stdnum import numdb
from stdnum.cn import ric

if TYPE_CHECKING:
    from stdnum.numdb import PrefixInfo  # declared for type checkers only

ID_LENGTH = 18
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
"""ISO 7064 MOD 11-2 weights of the first 17 digits."""
ID_CHECK_CHARS = "10X98765432"
"""The check character for each remainder of the weighted digit sum modulo 11."""
FIRST_YEAR = 1900
"""The earliest birth year accepted, and the first column of the region table."""
LAST_YEAR = 2100
"""The last column of the region table (a code still in use is in use up to it)."""
MAX_AGE_YEARS = 120
"""Birth dates more than this many years before today are refused."""
LEGACY_LENGTH = 15
"""Digits of a first-generation number (GB 11643-1989)."""
LEGACY_ISSUED = (1984, 2004)
"""The first and last years first-generation numbers were issued in."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
TAIWAN_RESIDENCE_PERMIT = 830_000
"""The leading digits of a Taiwan resident's residence permit number (港澳台居民居住证)."""
RESIDENCE_PERMITS_FROM = 2018
"""The first year residence permits of Hong Kong, Macau and Taiwan residents were issued."""
FOREIGN_PERMANENT_RESIDENCE = 9
"""The first digit of a foreign permanent resident ID number (外国人永久居留身份证, 2023 edition)."""
FOREIGN_PERMANENT_RESIDENCE_FROM = 2023
"""The first year such numbers were issued."""
CHINESE_NUMERIC = frozenset({"156", "158", "344", "446"})
"""ISO 3166-1 numeric codes of China, Taiwan, Hong Kong and Macau: never a foreign permanent
resident's nationality (their residents hold residence permits)."""


def compact(number: str) -> str:
    """The number without spaces or dashes and upper-case (a lower-case x is common)."""
    return number.replace(" ", "").replace("-", "").upper()


def year_ranges(county: str) -> list[tuple[int, int]]:
    """The ``(first, last)`` years of a county field of stdnum's table, e.g. ``[1983-]南明区,[-1982]…``.

    An open end is ``FIRST_YEAR`` or ``LAST_YEAR``; a field with an undated name is in use always.
    """
    ranges: list[tuple[int, int]] = []
    for part in county.split(","):
        if not part.startswith("["):
            return [(FIRST_YEAR, LAST_YEAR)]
        start, _, end = part[1:].split("]")[0].partition("-")
        ranges.append((int(start) if start else FIRST_YEAR, int(end) if end else LAST_YEAR))
    return ranges


def _county_fields(prefixes: list[PrefixInfo], head: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """Every code of a numdb prefix tree (ranges spelled out) with its own properties, in table order."""
    for length, low, high, props, children in prefixes:
        for value in range(int(low), int(high) + 1):
            code = head + f"{value:0{length}d}"
            yield code, props
            yield from _county_fields(children, code)


@lru_cache(maxsize=1)
def region_table() -> tuple[np.ndarray, np.ndarray]:
    """Every 6-digit region code in python-stdnum's table and the years it was in use.

    Returns:
        ``(codes, in_use)``: a sorted int64 array of region codes and a read-only bool matrix,
        ``in_use[i, year - FIRST_YEAR]`` for the years ``FIRST_YEAR`` to ``LAST_YEAR``.
    """
    fields: dict[str, dict[str, str]] = {}
    for code, props in _county_fields(numdb.get("cn/loc").prefixes):
        if len(code) == 6:
            fields.setdefault(code, {}).update(props)
    codes = sorted(int(code) for code, props in fields.items() if "county" in props)
    in_use = np.zeros((len(codes), LAST_YEAR - FIRST_YEAR + 1), dtype=bool)
    for row, number in enumerate(codes):
        for start, end in year_ranges(fields[f"{number:06d}"]["county"]):
            in_use[row, max(start, FIRST_YEAR) - FIRST_YEAR : min(end, LAST_YEAR) - FIRST_YEAR + 1] = True
    in_use.flags.writeable = False
    return np.array(codes, dtype=np.int64), in_use


@lru_cache(maxsize=1)
def _region_rows() -> np.ndarray:
    """For every number below 1,000,000, its row in ``region_table()``, or -1."""
    codes, _ = region_table()
    rows = np.full(1_000_000, -1, dtype=np.int32)
    rows[codes] = np.arange(len(codes), dtype=np.int32)
    return rows


@lru_cache(maxsize=8)
def issuable_table(through_year: int) -> np.ndarray:
    """For each region code and birth year, whether a number issued by ``through_year`` can carry it.

    Returns:
        A read-only bool matrix, ``issuable[i, year - FIRST_YEAR]``: region ``i`` of ``region_table()``
        was in use in that year or a later one up to ``through_year`` (False after ``through_year``).
    """
    _, in_use = region_table()
    last = min(max(through_year, FIRST_YEAR - 1), LAST_YEAR) - FIRST_YEAR + 1
    issuable = np.zeros_like(in_use)
    issuable[:, :last] = np.flip(np.logical_or.accumulate(np.flip(in_use[:, :last], axis=1), axis=1), axis=1)
    issuable.flags.writeable = False
    return issuable


@lru_cache(maxsize=1)
def permit_first_issued() -> np.ndarray:
    """For every number below 1,000,000 that leads a residence permit's number, the first year such
    permits were issued (0: none).

    830000 leads a Taiwan resident's residence permit; ``9PPCCC`` a foreign permanent resident ID,
    ``PP`` a mainland province of the region table and ``CCC`` a nationality other than China's
    (:data:`CHINESE_NUMERIC`).
    """
    first = np.zeros(1_000_000, dtype=np.int16)
    first[TAIWAN_RESIDENCE_PERMIT] = RESIDENCE_PERMITS_FROM
    codes, _ = region_table()
    provinces = np.unique(codes // 10_000)
    provinces = provinces[provinces < 70]  # 71 Taiwan, 81 Hong Kong, 82 Macau issue none
    countries = np.array([int(n) for n in countries_by_numeric if n not in CHINESE_NUMERIC], dtype=np.int64)
    leads = FOREIGN_PERMANENT_RESIDENCE * 100_000 + provinces[:, None] * 1_000 + countries[None, :]
    first[leads.ravel()] = FOREIGN_PERMANENT_RESIDENCE_FROM
    first.flags.writeable = False
    return first


def load_region_tables(through_year: int | None = None) -> None:
    """Build the region table and its lookups now (they are kept for the life of the process).

    Args:
        through_year: the last year of issue of the lookups wanted; this year when omitted.
    """
    _region_rows()
    permit_first_issued()
    issuable_table(today().year if through_year is None else through_year)


def regions_issued(regions: np.ndarray, years: np.ndarray, through_year: int) -> np.ndarray:
    """Which region codes were in use at some time from their birth year up to ``through_year``
    (or lead a residence permit's number issued by then: :func:`permit_first_issued`).

    Args:
        regions: 6-digit region codes as integers (any other value is refused).
        years: birth years, parallel to ``regions``.
        through_year: the last year a number can have been issued in (the current year).

    Returns:
        A bool array.
    """
    regions = np.asarray(regions, dtype=np.int64)
    years = np.asarray(years, dtype=np.int64)
    issuable = issuable_table(through_year)
    known = (regions >= 0) & (regions <= 999_999)
    row = np.where(known, _region_rows()[np.clip(regions, 0, 999_999)], -1)
    column = np.clip(years, FIRST_YEAR, LAST_YEAR) - FIRST_YEAR
    dated = (years >= FIRST_YEAR) & (years <= LAST_YEAR)
    issued: np.ndarray = (row >= 0) & dated & issuable[np.maximum(row, 0), column]
    permit = np.where(known, permit_first_issued()[np.clip(regions, 0, 999_999)], 0)
    issued |= dated & (permit > 0) & (permit <= through_year)
    return issued


def region_issued(region: str | int, year: int, through_year: int | None = None) -> bool:
    """Whether a region code was in use at some time from ``year`` up to ``through_year`` (this year),
    or leads a residence permit's number issued by then (:func:`permit_first_issued`)."""
    code = _code_of(region)
    if code < 0 or not FIRST_YEAR <= year <= LAST_YEAR:
        return False
    through = today().year if through_year is None else through_year
    if 0 < int(permit_first_issued()[code]) <= through:
        return True
    row = int(_region_rows()[code])
    return row >= 0 and bool(issuable_table(through)[row, year - FIRST_YEAR])


def _code_of(region: str | int) -> int:
    """A region code as a number, or -1 when it is not one of up to six digits."""
    text = str(region)
    return int(text) if text.isdigit() and len(text) <= 6 else -1


def region_in_use(region: str | int, year: int) -> bool:
    """Whether a region code was in use in that very year (the birth-year rule of ``stdnum.cn.ric``)."""
    row = _region_row(region)
    return row >= 0 and FIRST_YEAR <= year <= LAST_YEAR and bool(region_table()[1][row, year - FIRST_YEAR])


def _region_row(region: str | int) -> int:
    """The row of a region code in ``region_table()``, or -1."""
    code = _code_of(region)
    return int(_region_rows()[code]) if code >= 0 else -1


def today() -> date:
    """Today's date in China (Asia/Shanghai)."""
    return _date_of_hour(int(time.time() // 3600))


@lru_cache(maxsize=1)
def _date_of_hour(hour: int) -> date:
    return datetime.fromtimestamp(hour * 3600, SHANGHAI).date()


def earliest_birth_date(day: date) -> date:
    """The earliest birth date an ID number can carry on ``day``: 120 years before, and not before 1900."""
    try:
        before = day.replace(year=day.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        before = day.replace(year=day.year - MAX_AGE_YEARS, day=28)
    return max(before, date(FIRST_YEAR, 1, 1))


def birth_date(number: str) -> date | None:
    """The birth date of an ID number (spaces, dashes and case ignored), or None when not a real day."""
    number = compact(number)
    if len(number) != ID_LENGTH or not number[6:14].isdigit():
        return None
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def plausible_resident_id(number: str, as_of: date | None = None) -> bool:
    """Whether a number is a resident ID as issued, the check character aside.

    The region code, birth date and format must be right; a wrong check character (a typo in a
    real number) is allowed. Spaces, dashes and a lower-case x are accepted.

    Args:
        number: the number.
        as_of: the day it is judged on; today (Asia/Shanghai) when omitted.
    """
    number = compact(number)
    if len(number) != ID_LENGTH or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    born = birth_date(number)
    day = today() if as_of is None else as_of
    if born is None or not earliest_birth_date(day) <= born <= day:
        return False
    return region_issued(int(number[:6]), born.year, day.year)


def plausible_legacy_id(number: str, as_of: date | None = None) -> bool:
    """Whether a number is a first-generation (15-digit) resident ID as issued.

    Its birth date (YYMMDD, in the 1900s) must be a real day within ``MAX_AGE_YEARS`` of ``as_of``
    and before the last year of issue, and its region code in use at some time from the birth
    year (or the first year of issue, when later) up to the last year of issue. Spaces and dashes
    are accepted. There is no check character to test.

    Args:
        number: the number.
        as_of: the day it is judged on; today (Asia/Shanghai) when omitted.
    """
    number = compact(number)
    if len(number) != LEGACY_LENGTH or not number.isdigit():
        return False
    try:
        born = date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    first, last = LEGACY_ISSUED
    day = today() if as_of is None else as_of
    if not earliest_birth_date(day) <= born <= min(day, date(last, 12, 31)):
        return False
    return region_issued(int(number[:6]), max(born.year, first), last)


def upgraded(number: str) -> str:
    """The 18-digit number of a first-generation one: ``19`` before the year, and the check character."""
    number = compact(number)
    if len(number) != LEGACY_LENGTH or not number.isdigit():
        raise ValueError(f"not a 15-digit resident ID: {number!r}")
    body = f"{number[:6]}19{number[6:]}"
    return body + check_char(body)


def check_char(number: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an ID number's first 17 digits."""
    return ric.calc_check_digit(compact(number)[:17] + "0")


def valid_resident_id(number: str, as_of: date | None = None) -> bool:
    """Whether a number is a resident ID as issued, its check character included.

    Args:
        number: the number (spaces, dashes and a lower-case x are accepted).
        as_of: the day it is judged on; today (Asia/Shanghai) when omitted.
    """
    return plausible_resident_id(number, as_of) and check_char(number) == compact(number)[-1]
