"""``CN_LANDLINE``: fixed-line numbers, with an area code (0851-86123456) or, after a context word, without.

Numbers with an area code are checked with phonenumbers; a number without one (seven or eight
digits) scores low and is only reported when a context word such as 电话 or 座机 precedes it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import phonenumbers

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns

_KEEP_DIGITS = str.maketrans("", "", " -()")


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
        """The number plan for numbers with an area code; None for local numbers."""
        digits = pattern_text.translate(_KEEP_DIGITS)
        if not digits.startswith("0"):
            return None
        return valid_landline(digits)
