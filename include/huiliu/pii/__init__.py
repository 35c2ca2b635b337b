"""Personal information in city data: detection, anonymisation, column classification and drift.

Offline Presidio engines for Chinese (a statistical tagger, Baidu LAC on ONNX Runtime, as the NLP
engine voting with huiliu's recognizers from the YAML registry), a fast row-by-row free-text
scanner with the same findings as ``AnalyzerEngine.analyze``, column classification with masked
evidence, drift between two classifications, accuracy on the synthetic city's planted personal
information, an adversarial set, and precision and recall on annotated real corpora.

The names below are imported lazily, so ``import huiliu.pii`` stays cheap (no Presidio or spaCy
until one is used).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "PiiConfig": "huiliu.pii.config",
    "load_config": "huiliu.pii.config",
    "NormalizedText": "huiliu.pii.normalize",
    "normalize": "huiliu.pii.normalize",
    "PiiEngine": "huiliu.pii.engine",
    "build_engine": "huiliu.pii.engine",
    "get_engine": "huiliu.pii.engine",
    "mask_text": "huiliu.pii.engine",
    "Finding": "huiliu.pii.scanner",
    "scan_texts": "huiliu.pii.scanner",
    "anonymize_texts": "huiliu.pii.scanner",
    "plain_analyze": "huiliu.pii.scanner",
    "ColumnClassification": "huiliu.pii.classify",
    "EntityMatch": "huiliu.pii.classify",
    "TableClassification": "huiliu.pii.classify",
    "classify_batches": "huiliu.pii.classify",
    "classify_table": "huiliu.pii.classify",
    "name_hints": "huiliu.pii.classify",
    "DriftChange": "huiliu.pii.drift",
    "DriftReport": "huiliu.pii.drift",
    "compare_classifications": "huiliu.pii.drift",
    "EntityScore": "huiliu.pii.accuracy",
    "score_city": "huiliu.pii.accuracy",
    "format_table": "huiliu.pii.accuracy",
    "LexicalTagger": "huiliu.pii.tagger",
    "get_tagger": "huiliu.pii.tagger",
    "resolve_overlaps": "huiliu.pii.overlaps",
    "Evaluation": "huiliu.pii.evaluation",
    "evaluate_corpus": "huiliu.pii.evaluation",
    "adversarial_corpus": "huiliu.pii.adversarial",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'huiliu.pii' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
