"""``CN_MOBILE``: mainland mobile numbers, optionally with +86, with spaces, dashes or dots inside.

``1[3-9]`` and nine more digits; the number plan (which prefixes are assigned) is checked with
phonenumbers. An unassigned prefix keeps a lower score, since people still wrote a number there.
A number right after a label of another kind of number (发票号码, 订单号) is not a mobile.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import phonenumbers
from phonenumbers import PhoneNumberType

from huiliu.pii.recognizers import (
    CnPatternRecognizer,
    after_other_number_label,
    builtin_context,
    builtin_patterns,
)

_PHONE_WORDS = ("手机", "电话", "联系", "微信")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def national_digits(text: str) -> str:
    """The 11 digits of a mobile number written with +86, spaces, dashes, dots or commas."""
    return "".join(c for c in text if c.isdigit())[-11:]


@lru_cache(maxsize=4096)
def assigned_prefix(prefix: str) -> bool:
    """Whether numbers starting with a 4-digit prefix are valid mobile numbers (phonenumbers)."""
    number = phonenumbers.parse(f"+86{prefix}0000000", None)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES


class CnMobileRecognizer(CnPatternRecognizer):
    """Mobile numbers; a prefix outside the number plan lowers the score."""

    KIND: ClassVar[str] = "cn_mobile"
    PATTERNS = builtin_patterns("cn_mobile")
    CONTEXT = builtin_context("cn_mobile")

    def reject_span(self, text: str, start: int, end: int) -> bool:  # noqa: ARG002 (the hook's signature)
        """Not a mobile number: a number right after a label of another kind of number (发票号码,
        订单号, 商品ID), unless the label names a phone (联系电话编号)."""
        return after_other_number_label(text, start, unless=_PHONE_WORDS)

    def validate_result(self, pattern_text: str) -> bool | None:
        """Whether the prefix is assigned to mobile numbers."""
        return assigned_prefix(national_digits(pattern_text)[:4])
