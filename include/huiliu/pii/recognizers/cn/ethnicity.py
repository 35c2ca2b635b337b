"""``ETHNICITY``: the 56 ethnic groups (民族), sensitive personal information under PIPL art. 28.

Full names (苗族) are found anywhere; bare names (苗) only as a whole value, as in a 民族 column.
"""

from __future__ import annotations

from typing import ClassVar

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns

_NOT_AFTER = frozenset("馆箱缸")  # 水族馆 (aquarium) is not an ethnic group


class CnEthnicityRecognizer(CnPatternRecognizer):
    """Ethnic group names."""

    KIND: ClassVar[str] = "cn_ethnicity"
    PATTERNS = builtin_patterns("ethnicity")
    CONTEXT = builtin_context("ethnicity")

    def reject_span(self, text: str, start: int, end: int) -> bool:  # noqa: ARG002 (only the end matters)
        """A group name that is part of another word (水族馆)."""
        return text[end : end + 1] in _NOT_AFTER and end < len(text)
