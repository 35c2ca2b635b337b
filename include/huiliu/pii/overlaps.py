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
    dropped: set[int] = set()
    for position, item in enumerate(ranked):
        for better in ranked[:position]:
            if (
                better.entity_type != item.entity_type
                and better.start <= item.start
                and item.end <= better.end
                and id(better) not in dropped
            ):
                dropped.add(id(item))
                break
    return [f for f in findings if id(f) not in dropped]
