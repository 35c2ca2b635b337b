"""``EMAIL_ADDRESS``: e-mail addresses (a local part, @, a domain with a top-level label)."""

from __future__ import annotations

from typing import ClassVar

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns


class EmailRecognizer(CnPatternRecognizer):
    """E-mail addresses; the pattern is strict enough to need no validation."""

    KIND: ClassVar[str] = "email"
    PATTERNS = builtin_patterns("email")
    CONTEXT = builtin_context("email")

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Consecutive or edge dots are not a valid address."""
        local, _, domain = pattern_text.partition("@")
        return ".." in pattern_text or local.startswith(".") or local.endswith(".") or domain.startswith("-")
