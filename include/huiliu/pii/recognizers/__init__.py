"""Base classes of huiliu's Presidio recognizers.

Every recognizer does its work in :meth:`ChineseRecognizer.find`, on normalised text, and returns
lightweight :class:`Hit` records. Its Presidio ``analyze`` normalises the text (or takes the
normalised text the NLP engine already made), calls ``find`` and turns each hit into a
``RecognizerResult`` in the original text's offsets, with an explanation and metadata saying which
pattern and context word fired and whether the checksum validated. The fast scanner calls ``find``
directly, so both paths share one implementation.

Recognizers that also listen to the statistical tagger (``USES_MODEL``: names and addresses) take
its words as a second argument of ``find``: Presidio's ``analyze`` hands them over from the NLP
engine's artifacts, the scanner from one batched tagging pass; called alone, the recognizer tags
the text itself. How their rule and model evidence vote is in :mod:`huiliu.pii.recognizers.voting`.

Context words are handled inside the recognizer (a substring search in the characters before a
match, which suits Chinese better than token lemmas) and the result is marked as already
context-enhanced, so Presidio's lemma enhancer leaves the score alone.

The concrete recognizers, one per file, are in :mod:`huiliu.pii.recognizers.cn`. Their
``PATTERNS`` and ``CONTEXT`` class attributes are read from the packaged registry YAML, the one
place patterns and context words are written; a user registry replaces them per instance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

from huiliu.pii.config import PatternRecognizerSpec, PatternSpec, RecognizerSpec, builtin_spec
from huiliu.pii.name_model import MODEL_NAME as NAME_MODEL_NAME
from huiliu.pii.normalize import NormalizedText, normalize
from huiliu.pii.tagger import MODEL_NAME, LexicalTagger, Tags

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

LANGUAGE = "zh"
PATTERN_KEY = "pattern"
CONTEXT_KEY = "context_word"
CHECKSUM_KEY = "checksum_valid"
VALIDATED_KEY = "validated"
MODEL_KEY = "model"
VOTERS_KEY = "found_by"
HANZI = "\u3400-\u9fff"


class Hit(NamedTuple):
    """One match of a recognizer in normalised text.

    Attributes:
        start: first character (normalised text).
        end: one past the last character (normalised text).
        score: final score, after validation and context.
        pattern: name of the pattern or rule that matched.
        context_word: the context word found before the match, if any.
        validated: the checksum or number-plan check: True, False, or None when there is none.
        voters: who found it: ``rules``, ``model`` or ``rules+model``.
    """

    start: int
    end: int
    score: float
    pattern: str
    context_word: str | None = None
    validated: bool | None = None
    voters: str = "rules"


def remove_contained(hits: list[Hit]) -> list[Hit]:
    """Drop duplicate hits and hits inside another hit with an equal or higher score.

    The same rule as Presidio's ``EntityRecognizer.remove_duplicates`` for one entity type.
    """
    if len(hits) < 2:
        return hits
    seen: dict[tuple[int, int, float], Hit] = {}
    for hit in hits:
        seen.setdefault((hit.start, hit.end, hit.score), hit)
    ordered = sorted(seen.values(), key=lambda h: (h.start, -(h.end - h.start), -h.score))
    return uncontained(h for h in ordered if h.score != 0)


class _Scored(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...


_S = TypeVar("_S", bound=_Scored)


def uncontained(ordered: Iterable[_S]) -> list[_S]:
    """Spans of one entity type (ordered by start, the longer first, the higher score first) but
    those inside a kept one of equal or higher score.

    Only the kept spans still reaching a span's start can hold it, so spans side by side are not
    compared pair by pair.
    """
    kept: list[_S] = []
    reaching: list[_S] = []
    for item in ordered:
        reaching = [k for k in reaching if k.end >= item.start]
        if not any(k.start <= item.start and item.end <= k.end and item.score <= k.score for k in reaching):
            kept.append(item)
            reaching.append(item)
    return kept


_OTHER_NUMBER_LABEL = re.compile(
    r"(?:工单|编号|单号|流水号|订单|受理号|批次|序列号|条码|批号|案号|发票号码|交易号|商品ID)[号码]?[:：]?\s*$"
)
_LABEL_WINDOW = 10


def after_other_number_label(text: str, start: int, unless: tuple[str, ...]) -> bool:
    """Whether a number at ``start`` comes right after a label of another kind of number (工单编号,
    订单号, 快递单号, 流水号 …), and no word of ``unless`` (卡, 身份证 …) is in that label."""
    before = text[max(0, start - _LABEL_WINDOW) : start]
    return _OTHER_NUMBER_LABEL.search(before) is not None and not any(word in before for word in unless)


def normalized_from(text: str, nlp_artifacts: NlpArtifacts | None) -> NormalizedText:
    """The normalised text the NLP engine attached to its artifacts, or a fresh one."""
    norm = getattr(nlp_artifacts, "normalized", None)
    if isinstance(norm, NormalizedText) and norm.original == text:
        return norm
    return normalize(text)


def tags_from(norm: NormalizedText, nlp_artifacts: NlpArtifacts | None) -> Tags | None:
    """The tagger's words the NLP engine attached for this normalised text, if any."""
    if getattr(nlp_artifacts, "normalized", None) is norm:
        tags: Tags | None = getattr(nlp_artifacts, "tags", None)
        return tags
    return None


def builtin_patterns(name: str) -> list[Pattern]:
    """The packaged patterns of a built-in pattern recognizer, as Presidio ``Pattern`` objects."""
    spec = builtin_spec(name)
    assert isinstance(spec, PatternRecognizerSpec)
    return [Pattern(p.name, p.expression, p.score) for p in spec.patterns]


def builtin_context(name: str) -> list[str]:
    """The packaged context words of a built-in recognizer."""
    return list(builtin_spec(name).context)


class ChineseRecognizer:
    """What huiliu's recognizers share: ``find`` on normalised text, results in original offsets.

    Subclasses set ``spec`` before ``EntityRecognizer.__init__`` runs, implement :meth:`find`, and
    may set ``GATE``: an RE2 regular expression that every text holding an entity of this
    recognizer matches, used by the scanner to skip texts in bulk.
    """

    GATE: ClassVar[str | None] = None
    HAS_CHECKSUM: ClassVar[bool] = False
    USES_MODEL: ClassVar[bool] = False
    USES_NAME_MODEL: ClassVar[bool] = False
    spec: RecognizerSpec
    name: str
    id: str
    tagger: LexicalTagger | None = None

    if TYPE_CHECKING:  # set by Presidio's EntityRecognizer, which every concrete recognizer derives from
        supported_entities: list[str]

        @property
        def score_thresholds(self) -> dict[str, float]: ...

        @score_thresholds.setter
        def score_thresholds(self, value: dict[str, float] | None) -> None: ...

    @property
    def entity(self) -> str:
        return self.spec.entity

    @property
    def gate(self) -> str | None:
        """The bulk pre-filter of this recognizer, or None when every text must be checked."""
        return self.GATE

    @property
    def listens_to_model(self) -> bool:
        """Whether this recognizer votes with the statistical tagger (it uses it and one is set)."""
        return self.USES_MODEL and self.tagger is not None

    @property
    def model_name(self) -> str:
        """The statistical model this recognizer's tagger votes with: LAC, and the name model
        over it for a recognizer of names."""
        if self.USES_NAME_MODEL and self.tagger is not None and self.tagger.names is not None:
            return f"{MODEL_NAME}+{NAME_MODEL_NAME}"
        return MODEL_NAME

    def find(self, text: str, tags: Tags | None = None) -> list[Hit]:
        """Entities in normalised text; ``tags`` are the tagger's words of it, when already made."""
        raise NotImplementedError

    def model_tags(self, text: str, tags: Tags | None) -> Tags | None:
        """The tagger's words of ``text``: those given, else tagged now; None without a tagger."""
        if tags is not None or self.tagger is None or not self.USES_MODEL:
            return tags
        return self.tagger.tag(text)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Presidio entry point: entities of ``text`` in its own (original) offsets."""
        del entities, regex_flags  # Presidio's signature: every entity of the recognizer is reported
        norm = normalized_from(text, nlp_artifacts)
        return [self.to_result(hit, norm) for hit in self.find(norm.text, tags_from(norm, nlp_artifacts))]

    def metadata(self, hit: Hit) -> dict[str, Any]:
        """The recognition metadata of a hit: recognizer, pattern, context word, validation."""
        data: dict[str, Any] = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            PATTERN_KEY: hit.pattern,
            CONTEXT_KEY: hit.context_word,
        }
        if hit.validated is not None:
            data[CHECKSUM_KEY if self.HAS_CHECKSUM else VALIDATED_KEY] = hit.validated
        if self.USES_MODEL:
            data[VOTERS_KEY] = hit.voters
            if hit.voters != "rules":
                data[MODEL_KEY] = self.model_name
        return data

    def to_result(self, hit: Hit, norm: NormalizedText) -> RecognizerResult:
        """A Presidio result for a hit, in the original text's offsets."""
        start, end = norm.to_original(hit.start, hit.end)
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=hit.score,
            pattern_name=hit.pattern,
            # Presidio annotates it `bool = None`: None (no check) is what its own default means
            validation_result=hit.validated,  # type: ignore[arg-type]
            textual_explanation=self.explain(hit),
        )
        if hit.context_word:
            explanation.set_supportive_context_word(hit.context_word)
        return RecognizerResult(self.entity, start, end, hit.score, explanation, self.metadata(hit))

    def explain(self, hit: Hit) -> str:
        """One line saying why a hit was reported."""
        parts = [f"Detected by `{self.name}` using `{hit.pattern}`"]
        if hit.voters == "rules+model":
            parts.append(f"confirmed by the statistical tagger `{self.model_name}`")
        elif hit.voters == "model":
            parts = [f"Detected by `{self.name}`: the statistical tagger `{self.model_name}` tagged it"]
        if hit.context_word:
            parts.append(f"context word `{hit.context_word}`")
        if hit.validated is not None:
            parts.append(
                ("checksum " if self.HAS_CHECKSUM else "number plan ")
                + ("valid" if hit.validated else "invalid")
            )
        return ", ".join(parts)

    def context_word(self, text: str, start: int) -> str | None:
        """A context word (as configured) within ``context_window`` characters before ``start``."""
        window = self.spec.context_window
        if not window or not self.spec.context:
            return None
        match = self._context_pattern().search(text, max(0, start - window), start)
        return None if match is None else self._context_words[match.group().lower()]

    def _context_pattern(self) -> re.Pattern[str]:
        pattern = getattr(self, "_context_re", None)
        if pattern is None:
            words = sorted(set(self.spec.context), key=lambda w: (-len(w), w))
            self._context_words = {w.lower(): w for w in reversed(self.spec.context)}
            pattern = self._context_re = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
        return pattern

    def boosted(self, score: float, word: str | None) -> float:
        """A score raised by the context boost when a context word was found."""
        if word is None:
            return score
        return min(EntityRecognizer.MAX_SCORE, round(score + self.spec.context_boost, 6))


# Presidio's EntityRecognizer assigns `name` without declaring its type: mypy cannot compare it with ours
class CnPatternRecognizer(ChineseRecognizer, PatternRecognizer):  # type: ignore[misc]
    """A pattern recognizer configured from the registry: ``PATTERNS``, ``CONTEXT``, checksum hooks.

    Subclasses name their registry entry in ``KIND`` and override ``validate_result`` (True: the
    checksum or number plan holds, False: it fails, None: no check) and ``invalidate_result``
    (True: not this entity at all, e.g. a 18-digit run that is a resident ID, not a card).
    """

    KIND: ClassVar[str] = "pattern"

    def __init__(self, spec: PatternRecognizerSpec | None = None, name: str | None = None) -> None:
        self.spec: PatternRecognizerSpec = spec or self._builtin()
        self._patterns = [(p, re.compile(p.expression, re.ASCII)) for p in self.spec.patterns]
        super().__init__(
            supported_entity=self.spec.entity,
            name=name or type(self).__name__,
            supported_language=LANGUAGE,
            patterns=[Pattern(p.name, p.expression, p.score) for p in self.spec.patterns],
            context=list(self.spec.context),
        )

    def _builtin(self) -> PatternRecognizerSpec:
        if self.KIND not in BUILTIN_NAMES:
            raise TypeError(f"a `{self.KIND}` recognizer is defined only in the registry: pass its spec")
        spec = builtin_spec(BUILTIN_NAMES[self.KIND])
        assert isinstance(spec, PatternRecognizerSpec)
        return spec

    @property
    def gate(self) -> str | None:
        """The patterns themselves, look-arounds dropped, as one RE2 expression (a superset)."""
        return derived_gate(self.spec.patterns)

    def find(self, text: str, tags: Tags | None = None) -> list[Hit]:
        del tags  # patterns do not listen to the tagger
        hits = []
        for pattern, compiled in self._patterns:
            for match in compiled.finditer(text):
                start, end = match.span()
                if start < end:
                    hit = self._score(text, start, end, pattern)
                    if hit is not None:
                        hits.append(hit)
        return remove_contained(hits)

    def _score(self, text: str, start: int, end: int, pattern: PatternSpec) -> Hit | None:
        """The hit of one match after invalidation, validation and context, or None."""
        candidate = text[start:end]
        if self.invalidate_result(candidate) or self.reject_span(text, start, end):
            return None
        valid = self.validate_result(candidate)
        score = pattern.score
        if valid is False:
            if self.spec.invalid_score is None:
                return None
            score = self.spec.invalid_score
        elif valid is True and self.spec.valid_score is not None:
            score = self.spec.valid_score
        word = self.context_word(text, start)
        score = self.boosted(score, word)
        return Hit(start, end, score, pattern.name, word, valid) if score > 0 else None

    def reject_span(self, text: str, start: int, end: int) -> bool:  # noqa: ARG002 (a hook for subclasses)
        """Whether a match is not an entity given the text around it (default: never)."""
        return False


BUILTIN_NAMES = {
    "cn_resident_id": "cn_resident_id",
    "cn_mobile": "cn_mobile",
    "cn_landline": "cn_landline",
    "bank_card": "bank_card",
    "email": "email",
    "cn_passport": "cn_passport",
    "cn_vehicle_plate": "cn_vehicle_plate",
    "cn_uscc": "cn_uscc",
    "cn_ethnicity": "ethnicity",
    "cn_religion": "religion",
    "cn_health": "health",
}
"""Recognizer kind → its entry in the packaged registry."""

_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")


def derived_gate(patterns: list[PatternSpec]) -> str | None:
    """A bulk pre-filter for patterns: their alternation in RE2 syntax, look-arounds dropped.

    Dropping a look-around only widens what a pattern matches, so every text a pattern matches
    also matches the gate. None when a pattern uses syntax whose meaning differs in RE2.
    """
    parts = []
    for pattern in patterns:
        expression = pattern.expression
        if "{," in expression or re.compile(expression, re.ASCII).flags & (re.MULTILINE | re.VERBOSE):
            return None
        parts.append(f"(?:{re2_superset(expression)})")
    return "|".join(parts) or None


def re2_superset(expression: str) -> str:
    """A Python expression rewritten for RE2: look-arounds removed, ``$``, ``\\Z``, ``\\s`` translated."""
    out: list[str] = []
    i = 0
    while i < len(expression):
        char = expression[i]
        if char == "\\":
            out.append(_escape(expression[i : i + 2], in_class=False))
            i += 2
        elif char == "[":
            end = _class_end(expression, i)
            body = re.sub(r"\\.", lambda m: _escape(m.group(), in_class=True), expression[i:end])
            out.append(body)
            i = end
        elif expression.startswith(_LOOKAROUNDS, i):
            i = _group_end(expression, i)
        else:
            out.append(r"(?:\n?\z)" if char == "$" else char)
            i += 1
    return "".join(out)


def _escape(escape: str, in_class: bool) -> str:
    if escape == "\\s":
        return r"\t\n\v\f\r " if in_class else r"[\t\n\v\f\r ]"
    if escape == "\\Z" and not in_class:
        return r"\z"
    return escape


def _class_end(expression: str, start: int) -> int:
    """The index after the character class that opens at ``start`` (a leading ``]`` is literal)."""
    i = start + 1
    if expression[i : i + 1] == "^":
        i += 1
    if expression[i : i + 1] == "]":
        i += 1
    while i < len(expression) and expression[i] != "]":
        i += 2 if expression[i] == "\\" else 1
    return min(i + 1, len(expression))


def _group_end(expression: str, start: int) -> int:
    """The index after the group that opens at ``start`` (escapes and classes respected)."""
    depth, i = 0, start
    while i < len(expression):
        char = expression[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(expression, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(expression)
