"""Precision and recall of the PII scanner on annotated corpora that no one here wrote.

A corpus is a list of texts with annotated spans. Three formats are read (:data:`READERS`):
``jsonl`` (``{"text", "entities": [{"type", "start", "end"}]}``, end exclusive), ``bio``
(one character and its tag per line, BIO/BIOES/BMES, a blank line between sentences, as the MSRA
and People's Daily NER corpora are distributed) and ``cluener`` (CLUENER2020's
``{"text", "label": {type: {value: [[start, end]]}}}`` with inclusive ends). Corpus labels are
renamed to scanner entity types (``PER`` → ``PERSON``, ``address`` → ``ADDRESS`` …); a label that
names no scanner entity type is not scored, and scanner findings of a type the corpus does not
annotate are neither right nor wrong.

Matching, per entity type (each annotated span and each finding matched at most once, largest
overlap first):

* ``exact``: same span (the default for names);
* ``coverage``: the finding covers at least ``min_coverage`` (0.6) of the annotated span's
  characters (the default for addresses); for precision, a finding overlapping an annotated
  span of its type counts as correct;
* ``overlap``: any overlap, both ways.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from huiliu.errors import ConfigurationError
from huiliu.pii.accuracy import EntityScore
from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.scanner import Finding, scan_texts

Rule = Literal["exact", "coverage", "overlap"]
DEFAULT_LABELS = {
    "PER": "PERSON",
    "NR": "PERSON",
    "PERSON": "PERSON",
    "NAME": "PERSON",
    "ADDRESS": "ADDRESS",
}
"""Corpus label (upper-cased, without a ``.NAM``-style suffix) → scanner entity type."""
DEFAULT_RULES: dict[str, Rule] = {"PERSON": "exact", "ADDRESS": "coverage"}
CHUNK = 2_000


@dataclass(frozen=True)
class Annotated:
    """One text of a corpus and its annotated spans ``(label, start, end)``, end exclusive."""

    text: str
    spans: tuple[tuple[str, int, int], ...]
    line: int = 0


@dataclass
class Evaluation:
    """Per-entity scores of one corpus, and examples of what was missed or wrongly found."""

    corpus: str
    texts: int
    scores: list[EntityScore]
    rules: dict[str, Rule]
    min_coverage: float
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (examples only when collected)."""
        data: dict[str, Any] = {
            "corpus": self.corpus,
            "texts": self.texts,
            "match": self.rules,
            "min_coverage": self.min_coverage,
            "entities": [s.as_dict() for s in self.scores],
        }
        if self.misses or self.false_positives:
            data["misses"], data["false_positives"] = self.misses, self.false_positives
        return data

    def score(self, entity: str) -> EntityScore | None:
        """The score of one entity type, if the corpus annotates it."""
        return next((s for s in self.scores if s.entity_type == entity), None)


def _corpus_error(path: Path, line: int, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"语料 {path} 第 {line} 行：{problem}；请按所选格式修正该行。"
        f" / corpus {path}, line {line}: {problem}; correct the line for the chosen --format"
    )


def _json_lines(path: Path) -> Iterable[tuple[int, Any]]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ConfigurationError(f"语料文件不存在 / corpus {path}: no such file; check the path") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"语料 {path} 不是 UTF-8 / corpus {path}: not UTF-8; convert it") from None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise _corpus_error(path, number, f"not valid JSON ({exc.msg})") from None


def read_jsonl(path: Path) -> list[Annotated]:
    """``{"text", "entities": [{"type", "start", "end"}]}`` per line, end exclusive."""
    out = []
    for number, record in _json_lines(path):
        try:
            text = record["text"]
            spans = tuple((str(e["type"]), int(e["start"]), int(e["end"])) for e in record["entities"])
        except (KeyError, TypeError, ValueError):
            raise _corpus_error(path, number, 'needs "text" and "entities" with type, start, end') from None
        _check_spans(path, number, text, spans)
        out.append(Annotated(text, spans, number))
    return out


def read_cluener(path: Path) -> list[Annotated]:
    """CLUENER2020 lines: ``{"text", "label": {type: {value: [[start, end]]}}}``, inclusive ends."""
    out = []
    for number, record in _json_lines(path):
        try:
            text = record["text"]
            spans = tuple(
                (str(label), int(start), int(end) + 1)
                for label, values in (record.get("label") or {}).items()
                for places in values.values()
                for start, end in places
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise _corpus_error(path, number, 'needs "text" and "label" as CLUENER2020 writes them') from None
        _check_spans(path, number, text, spans)
        out.append(Annotated(text, spans, number))
    return out


def read_bio(path: Path) -> list[Annotated]:
    """One character and its tag per line (BIO, BIOES or BMES), a blank line between sentences."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ConfigurationError(f"语料文件不存在 / corpus {path}: no such file; check the path") from None
    out: list[Annotated] = []
    chars: list[str] = []
    tags: list[str] = []
    first = 1
    for number, line in enumerate([*lines, ""], start=1):
        if not line.strip():
            if chars:
                out.append(Annotated("".join(chars), tuple(_bio_spans(tags)), first))
            chars, tags, first = [], [], number + 1
            continue
        parts = line.split()
        tag = parts[-1]
        if len(parts) < 2 or not (tag == "O" or tag[:2] in ("B-", "I-", "E-", "S-", "M-")):
            raise _corpus_error(path, number, "expected a character and a tag such as B-PER, I-PER or O")
        chars.append(parts[0][0] if len(parts[0]) > 1 and parts[0][1:].isdigit() else parts[0])
        tags.append(tag)
    return out


def _bio_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    spans: list[tuple[str, int, int]] = []
    current: list[Any] | None = None
    for index, tag in enumerate([*tags, "O"]):
        prefix, label = tag[:2], tag[2:]
        continues = current is not None and prefix in ("I-", "M-", "E-") and label == current[0]
        if not continues:
            if current is not None:
                spans.append((current[0], current[1], index))
            current = [label, index] if prefix in ("B-", "S-", "I-", "M-", "E-") else None
        if prefix in ("E-", "S-") and current is not None:
            spans.append((current[0], current[1], index + 1))
            current = None
    return spans


def _check_spans(path: Path, line: int, text: Any, spans: Iterable[tuple[str, int, int]]) -> None:
    if not isinstance(text, str):
        raise _corpus_error(path, line, '"text" must be a string')
    for _, start, end in spans:
        if not 0 <= start < end <= len(text):
            raise _corpus_error(
                path, line, f"span {start}..{end} lies outside the text of {len(text)} characters"
            )


READERS: dict[str, Callable[[Path], list[Annotated]]] = {
    "jsonl": read_jsonl,
    "bio": read_bio,
    "cluener": read_cluener,
}
"""Corpus format name (``--format``) → reader."""


def entity_of(label: str, labels: dict[str, str]) -> str | None:
    """The scanner entity type a corpus label names, or None (not scored)."""
    key = label.split(".")[0].upper()
    if label.upper().endswith(".NOM"):
        return None  # Weibo NER's nominal mentions (他的妈妈) are not names
    return labels.get(label, labels.get(key))


def read_corpus(path: Path, fmt: str) -> list[Annotated]:
    """A corpus in one of :data:`READERS`' formats."""
    if fmt not in READERS:
        raise ConfigurationError(f"unknown corpus format {fmt!r}; use one of {', '.join(READERS)}")
    return READERS[fmt](path)


def evaluate(
    corpus: Sequence[Annotated],
    findings: Sequence[Sequence[Finding]],
    labels: dict[str, str] | None = None,
    rules: dict[str, Rule] | None = None,
    min_coverage: float = 0.6,
    name: str = "",
    examples: int = 0,
) -> Evaluation:
    """Score findings against a corpus (see the module's matching rules)."""
    labels = {**DEFAULT_LABELS, **(labels or {})}
    rules = {**DEFAULT_RULES, **(rules or {})}
    gold_types = {e for t in corpus for label, _, _ in t.spans if (e := entity_of(label, labels))}
    counts: dict[str, list[int]] = {e: [0, 0, 0, 0] for e in sorted(gold_types)}  # gold, found, tp(g), tp(f)
    result = Evaluation(name, len(corpus), [], {e: rules.get(e, "exact") for e in counts}, min_coverage)
    for text, found in zip(corpus, findings, strict=True):
        for entity, tally in counts.items():
            gold = [(s, e) for label, s, e in text.spans if entity_of(label, labels) == entity]
            ours = [(f.start, f.end) for f in found if f.entity_type == entity]
            right_gold, right_ours = _matches(gold, ours, result.rules[entity], min_coverage)
            tally[0] += len(gold)
            tally[1] += len(ours)
            tally[2] += len(right_gold)
            tally[3] += len(right_ours)
            if examples:
                _collect(result, text.text, entity, gold, ours, right_gold, right_ours, examples)
    result.scores = [_score(entity, tally) for entity, tally in counts.items()]
    return result


@dataclass(frozen=True)
class CorpusScore(EntityScore):
    """An entity's score where precision counts correct findings (coverage rules can differ)."""

    correct_findings: int = 0

    @property
    def precision(self) -> float | None:
        return self.correct_findings / self.found if self.found else None


def _score(entity: str, tally: list[int]) -> EntityScore:
    return CorpusScore(entity, tally[0], tally[1], tally[2], tally[3])


def _matches(
    gold: list[tuple[int, int]], ours: list[tuple[int, int]], rule: Rule, min_coverage: float
) -> tuple[set[int], set[int]]:
    """Indexes of matched annotated spans and of correct findings, one-to-one, largest overlap first."""
    pairs = []
    for g, (gs, ge) in enumerate(gold):
        for o, (os_, oe) in enumerate(ours):
            shared = min(ge, oe) - max(gs, os_)
            if shared > 0:
                pairs.append((shared, g, o))
    pairs.sort(reverse=True)
    matched_gold: set[int] = set()
    matched_ours: set[int] = set()
    for shared, g, o in pairs:
        if g in matched_gold or o in matched_ours:
            continue
        if rule == "exact" and gold[g] != ours[o]:
            continue
        if rule == "coverage" and shared < min_coverage * (gold[g][1] - gold[g][0]):
            continue
        matched_gold.add(g)
        matched_ours.add(o)
    if rule == "coverage":  # precision: a finding overlapping an annotated span of its type is right
        matched_ours = {o for o, (s, e) in enumerate(ours) if any(gs < e and s < ge for gs, ge in gold)}
    return matched_gold, matched_ours


def _collect(
    result: Evaluation,
    text: str,
    entity: str,
    gold: list[tuple[int, int]],
    ours: list[tuple[int, int]],
    right_gold: set[int],
    right_ours: set[int],
    limit: int,
) -> None:
    for g, (s, e) in enumerate(gold):
        if g not in right_gold and len(result.misses) < limit:
            found = [text[a:b] for a, b in ours if a < e and s < b]
            result.misses.append(
                {"entity_type": entity, "annotated": text[s:e], "found": found, "text": text}
            )
    for o, (s, e) in enumerate(ours):
        if o not in right_ours and len(result.false_positives) < limit:
            result.false_positives.append({"entity_type": entity, "found": text[s:e], "text": text})


def evaluate_corpus(
    path: Path,
    fmt: str,
    engine: PiiEngine | None = None,
    labels: dict[str, str] | None = None,
    rules: dict[str, Rule] | None = None,
    min_coverage: float = 0.6,
    limit: int | None = None,
    examples: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Read a corpus, scan its texts in chunks and score the findings."""
    engine = engine or get_engine()
    corpus = read_corpus(path, fmt)[:limit]
    findings: list[list[Finding]] = []
    for first in range(0, len(corpus), CHUNK):
        findings.extend(scan_texts([t.text for t in corpus[first : first + CHUNK]], engine))
        if progress is not None:
            progress(min(CHUNK, len(corpus) - first))
    return evaluate(corpus, findings, labels, rules, min_coverage, path.name, examples)
