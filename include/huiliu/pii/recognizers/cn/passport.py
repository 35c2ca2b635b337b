"""``CN_PASSPORT``: Chinese passport numbers (E12345678, EA1234567, G12345678, D/S/P official ones).

The shapes are short and could be other codes, so the packaged scores stay below the threshold
unless a context word such as 护照 precedes the number.
"""

from __future__ import annotations

from typing import ClassVar

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns


class CnPassportRecognizer(CnPatternRecognizer):
    """Passport numbers, reported after a context word."""

    KIND: ClassVar[str] = "cn_passport"
    PATTERNS = builtin_patterns("cn_passport")
    CONTEXT = builtin_context("cn_passport")
