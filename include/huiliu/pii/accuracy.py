"""Precision and recall of the free-text scanner on the synthetic city's planted personal information.

The city generator writes every name, mobile number, address, ID number and card number it
plants into a free-text column to ``ground_truth.json`` (``free_text_pii``), with its exact
character span. :func:`score_city` reads those texts back from the city's sources, scans them and
compares.

Matching rule: a finding is a true positive when a planted entity has the same entity type and
exactly the same span (``match="exact"``, the default and what the thresholds are asserted on);
``match="overlap"`` accepts any overlap of the same type instead. Each planted entity and each
finding is matched at most once. Texts without planted entities count too: anything found there
is a false positive. Findings of types the city never plants (ETHNICITY, HEALTH …) are reported
in rows of their own, with no recall.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from huiliu.contracts import load_contract
from huiliu.contracts.model import SqlSource
from huiliu.errors import ConfigurationError
from huiliu.pii.engine import PiiEngine
from huiliu.pii.scanner import Finding, scan_texts

Match = Literal["exact", "overlap"]
Span = tuple[str, int, int]


@dataclass(frozen=True)
class EntityScore:
    """Precision and recall of one entity type.

    Attributes:
        entity_type: the entity type.
        planted: entities of this type in the ground truth.
        found: findings of this type.
        true_positives: findings matching a planted entity.
    """

    entity_type: str
    planted: int
    found: int
    true_positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.planted if self.planted else None

    def as_dict(self) -> dict[str, Any]:
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


def _read_truth(city_dir: Path) -> dict[str, Any]:
    path = city_dir / "ground_truth.json"
    if not path.exists():
        raise ConfigurationError(f"{path}: no ground truth; generate the city with `huiliu city generate`")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
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
    for text, row in zip(texts, findings, strict=True):
        spans = [(f.entity_type, f.start, f.end) for f in row]
        planted.update(e for e, _, _ in text.planted)
        found.update(e for e, _, _ in spans)
        hits.update(_matches(list(text.planted), spans, match))
    entities = sorted(set(planted) | set(found), key=lambda e: (-planted[e], e))
    return [EntityScore(e, planted[e], found[e], hits[e]) for e in entities]


def _matches(planted: list[Span], found: list[Span], match: Match) -> list[str]:
    """Entity types of found spans matched one-to-one to planted spans."""
    remaining = list(planted)
    matched = []
    for entity, start, end in found:
        for index, (p_entity, p_start, p_end) in enumerate(remaining):
            same = (p_start, p_end) == (start, end) if match == "exact" else p_start < end and start < p_end
            if entity == p_entity and same:
                matched.append(entity)
                del remaining[index]
                break
    return matched


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
