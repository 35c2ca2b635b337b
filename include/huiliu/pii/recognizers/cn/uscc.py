"""``CN_USCC``: unified social credit codes of organisations (GB 32100-2015), checksum-validated.

Organisation codes are not personal information, but a classification must still tell them from
ID numbers. A code must start with a known registration code and a real province's region code;
an 18-character run that is a resident ID number as issued (:mod:`huiliu.identity.resident_id`,
check character aside) is not a credit code.
"""

from __future__ import annotations

from typing import ClassVar

from stdnum.cn import uscc

from huiliu.divisions import reference
from huiliu.identity.resident_id import plausible_resident_id
from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns

REGISTRATION_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "19",
        "21",
        "29",
        "31",
        "32",
        "33",
        "34",
        "35",
        "39",
        "41",
        "49",
        "51",
        "52",
        "53",
        "59",
    }
    | {
        "61",
        "62",
        "69",
        "71",
        "72",
        "79",
        "81",
        "89",
        "91",
        "92",
        "93",
        "A1",
        "A9",
        "N1",
        "N2",
        "N3",
        "N9",
        "Y1",
    }
)
"""Registration authority and organisation category (the first two characters, GB 32100-2015)."""


def plausible_uscc(code: str) -> bool:
    """Known registration codes and a region code of a real province (or 10, national)."""
    return code[:2] in REGISTRATION_CODES and (code[2:4] in reference.provinces() or code[2:4] == "10")


class CnUsccRecognizer(CnPatternRecognizer):
    """Unified social credit codes with their check character."""

    KIND: ClassVar[str] = "cn_uscc"
    PATTERNS = builtin_patterns("cn_uscc")
    CONTEXT = builtin_context("cn_uscc")
    HAS_CHECKSUM: ClassVar[bool] = True

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Not a credit code: unknown registration or region code, or a resident ID number."""
        return not plausible_uscc(pattern_text) or plausible_resident_id(pattern_text)

    def validate_result(self, pattern_text: str) -> bool | None:
        """The GB 32100-2015 check character."""
        return uscc.is_valid(pattern_text)
