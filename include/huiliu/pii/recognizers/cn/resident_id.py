"""``CN_RESIDENT_ID``: 18-character resident identity numbers (GB 11643-1999).

6-digit region code, 8-digit birth date, 3-digit sequence and an ISO 7064 MOD 11-2 check
character, judged by the one rule of :mod:`huiliu.identity.resident_id`: the region code is where
the number was issued, so a code created after the holder's birth (浦东新区 310115 on the number of
someone born in 1955) is a real ID number. Written forms seen in the wild are found too: a
lower-case x, 6-8-4 groups separated by spaces or dashes, full-width digits (normalised before the
patterns run). A number whose region code and birth date are real but whose check character is
wrong (a typo) is still personal information: it is reported with the registry's lower
``invalid_score`` and ``checksum_valid: false``.

First-generation 15-digit numbers (GB 11643-1989, issued until 2004 and still in old registers)
are found by their own pattern, judged by ``plausible_legacy_id``: a real 1900s birth date and a
region code in use while they were issued. They have no check character, and a county's grid
codes (15 digits too) often take their shape, so alone they score below the engine's threshold:
they are reported after a context word (身份证, 证件号 …), and a column of them classifies only
under a name that hints at ID numbers.
"""

from __future__ import annotations

from typing import ClassVar

from huiliu.identity.resident_id import (
    LEGACY_LENGTH,
    check_char,
    compact,
    plausible_legacy_id,
    plausible_resident_id,
    region_in_use,
    region_issued,
    valid_resident_id,
)
from huiliu.pii.recognizers import (
    CnPatternRecognizer,
    after_other_number_label,
    builtin_context,
    builtin_patterns,
)

__all__ = [
    "CnResidentIdRecognizer",
    "compact",
    "plausible_resident_id",
    "region_in_use",
    "region_issued",
    "valid_resident_id",
]


_ID_WORDS = ("身份", "证件")


class CnResidentIdRecognizer(CnPatternRecognizer):
    """Resident ID numbers, checksum-validated; a wrong check character lowers the score."""

    KIND: ClassVar[str] = "cn_resident_id"
    PATTERNS = builtin_patterns("cn_resident_id")
    CONTEXT = builtin_context("cn_resident_id")
    HAS_CHECKSUM: ClassVar[bool] = True

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Not an ID number: no real birth date, or a region code not in use at any time since the
        birth (for a 15-digit number: while such numbers were issued)."""
        if len(compact(pattern_text)) == LEGACY_LENGTH:
            return not plausible_legacy_id(pattern_text)
        return not plausible_resident_id(pattern_text)

    def reject_span(self, text: str, start: int, end: int) -> bool:
        """Not an ID number: 18 characters whose check character is wrong, right after a label of
        another kind of number (工单编号, 受理号, 流水号, 订单号): a work order's area code, date and
        serial number take an ID's shape."""
        number = compact(text[start:end])
        return (
            len(number) == 18
            and check_char(number) != number[-1]
            and after_other_number_label(text, start, unless=_ID_WORDS)
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """The ISO 7064 MOD 11-2 check character (a 15-digit number has none: no check)."""
        if len(compact(pattern_text)) == LEGACY_LENGTH:
            return None
        return check_char(pattern_text) == compact(pattern_text)[-1]
