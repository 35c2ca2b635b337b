"""``CN_RESIDENT_ID``: 18-character resident identity numbers (GB 11643-1999).

6-digit region code, 8-digit birth date, 3-digit sequence and an ISO 7064 MOD 11-2 check
character, verified with python-stdnum. A number whose region code and birth date are real but
whose check character is wrong (a typo) is still personal information: it is reported with the
registry's lower ``invalid_score`` and ``checksum_valid: false``.
"""

from __future__ import annotations

import datetime
import time
from functools import lru_cache
from typing import ClassVar

from stdnum import numdb
from stdnum.cn import ric

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns


def compact(number: str) -> str:
    """The number without spaces or dashes, upper-case (a lower-case x is common)."""
    return number.replace(" ", "").replace("-", "").upper()


@lru_cache(maxsize=8192)
def region_years(region: str) -> tuple[tuple[int, int], ...]:
    """The years a 6-digit region code was in use, from python-stdnum's table (empty: never)."""
    info = {k: v for _, props in numdb.get("cn/loc").info(region) for k, v in props.items()}
    if "county" not in info:
        return ()
    spans = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            return ((0, 9999),)
        start, _, end = county[1:].split("]")[0].partition("-")
        spans.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(spans)


@lru_cache(maxsize=65536)
def region_in_use(region: str, year: int) -> bool:
    """Whether a 6-digit region code was in use in a year (the rule of ``stdnum.cn.ric``)."""
    return any(start <= year <= end for start, end in region_years(region))


def plausible_resident_id(number: str) -> bool:
    """Whether 18 characters have a real birth date (not in the future) and a region code in use then.

    The check character is not looked at: this tells an ID number with a typo from other digits.
    """
    number = compact(number)
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born <= _today() and region_in_use(number[:6], born.year)


def _today() -> datetime.date:
    return _date_of_hour(int(time.time() // 3600))


@lru_cache(maxsize=1)
def _date_of_hour(hour: int) -> datetime.date:  # noqa: ARG001 (the hour is the cache key)
    return datetime.date.today()


class CnResidentIdRecognizer(CnPatternRecognizer):
    """Resident ID numbers, checksum-validated; a wrong check character lowers the score."""

    KIND: ClassVar[str] = "cn_resident_id"
    PATTERNS = builtin_patterns("cn_resident_id")
    CONTEXT = builtin_context("cn_resident_id")
    HAS_CHECKSUM: ClassVar[bool] = True

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Not an ID number: the region code or birth date does not exist."""
        return not plausible_resident_id(pattern_text)

    def validate_result(self, pattern_text: str) -> bool | None:
        """The ISO 7064 MOD 11-2 check character."""
        number = compact(pattern_text)
        return ric.calc_check_digit(number) == number[-1]
