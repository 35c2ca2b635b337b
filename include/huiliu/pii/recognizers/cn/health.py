"""``HEALTH``: disability and illness (残疾, 疾病), sensitive personal information under PIPL art. 28.

Disability types with 残疾 (视力残疾, 肢体残疾二级) and common chronic and serious illnesses are
found anywhere; a bare disability type (肢体) only as a whole value, as in a disability column.
"""

from __future__ import annotations

from typing import ClassVar

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns


class CnHealthRecognizer(CnPatternRecognizer):
    """Disabilities and illnesses."""

    KIND: ClassVar[str] = "cn_health"
    PATTERNS = builtin_patterns("health")
    CONTEXT = builtin_context("health")
