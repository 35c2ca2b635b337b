"""How rule evidence and the statistical tagger's evidence vote on one entity type.

``PERSON`` and ``ADDRESS`` each have two voters: the recognizer's rules (surnames, context words,
address grammar, the division gazetteer) and the tagger (LAC's ``PER`` and ``LOC`` words, see
:mod:`huiliu.pii.tagger`). Each voter proposes spans with its own score:

* a span both voters found (their spans overlap) is reported once, with the score
  ``1 - (1 - rule) * (1 - model)`` (two independent pieces of evidence; always above either alone),
  ``found_by: rules+model``, and the span the entity's ``span`` rule picks: ``model`` takes the
  tagger's span unless the rule's rests on evidence of its own (names: a follower word such as
  反映 or 家庭 right after the rule's name), and when the rules' own span holds and they found
  several names inside the tagger's one (Ouyang Xiu、Lyu Bin read as one name), each of them is
  reported with its own span; ``model_start`` starts where the tagger's place names
  start, unless the rules' span begins earlier on evidence of its own (a house number, or a cue
  word or punctuation right before it), and ends at the farther end of both (addresses: the
  tagger knows where a place name begins, the rules' grammar reaches the room numbers);
* a span only the rules found keeps the rule score (``found_by: rules``);
* a span only the tagger found gets the entity's ``model`` score (``found_by: model``).

Findings of *different* entity types that overlap are resolved in one place, after every
recognizer has voted: :func:`huiliu.pii.overlaps.resolve_overlaps`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

from huiliu.pii.recognizers import Hit

SpanRule: TypeAlias = Literal["model", "model_start"]
RuleHolds: TypeAlias = Callable[[Hit, tuple[int, int]], bool]
"""Whether a rule hit's own span (or start) rests on evidence that overrides the tagger's span."""
MODEL_PATTERN = "lac"


def combined_score(rule: float, model: float) -> float:
    """The score of a span both voters found: ``1 - (1 - rule)(1 - model)``."""
    return round(1.0 - (1.0 - rule) * (1.0 - model), 6)


def vote(
    rule_hits: list[Hit],
    model_spans: list[tuple[int, int]],
    model_score: float,
    span: SpanRule,
    rule_holds: RuleHolds | None = None,
) -> list[Hit]:
    """Rule hits and model spans of one entity type, merged into one list of hits in reading order.

    Args:
        rule_hits: the rules' hits, not overlapping one another.
        model_spans: the tagger's spans, not overlapping one another, in order.
        model_score: the score of a span only the tagger found.
        span: which span a hit found by both voters gets (see the module rule).
        rule_holds: whether a rule hit's span (``model``) or earlier start (``model_start``) rests
            on evidence of its own and overrides the tagger's; never, when not given.
    """
    hits: list[Hit] = []
    used: set[int] = set()
    for start, end in model_spans:
        agreeing = [i for i, h in enumerate(rule_hits) if h.start < end and start < h.end and i not in used]
        if not agreeing:
            hits.append(Hit(start, end, model_score, MODEL_PATTERN, voters="model"))
            continue
        used.update(agreeing)
        best = max((rule_hits[i] for i in agreeing), key=lambda h: h.score)
        if span == "model_start":
            first_hit = min((rule_hits[i] for i in agreeing), key=lambda h: h.start)
            holds = first_hit.start < start and rule_holds is not None and rule_holds(first_hit, (start, end))
            first = first_hit.start if holds else start
            last = max(end, *(rule_hits[i].end for i in agreeing))
        else:
            holds = rule_holds is not None and rule_holds(best, (start, end))
            if holds and len(agreeing) > 1:  # the tagger ran two names into one: each keeps its span
                hits.extend(
                    rule_hits[i]._replace(
                        score=combined_score(rule_hits[i].score, model_score), voters="rules+model"
                    )
                    for i in agreeing
                )
                continue
            first, last = (best.start, best.end) if holds else (start, end)
        score = combined_score(best.score, model_score)
        hits.append(best._replace(start=first, end=last, score=score, voters="rules+model"))
    hits.extend(h for i, h in enumerate(rule_hits) if i not in used)
    return merged_overlaps(sorted(hits))


def merged_overlaps(hits: list[Hit]) -> list[Hit]:
    """Hits in order with overlapping ones merged: the higher score's fields, the union span."""
    out: list[Hit] = []
    for hit in hits:
        if out and hit.start < out[-1].end:
            last = out[-1]
            keep = last if last.score >= hit.score else hit
            out[-1] = keep._replace(start=min(last.start, hit.start), end=max(last.end, hit.end))
        else:
            out.append(hit)
    return out
