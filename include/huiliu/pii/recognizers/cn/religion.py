"""``RELIGION``: religious belief (宗教信仰), sensitive personal information under PIPL art. 28."""

from __future__ import annotations

from typing import ClassVar

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns


class CnReligionRecognizer(CnPatternRecognizer):
    """Religions and believers (佛教, 基督徒, 穆斯林 …); bare names (佛) only as a whole value."""

    KIND: ClassVar[str] = "cn_religion"
    PATTERNS = builtin_patterns("religion")
    CONTEXT = builtin_context("religion")
