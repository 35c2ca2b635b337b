"""Precision and recall of the PII scanner on annotated corpora that no one here wrote.

A corpus is a list of texts with annotated spans. Three formats are read (:data:`READERS`):
``jsonl`` (``{"text", "entities": [{"type", "start", "end"}]}``, end exclusive), ``bio``
(one character and its tag per line, BIO/BIOES/BMES, a blank line between sentences, as the MSRA
and People's Daily NER corpora are distributed) and ``cluener`` (CLUENER2020's
``{"text", "label": {type: {value: [[start, end]]}}}`` with inclusive ends). Files are UTF-8, with
or without a byte-order mark.

Corpus labels are renamed to scanner entity types (:data:`DEFAULT_LABELS`: ``PER``, ``NR``,
``name`` → ``PERSON``, ``address`` → ``ADDRESS``, plus the caller's own). Only entity types that
the corpus annotates and the scanner can report are scored: a label that names no such type is
counted under "unscored labels", and findings of a type the corpus does not annotate (a mobile
number in MSRA) are neither right nor wrong.

Matching, per entity type (:func:`huiliu.pii.accuracy.match_spans`; each annotated span and each
finding matched at most once, largest overlap first):

* ``exact``: same span (the default for names);
* ``coverage``: the finding covers at least ``min_coverage`` (0.6) of the annotated span's
  characters (the default for addresses); for precision, a finding overlapping an annotated
  span of its type counts as correct;
* ``overlap``: any overlap, both ways.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypeAlias, TypedDict, TypeGuard

from huiliu.errors import ConfigurationError
from huiliu.pii.accuracy import MATCHES, EntityScore, EntityScoreRecord, Match, match_spans
from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.scanner import Finding, scan_texts

DEFAULT_LABELS = {
    "PER": "PERSON",
    "NR": "PERSON",
    "PERSON": "PERSON",
    "NAME": "PERSON",
    "ADDRESS": "ADDRESS",
}
"""Corpus label (compared upper-cased, also without a ``.NAM``-style suffix) → scanner entity type."""
DEFAULT_RULES: dict[str, Match] = {"PERSON": "exact", "ADDRESS": "coverage"}
"""Entity type → matching rule; types not named here are matched ``exact``."""
CHUNK = 2_000
"""Texts scanned at a time (one progress step)."""
TOTAL = "TOTAL"

Span: TypeAlias = tuple[str, int, int]


@dataclass(frozen=True)
class Annotated:
    """One text of a corpus and its annotated spans ``(label, start, end)``, end exclusive.

    Attributes:
        text: the text.
        spans: the annotated spans, with the corpus's own labels.
        line: the line of the corpus file the text starts on.
    """

    text: str
    spans: tuple[Span, ...]
    line: int = 0


class Miss(TypedDict):
    """An annotated span no finding matched, with the findings overlapping it."""

    entity_type: str
    line: int
    annotated: str
    found: list[str]
    text: str


class WrongFinding(TypedDict):
    """A finding that was not right."""

    entity_type: str
    line: int
    found: str
    text: str


class EvaluationRecord(TypedDict):
    """An :class:`Evaluation` as JSON; ``misses`` and ``false_positives`` only when collected."""

    corpus: str
    texts: int
    match: dict[str, Match]
    min_coverage: float
    entities: list[EntityScoreRecord]
    total: EntityScoreRecord
    unscored_labels: dict[str, int]
    misses: NotRequired[list[Miss]]
    false_positives: NotRequired[list[WrongFinding]]


@dataclass
class Evaluation:
    """Per-entity scores of one corpus, and examples of what was missed or wrongly found.

    Attributes:
        corpus: the corpus's name (its file name).
        texts: texts scored.
        scores: one score per scored entity type.
        rules: the matching rule of each scored entity type.
        min_coverage: the share of an annotated span a finding must cover under ``coverage``.
        unscored: annotated spans per corpus label that names no scanner entity type.
        misses: up to the requested number of annotated spans no finding matched.
        false_positives: up to the requested number of findings that were not right.
    """

    corpus: str
    texts: int
    scores: list[EntityScore]
    rules: dict[str, Match]
    min_coverage: float
    unscored: dict[str, int] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    false_positives: list[WrongFinding] = field(default_factory=list)

    @property
    def total(self) -> EntityScore:
        """All scored entity types together (micro-averaged)."""
        return EntityScore(
            TOTAL,
            sum(s.planted for s in self.scores),
            sum(s.found for s in self.scores),
            sum(s.true_positives for s in self.scores),
            sum(s.true_positives if s.correct_findings is None else s.correct_findings for s in self.scores),
        )

    def score(self, entity: str) -> EntityScore | None:
        """The score of one entity type, if it was scored."""
        return next((s for s in self.scores if s.entity_type == entity), None)

    def as_dict(self) -> EvaluationRecord:
        """JSON-ready figures (examples only when collected)."""
        data: EvaluationRecord = {
            "corpus": self.corpus,
            "texts": self.texts,
            "match": self.rules,
            "min_coverage": self.min_coverage,
            "entities": [s.as_dict() for s in self.scores],
            "total": self.total.as_dict(),
            "unscored_labels": self.unscored,
        }
        if self.misses or self.false_positives:
            data["misses"], data["false_positives"] = self.misses, self.false_positives
        return data


def _corpus_error(path: Path, line: int, problem: str, fix: str = "correct the line") -> ConfigurationError:
    return ConfigurationError(
        f"语料 {path} 第 {line} 行格式错误：{problem}。"
        f" / corpus {path}, line {line}: {problem}; {fix} or choose the matching --format"
    )


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ConfigurationError(f"语料文件不存在 / corpus {path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ConfigurationError(f"语料路径是目录 / corpus {path} is a folder; give one file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise _corpus_error(path, line, "not UTF-8 text", "convert the file to UTF-8") from None


def _json_lines(path: Path) -> Iterable[tuple[int, Any]]:
    for number, line in enumerate(_lines(path), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise _corpus_error(
                    path, number, f"not valid JSON ({exc.msg} at column {exc.colno})"
                ) from None


def read_jsonl(path: Path) -> list[Annotated]:
    """``{"text", "entities": [{"type", "start", "end"}]}`` per line, end exclusive.

    Raises:
        ConfigurationError: a line that is not such an object (named with its number).
    """
    out = []
    for number, record in _json_lines(path):
        try:
            text = record["text"]
            spans = tuple(
                (str(e["type"]), _offset(e["start"]), _offset(e["end"])) for e in record["entities"]
            )
        except (KeyError, TypeError, ValueError):
            raise _corpus_error(
                path,
                number,
                'expected {"text": ..., "entities": [{"type": ..., "start": ..., "end": ...}]}',
                "give every entity a type and integer start and end (end exclusive)",
            ) from None
        _check_spans(path, number, text, spans)
        out.append(Annotated(text, spans, number))
    return out


def read_cluener(path: Path) -> list[Annotated]:
    """CLUENER2020 lines: ``{"text", "label": {type: {value: [[start, end]]}}}``, inclusive ends.

    Raises:
        ConfigurationError: a line that is not such an object, or a span that does not read its value.
    """
    out = []
    for number, record in _json_lines(path):
        try:
            text = record["text"]
            places = [
                (str(label), str(value), _offset(start), _offset(end) + 1)
                for label, values in (record.get("label") or {}).items()
                for value, spans in values.items()
                for start, end in spans
            ]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise _corpus_error(
                path,
                number,
                'expected {"text": ..., "label": {type: {value: [[start, end]]}}}',
                "write the labels as CLUENER2020 does",
            ) from None
        spans = tuple((label, start, end) for label, _, start, end in places)
        _check_spans(path, number, text, spans)
        for label, value, start, end in places:
            if text[start:end] != value:
                raise _corpus_error(
                    path,
                    number,
                    f"the {label} span [{start}, {end - 1}] does not hold its {len(value)}-character value",
                    "CLUENER2020 ends are inclusive; correct the offsets",
                )
        out.append(Annotated(text, spans, number))
    return out


TAG_PREFIXES = ("B-", "I-", "M-", "E-", "S-")


def read_bio(path: Path) -> list[Annotated]:
    """One character and its tag per line (BIO, BIOES or BMES), a blank line between sentences.

    A character may carry a segment digit (Weibo NER's ``李0``); it is dropped.

    Raises:
        ConfigurationError: a line without a character and a tag such as ``B-PER`` or ``O``.
    """
    out: list[Annotated] = []
    tokens: list[str] = []
    tags: list[str] = []
    first = 1
    for number, line in enumerate([*_lines(path), ""], start=1):
        if not line.strip():
            if tokens:
                out.append(Annotated("".join(tokens), tuple(_bio_spans(tokens, tags)), first))
            tokens, tags, first = [], [], number + 1
            continue
        parts = line.split()
        tag = parts[-1]
        if len(parts) < 2 or not (tag == "O" or (tag[:2] in TAG_PREFIXES and len(tag) > 2)):
            raise _corpus_error(
                path,
                number,
                "expected a character and a tag such as B-PER, I-PER, E-PER, S-PER or O",
                "separate the character and its tag with a space or a tab",
            )
        token = parts[0]
        tokens.append(token[0] if len(token) > 1 and token[1:].isdigit() else token)
        tags.append(tag)
    return out


def _bio_spans(tokens: Sequence[str], tags: Sequence[str]) -> list[Span]:
    """Character spans of the tagged entities (a span starts at B/S, or I/M/E not continuing one)."""
    starts = [0]
    for token in tokens:
        starts.append(starts[-1] + len(token))
    spans: list[Span] = []
    current: tuple[str, int] | None = None
    for index, tag in enumerate([*tags, "O"]):
        prefix, label = tag[:2], tag[2:]
        continues = current is not None and prefix in ("I-", "M-", "E-") and label == current[0]
        if not continues:
            if current is not None:
                spans.append((current[0], starts[current[1]], starts[index]))
            current = (label, index) if prefix in TAG_PREFIXES else None
        if prefix in ("E-", "S-") and current is not None:
            spans.append((current[0], starts[current[1]], starts[index + 1]))
            current = None
    return spans


def _offset(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("an offset must be an integer")
    return value


def _check_spans(path: Path, line: int, text: object, spans: Iterable[Span]) -> None:
    if not isinstance(text, str):
        raise _corpus_error(path, line, '"text" must be a string')
    for label, start, end in spans:
        if not 0 <= start < end <= len(text):
            raise _corpus_error(
                path, line, f"{label} span {start}..{end} lies outside the text of {len(text)} characters"
            )


READERS: dict[str, Callable[[Path], list[Annotated]]] = {
    "jsonl": read_jsonl,
    "bio": read_bio,
    "cluener": read_cluener,
}
"""Corpus format name (``--format``) → reader."""


def read_corpus(path: Path, fmt: str) -> list[Annotated]:
    """A corpus in one of :data:`READERS`' formats.

    Raises:
        ConfigurationError: an unknown format, a missing file or a malformed line.
    """
    if fmt not in READERS:
        raise ConfigurationError(
            f"未知语料格式 {fmt!r} / unknown corpus format {fmt!r}; use one of {', '.join(READERS)}"
        )
    return READERS[fmt](path)


def label_table(labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """:data:`DEFAULT_LABELS` with the caller's renames on top, keyed by upper-cased label."""
    return {key.upper(): value for key, value in {**DEFAULT_LABELS, **(labels or {})}.items()}


def entity_of(label: str, table: Mapping[str, str]) -> str | None:
    """The entity type a corpus label is renamed to by a :func:`label_table`, or None.

    Weibo NER's nominal mentions (``PER.NOM``: 他的妈妈) are not names unless renamed by themselves.
    """
    full = label.upper()
    if full in table:
        return table[full]
    if full.endswith(".NOM"):
        return None
    return table.get(full.split(".")[0])


def scanner_entities(engine: PiiEngine) -> frozenset[str]:
    """The entity types the engine's recognizers can report."""
    return frozenset(e for r in engine.recognizers for e in r.supported_entities)


def scan_corpus(
    corpus: Sequence[Annotated],
    engine: PiiEngine | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[list[Finding]]:
    """The findings of every text, scanned :data:`CHUNK` texts at a time.

    Args:
        corpus: the texts.
        engine: the engine; the process-wide one by default.
        progress: called with the number of texts after each chunk.
    """
    engine = engine or get_engine()
    findings: list[list[Finding]] = []
    for first in range(0, len(corpus), CHUNK):
        chunk = corpus[first : first + CHUNK]
        findings.extend(scan_texts([t.text for t in chunk], engine))
        if progress is not None:
            progress(len(chunk))
    return findings


def match_rules(rules: Mapping[str, str] | None = None, min_coverage: float = 0.6) -> dict[str, Match]:
    """:data:`DEFAULT_RULES` with the caller's rules on top, checked.

    Raises:
        ConfigurationError: an unknown rule or a coverage outside (0, 1].
    """
    if not 0 < min_coverage <= 1:
        raise ConfigurationError(f"min_coverage {min_coverage}: use a share above 0 and at most 1, e.g. 0.6")
    merged = {**DEFAULT_RULES, **(rules or {})}
    if bad := sorted(f"{e}={r}" for e, r in merged.items() if r not in MATCHES):
        raise ConfigurationError(f"match rule {bad[0]}: use one of {', '.join(MATCHES)}")
    return {entity: rule for entity, rule in merged.items() if _is_match(rule)}


def _is_match(rule: str) -> TypeGuard[Match]:
    return rule in MATCHES


def evaluate(
    corpus: Sequence[Annotated],
    findings: Sequence[Sequence[Finding]],
    labels: Mapping[str, str] | None = None,
    rules: Mapping[str, str] | None = None,
    min_coverage: float = 0.6,
    name: str = "",
    examples: int = 0,
    entities: Collection[str] | None = None,
) -> Evaluation:
    """Score findings against a corpus (see the module's matching rules).

    Args:
        corpus: the annotated texts.
        findings: the findings of each text, in corpus order.
        labels: corpus label → entity type, on top of :data:`DEFAULT_LABELS`.
        rules: entity type → matching rule, on top of :data:`DEFAULT_RULES`.
        min_coverage: the share of an annotated span a finding must cover under ``coverage``.
        name: the corpus's name in the result.
        examples: collect up to this many misses and as many wrong findings (raw text: for
            public corpora only).
        entities: the entity types the scanner can report; labels renamed to anything else are
            not scored. None scores every renamed label.

    Raises:
        ConfigurationError: an unknown rule or a coverage outside (0, 1].
    """
    rules = match_rules(rules, min_coverage)
    table = label_table(labels)
    scored: dict[str, str] = {}
    unscored: Counter[str] = Counter()
    for label, _, _ in (span for text in corpus for span in text.spans):
        if label not in scored and label not in unscored:
            entity = entity_of(label, table)
            if entity is not None and (entities is None or entity in entities):
                scored[label] = entity
        if label not in scored:
            unscored[label] += 1
    kinds = sorted(set(scored.values()))
    result = Evaluation(name, len(corpus), [], {e: rules.get(e, "exact") for e in kinds}, min_coverage)
    result.unscored = dict(unscored.most_common())
    tallies = {e: [0, 0, 0, 0] for e in kinds}  # annotated, found, matched, right findings
    for text, found in zip(corpus, findings, strict=True):
        for entity, tally in tallies.items():
            gold = [(s, e) for label, s, e in text.spans if scored.get(label) == entity]
            ours = [(f.start, f.end) for f in found if f.entity_type == entity]
            matched, right = match_spans(gold, ours, result.rules[entity], min_coverage)
            tally[0] += len(gold)
            tally[1] += len(ours)
            tally[2] += len(matched)
            tally[3] += len(right)
            if examples:
                _collect(result, text, entity, gold, ours, matched, right, examples)
    result.scores = [
        EntityScore(e, t[0], t[1], t[2], None if t[3] == t[2] else t[3]) for e, t in tallies.items()
    ]
    return result


def _collect(
    result: Evaluation,
    text: Annotated,
    entity: str,
    gold: list[tuple[int, int]],
    ours: list[tuple[int, int]],
    matched: set[int],
    right: set[int],
    limit: int,
) -> None:
    for g, (s, e) in enumerate(gold):
        if g not in matched and len(result.misses) < limit:
            found = [text.text[a:b] for a, b in ours if a < e and s < b]
            result.misses.append(
                {
                    "entity_type": entity,
                    "line": text.line,
                    "annotated": text.text[s:e],
                    "found": found,
                    "text": text.text,
                }
            )
    for o, (s, e) in enumerate(ours):
        if o not in right and len(result.false_positives) < limit:
            result.false_positives.append(
                {"entity_type": entity, "line": text.line, "found": text.text[s:e], "text": text.text}
            )


def evaluate_corpus(
    path: Path,
    fmt: str,
    engine: PiiEngine | None = None,
    labels: Mapping[str, str] | None = None,
    rules: Mapping[str, str] | None = None,
    min_coverage: float = 0.6,
    limit: int | None = None,
    examples: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Read a corpus, scan its texts and score the findings (see :func:`evaluate`).

    Args:
        path: the corpus file.
        fmt: its format, a key of :data:`READERS`.
        engine: the engine; the process-wide one by default.
        labels: corpus label → entity type, on top of :data:`DEFAULT_LABELS`.
        rules: entity type → matching rule, on top of :data:`DEFAULT_RULES`.
        min_coverage: the share of an annotated span a finding must cover under ``coverage``.
        limit: score only the first texts.
        examples: collect up to this many misses and wrong findings.
        progress: called with the number of texts scanned after each chunk.

    Raises:
        ConfigurationError: an unknown format or rule, a missing file or a malformed line.
    """
    match_rules(rules, min_coverage)
    engine = engine or get_engine()
    corpus = read_corpus(path, fmt)[:limit]
    findings = scan_corpus(corpus, engine, progress)
    return evaluate(
        corpus, findings, labels, rules, min_coverage, path.name, examples, scanner_entities(engine)
    )
