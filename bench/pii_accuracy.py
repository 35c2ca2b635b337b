"""PII accuracy figures on real annotated text and on the adversarial set, beside a same-run baseline.

The baseline is the same engine with the statistical tagger switched off (``model.enabled:
false``): the rules alone, as before the tagger voted. Real corpora are in ``bench/corpora``
(sources, licences and which ones were used for tuning in its README). Matching: names exact,
addresses covered to 60% (``huiliu.pii.evaluation``).

Run alone: ``python -m bench.pii_accuracy``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

CORPORA = Path(__file__).resolve().parent / "corpora"
REAL = (
    ("msra_test.jsonl", "PERSON", "MSRA NER test split (held out)", "recall >= 0.92, precision >= 0.85"),
    ("weibo_test.jsonl", "PERSON", "Weibo NER test split (held out)", "-"),
    ("cluener_dev.jsonl", "PERSON", "CLUENER2020 dev sentences (held out)", "-"),
    (
        "cluener_dev.jsonl",
        "ADDRESS",
        "CLUENER2020 dev, postal addresses in sentences (held out)",
        "recall >= 0.90",
    ),
    (
        "chinese_address_test.jsonl",
        "ADDRESS",
        "Neural Chinese Address Parsing test (held out)",
        "recall >= 0.90",
    ),
    ("peoples_daily_test.jsonl", "PERSON", "People's Daily 1998 test split (tuning)", "-"),
    ("chinese_address_dev.jsonl", "ADDRESS", "Neural Chinese Address Parsing dev (tuning)", "-"),
)
NUMBERS = ("CN_RESIDENT_ID", "CN_MOBILE", "BANK_CARD")


def _engines() -> tuple[Any, Any]:
    from huiliu.pii.config import load_config
    from huiliu.pii.engine import build_engine, get_engine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules_only.yaml"
        path.write_text("model: {enabled: false}\n", encoding="utf-8")
        return get_engine(), build_engine(load_config(path), path)


def _row(figure: str, ours: float | None, baseline: float | None, target: str) -> dict[str, Any]:
    ours_v, base_v = ours or 0.0, baseline or 0.0
    return {
        "figure": figure,
        "ours": round(ours_v, 4),
        "baseline": round(base_v, 4),
        "ratio": round(ours_v / base_v, 2) if base_v else float("inf"),
        "target": target,
    }


def real_rows() -> list[dict[str, Any]]:
    """Precision and recall per real corpus and entity, with the tagger and with the rules alone."""
    from huiliu.pii.evaluation import evaluate_corpus

    engine, rules_only = _engines()
    rows = []
    for name, entity, label, target in REAL:
        path = CORPORA / name
        if not path.exists():
            rows.append(
                {"figure": f"{label}: corpus missing", "ours": 0, "baseline": 0, "ratio": 0, "target": target}
            )
            continue
        ours = evaluate_corpus(path, "jsonl", engine).score(entity)
        base = evaluate_corpus(path, "jsonl", rules_only).score(entity)
        assert ours is not None and base is not None
        count = f"{ours.planted:,} annotated"
        rows.append(
            _row(f"{entity} recall, {label}, {count} (vs rules alone)", ours.recall, base.recall, target)
        )
        rows.append(
            _row(f"{entity} precision, {label} (vs rules alone)", ours.precision, base.precision, "-")
        )
    return rows


def adversarial_rows(n: int = 3_000, seed: int = 7) -> list[dict[str, Any]]:
    """Numbers on the adversarial set: the held-out templates against the tuning ones."""
    from huiliu.pii.accuracy import score_findings
    from huiliu.pii.adversarial import adversarial_corpus
    from huiliu.pii.engine import get_engine
    from huiliu.pii.scanner import scan_texts

    engine = get_engine()
    scores = {}
    for which in ("tuning", "heldout"):
        texts = adversarial_corpus(which, n, seed)
        found = scan_texts([t.text for t in texts], engine)
        scores[which] = {s.entity_type: s for s in score_findings(texts, found)}
    rows = []
    for entity in NUMBERS:
        held, tuned = scores["heldout"][entity], scores["tuning"][entity]
        for measure in ("recall", "precision"):
            target = f">= {0.99 if measure == 'recall' else 0.98}, within 0.02 of tuning"
            figure = f"{entity} {measure}, adversarial held-out templates (vs tuning templates)"
            rows.append(_row(figure, getattr(held, measure), getattr(tuned, measure), target))
    return rows


def figures() -> list[dict[str, Any]]:
    """Every accuracy figure (a few minutes on two cores)."""
    return [*real_rows(), *adversarial_rows()]


if __name__ == "__main__":
    for row in figures():
        print(row)
