"""The one place where overlapping findings of different entity types are resolved.

Each recognizer reports one entity type and settles its own overlaps (Presidio's de-duplication,
and for names and addresses the vote of rules and tagger). Two recognizers can still claim the
same characters: an 18-digit number that is a resident ID and passes a card's Luhn check, a
village named after a family that the tagger calls a person. The rule:

* a finding lying wholly inside (or on) a finding of another type that ranks higher is dropped;
* rank: the higher score first, then the longer span, then the entity type's name;
* findings that only partly overlap are both kept, so that masking covers every character
  either of them claims.

Both :meth:`huiliu.pii.engine.PiiEngine.analyze` and the fast scanner apply this function, so
their findings stay identical.
"""

from __future__ import annotations

from typing import Protocol, TypeVar


class Span(Protocol):
    """Anything with an entity type, a span and a score (a Presidio result, a scanner finding)."""

    @property
    def entity_type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...


S = TypeVar("S", bound=Span)


def _rank(item: Span) -> tuple[float, int, str]:
    return (-item.score, -(item.end - item.start), item.entity_type)


def resolve_overlaps(findings: list[S]) -> list[S]:
    """``findings`` without those inside a higher-ranked finding of another type, order kept."""
    if len(findings) < 2 or len({f.entity_type for f in findings}) < 2:
        return findings
    ranked = sorted(findings, key=_rank)
    place = {id(f): i for i, f in enumerate(ranked)}
    covers = _covering_other_types(ranked)
    dropped: set[int] = set()
    for item in ranked:
        if any(place[id(c)] < place[id(item)] and id(c) not in dropped for c in covers.get(id(item), ())):
            dropped.add(id(item))
    return [f for f in findings if id(f) not in dropped]


def _covering_other_types(ranked: list[S]) -> dict[int, list[S]]:
    """For each finding (by ``id``), the findings of another type ranked above it whose span holds it
    (and perhaps some ranked below, which the caller skips).

    One sweep in order of start: only findings still reaching a start can hold what starts there,
    so texts with many findings side by side are not compared pair by pair. The sort is stable over
    ``ranked``: of two findings on one span the higher-ranked comes first, and holds the other.
    """
    covers: dict[int, list[S]] = {}
    reaching: list[S] = []
    for item in sorted(ranked, key=lambda f: (f.start, -f.end)):
        reaching = [r for r in reaching if r.end >= item.start]
        for other in reaching:
            if other.entity_type == item.entity_type:
                continue
            if item.end <= other.end:  # other starts no later: it holds item
                covers.setdefault(id(item), []).append(other)
        reaching.append(item)
    return covers
