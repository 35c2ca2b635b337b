"""``CN_LANDLINE``: fixed-line numbers, with an area code (0851-86123456, +86 851 8612 3456) or,
after a context word, without.

Numbers with an area code are checked with phonenumbers; a number without one (seven or eight
digits), or one written in spaced groups (0851 8688 1234, the shape of many pick-up and ticket
codes), scores low and is only reported when a context word such as 电话 or 座机 precedes it. After
the country code (+86, 0086) the area code usually loses its 0, and spaced groups are a phone number
whatever precedes them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

import phonenumbers

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns

_KEEP_DIGITS = str.maketrans("", "", " -(),")
_SPACED_LOCAL = re.compile(r"\d \d{4}$")
_COUNTRY_CODES = ("+86", "0086")


@lru_cache(maxsize=4096)
def valid_landline(digits: str) -> bool:
    """Whether a number with its area code (leading 0) is a valid Chinese fixed-line number."""
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


class CnLandlineRecognizer(CnPatternRecognizer):
    """Fixed-line numbers; area-coded ones are validated, local ones need context."""

    KIND: ClassVar[str] = "cn_landline"
    PATTERNS = builtin_patterns("cn_landline")
    CONTEXT = builtin_context("cn_landline")

    def validate_result(self, pattern_text: str) -> bool | None:
        """The number plan for numbers with an area code; None for local numbers, and for a valid
        number written in spaced groups, which keeps its low score and needs a context word."""
        digits = pattern_text.translate(_KEEP_DIGITS)
        for country in _COUNTRY_CODES:
            if digits.startswith(country):
                return valid_landline("0" + digits.removeprefix(country).removeprefix("0"))
        if not digits.startswith("0"):
            return None
        valid = valid_landline(digits)
        return None if valid and _SPACED_LOCAL.search(pattern_text) else valid
