"""PII accuracy on the adversarial set (``huiliu.pii.adversarial``), each template set beside the other.

For each template set (tuning, held out) and entity (the three number entities, with the issue's
targets, and PERSON and ADDRESS, reported without one): precision and recall of the engine's
findings, exact span and type (``huiliu.pii.accuracy.score_findings``). A row's baseline is the same
figure on the other template set, so the ratio shows how far the held-out wording moves it. A last
row counts BANK_CARD findings on planted resident IDs (target 0).

Run alone: ``python -m bench.pii_adversarial [texts per set]``.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.pii_accuracy import figure_row

NUMBERS = ("CN_RESIDENT_ID", "CN_MOBILE", "BANK_CARD")
REPORTED = ("PERSON", "ADDRESS")
TARGETS = {"recall": 0.99, "precision": 0.98}
"""Floor of each measure for the number entities, on each set."""
MAX_GAP = 0.02
"""Largest difference allowed between the two sets' figures for a number entity."""
LABELS = {"tuning": "tuning templates", "heldout": "held-out templates"}
SEED = 7


def adversarial_rows(n: int = 3_000, seed: int = SEED) -> list[dict[str, Any]]:
    """Per template set and entity, precision and recall on ``n`` adversarial texts per set.

    Args:
        n: texts per template set.
        seed: the seed of the set.

    Returns:
        Rows of ``figure``, ``ours`` (the set's figure), ``baseline`` (the other set's),
        ``ratio`` and ``target``.
    """
    from huiliu.identity.resident_id import compact, valid_resident_id
    from huiliu.pii.accuracy import score_findings
    from huiliu.pii.adversarial import SETS, adversarial_corpus
    from huiliu.pii.engine import get_engine
    from huiliu.pii.normalize import normalize
    from huiliu.pii.scanner import scan_texts

    engine = get_engine()
    scores: dict[str, dict[str, Any]] = {}
    cards_on_ids: dict[str, int] = {}
    planted_ids: dict[str, int] = {}
    for which in SETS:
        texts = adversarial_corpus(which, n, seed)
        found = scan_texts([t.text for t in texts], engine)
        scores[which] = {s.entity_type: s for s in score_findings(texts, found)}
        wrong = 0
        for text, findings in zip(texts, found, strict=True):
            ids = [(s, e) for k, s, e in text.planted if k == "CN_RESIDENT_ID"]
            for f in findings:
                if f.entity_type != "BANK_CARD":
                    continue
                digits = compact(normalize(text.text[f.start : f.end]).text)
                wrong += any(s < f.end and f.start < e for s, e in ids) or valid_resident_id(digits)
        cards_on_ids[which] = wrong
        planted_ids[which] = sum(k == "CN_RESIDENT_ID" for t in texts for k, _, _ in t.planted)
    rows = []
    for entity in (*NUMBERS, *REPORTED):
        for measure in ("recall", "precision"):
            for which, other in (("tuning", "heldout"), ("heldout", "tuning")):
                ours, theirs = scores[which].get(entity), scores[other].get(entity)
                planted = ours.planted if ours else 0
                if entity in NUMBERS:
                    target = f">= {TARGETS[measure]}, within {MAX_GAP} of the other set"
                else:
                    target = "- (reported)"
                figure = (
                    f"{entity} {measure}, adversarial {LABELS[which]} ({planted:,} planted; "
                    f"baseline: {LABELS[other]})"
                )
                rows.append(
                    figure_row(figure, getattr(ours, measure, None), getattr(theirs, measure, None), target)
                )
    for which in SETS:
        figure = f"BANK_CARD findings on resident IDs, adversarial {LABELS[which]} (baseline: IDs planted)"
        rows.append(figure_row(figure, cards_on_ids[which], planted_ids[which], "0"))
    return rows


if __name__ == "__main__":
    for row in adversarial_rows(int(sys.argv[1]) if len(sys.argv) > 1 else 3_000):
        print(row)
