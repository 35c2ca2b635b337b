"""Precision and recall of the free-text scanner on the synthetic city's planted personal information.

The city generator writes every name, mobile number, address, ID number and card number it
plants into a free-text column to ``ground_truth.json`` (``free_text_pii``), with its exact
character span. :func:`score_city` reads those texts back from the city's sources, scans them and
compares.

Matching rule (:func:`match_spans`, shared with :mod:`huiliu.pii.evaluation`): a finding is a true
positive when a planted entity has the same entity type and exactly the same span
(``match="exact"``, the default and what the thresholds are asserted on); ``match="overlap"``
accepts any overlap of the same type instead, and ``match="coverage"`` a finding covering enough of
the planted span. Each planted entity and each finding is matched at most once, largest overlap
first. Texts without planted entities count too: anything found there is a false positive.
Findings of types the city never plants (ETHNICITY, HEALTH …) are reported in rows of their own,
with no recall.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias, TypedDict

import sqlalchemy as sa

from huiliu.contracts import load_contract
from huiliu.contracts.model import SqlSource
from huiliu.errors import ConfigurationError
from huiliu.pii.engine import PiiEngine
from huiliu.pii.scanner import Finding, scan_texts

if TYPE_CHECKING:  # the city generator's own imports are not needed to read its ground truth
    from huiliu.city.groundtruth import GroundTruth

Match: TypeAlias = Literal["exact", "overlap", "coverage"]
"""How a finding matches an annotated span of its type (see :func:`match_spans`)."""
MATCHES: tuple[Match, ...] = ("exact", "overlap", "coverage")
Span: TypeAlias = tuple[str, int, int]


class EntityScoreRecord(TypedDict):
    """An :class:`EntityScore` as JSON (precision and recall rounded to 4 places)."""

    entity_type: str
    planted: int
    found: int
    true_positives: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class EntityScore:
    """Precision and recall of one entity type.

    Attributes:
        entity_type: the entity type.
        planted: entities of this type in the ground truth.
        found: findings of this type.
        true_positives: planted entities matched by a finding (recall's numerator).
        correct_findings: findings counted as right for precision, when that differs from
            ``true_positives`` (the ``coverage`` rule); None means ``true_positives``.
    """

    entity_type: str
    planted: int
    found: int
    true_positives: int
    correct_findings: int | None = None

    @property
    def precision(self) -> float | None:
        right = self.true_positives if self.correct_findings is None else self.correct_findings
        return right / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.planted if self.planted else None

    def as_dict(self) -> EntityScoreRecord:
        return {
            "entity_type": self.entity_type,
            "planted": self.planted,
            "found": self.found,
            "true_positives": self.true_positives,
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
        }


@dataclass(frozen=True)
class LabelledText:
    """A free text of the city and its planted entities (type, start, end)."""

    dataset: str
    key: str
    text: str
    planted: tuple[Span, ...]


def load_labelled_texts(city_dir: Path, limit: int | None = None) -> list[LabelledText]:
    """Every free text of the datasets named in the city's ground truth, planted entities or not.

    Rows sharing a key (planted duplicates) are read once; empty texts are skipped.
    """
    truth = _read_truth(city_dir)
    planted: dict[tuple[str, str], tuple[Span, ...]] = {}
    columns: dict[str, str] = {}
    for item in truth.get("free_text_pii", []):
        columns[item["dataset"]] = item["column"]
        spans = tuple((e["entity_type"], e["start"], e["end"]) for e in item["entities"])
        planted[(item["dataset"], item["key"])] = spans
    connections = json.loads((city_dir / "connections.json").read_text(encoding="utf-8"))
    out: list[LabelledText] = []
    for dataset, column in sorted(columns.items()):
        for key, text in _rows(dataset, column, connections):
            out.append(LabelledText(dataset, key, text, planted.get((dataset, key), ())))
            if limit is not None and len(out) >= limit:
                return out
    return out


def _read_truth(city_dir: Path) -> GroundTruth:
    path = city_dir / "ground_truth.json"
    if not path.exists():
        raise ConfigurationError(f"{path}: no ground truth; generate the city with `huiliu city generate`")
    data: GroundTruth = json.loads(path.read_text(encoding="utf-8"))
    return data


def _rows(dataset: str, column: str, connections: dict[str, str]) -> Iterable[tuple[str, str]]:
    """(key, text) of a dataset's free-text column, first row of each key, from the city's source."""
    contract = load_contract(dataset)
    source = contract.source
    if not isinstance(source, SqlSource) or source.table is None:
        raise ConfigurationError(f"dataset {dataset}: accuracy needs a SQL table source")
    key = contract.schema_.primary_key[0]
    engine = sa.create_engine(connections[source.connection])
    query = sa.text(f'SELECT "{key}", "{column}" FROM "{source.table}"')
    seen: set[str] = set()
    try:
        with engine.connect() as conn:
            for row_key, text in conn.execute(query):
                if text and str(row_key) not in seen:
                    seen.add(str(row_key))
                    yield str(row_key), str(text)
    finally:
        engine.dispose()


def score_findings(
    texts: list[LabelledText], findings: list[list[Finding]], match: Match = "exact"
) -> list[EntityScore]:
    """Per-entity precision and recall of findings against the planted entities."""
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for text, row in zip(texts, findings, strict=True):
        spans = [(f.entity_type, f.start, f.end) for f in row]
        planted.update(e for e, _, _ in text.planted)
        found.update(e for e, _, _ in spans)
        for entity in {e for e, _, _ in spans} & {e for e, _, _ in text.planted}:
            gold = [(s, e) for t, s, e in text.planted if t == entity]
            ours = [(s, e) for t, s, e in spans if t == entity]
            matched, correct = match_spans(gold, ours, match)
            hits[entity] += len(matched)
            right[entity] += len(correct)
    entities = sorted(set(planted) | set(found), key=lambda e: (-planted[e], e))
    return [
        EntityScore(e, planted[e], found[e], hits[e], None if right[e] == hits[e] else right[e])
        for e in entities
    ]


def match_spans(
    gold: Sequence[tuple[int, int]],
    found: Sequence[tuple[int, int]],
    match: Match = "exact",
    min_coverage: float = 0.6,
) -> tuple[set[int], set[int]]:
    """Which annotated spans are matched and which findings are right, for spans of one entity type.

    Pairs are matched one to one, largest overlap first: ``exact`` needs the same span,
    ``overlap`` any shared character, ``coverage`` a finding covering at least ``min_coverage`` of
    the annotated span's characters. Under ``coverage`` a finding is right for precision when it
    overlaps any annotated span.

    Args:
        gold: annotated ``(start, end)`` spans, end exclusive.
        found: the findings' ``(start, end)`` spans.
        match: the rule.
        min_coverage: the share of an annotated span a finding must cover under ``coverage``.

    Returns:
        The indexes of the matched annotated spans and the indexes of the right findings.
    """
    pairs = []
    for g, (g_start, g_end) in enumerate(gold):
        for f, (f_start, f_end) in enumerate(found):
            shared = min(g_end, f_end) - max(g_start, f_start)
            if shared > 0:
                pairs.append((-shared, g, f))
    pairs.sort()
    matched: set[int] = set()
    right: set[int] = set()
    for negative, g, f in pairs:
        if g in matched or f in right:
            continue
        if match == "exact" and gold[g] != found[f]:
            continue
        if match == "coverage" and -negative < min_coverage * (gold[g][1] - gold[g][0]):
            continue
        matched.add(g)
        right.add(f)
    if match == "coverage":
        right = {f for f, (s, e) in enumerate(found) if any(gs < e and s < ge for gs, ge in gold)}
    return matched, right


def score_city(
    city_dir: Path, engine: PiiEngine | None = None, match: Match = "exact", limit: int | None = None
) -> list[EntityScore]:
    """Scan the city's free texts and score the findings per entity type (see the module rule)."""
    texts = load_labelled_texts(city_dir, limit)
    findings = scan_texts([t.text for t in texts], engine)
    return score_findings(texts, findings, match)


def format_table(scores: list[EntityScore]) -> str:
    """The per-entity table as plain text, for printing."""
    lines = [f"{'entity':<18}{'planted':>9}{'found':>9}{'tp':>9}{'precision':>11}{'recall':>9}"]
    for s in scores:
        precision = "-" if s.precision is None else f"{s.precision:.4f}"
        recall = "-" if s.recall is None else f"{s.recall:.4f}"
        lines.append(
            f"{s.entity_type:<18}{s.planted:>9}{s.found:>9}{s.true_positives:>9}{precision:>11}{recall:>9}"
        )
    return "\n".join(lines)
