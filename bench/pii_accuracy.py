"""PII accuracy figures on real annotated text and on the adversarial set, beside a same-run baseline.

The baseline is the same engine with the statistical tagger switched off (``model.enabled:
false``): the rules alone, as before the tagger voted. Real corpora are read from
``tests/fixtures/pii_corpora`` if a file of that name is there, else from ``bench/corpora``
(sources, licences and which ones were used for tuning in its README). Matching: names exact,
addresses covered to 60% (``huiliu.pii.evaluation``).

Run alone: ``python -m bench.pii_accuracy`` prints :func:`accuracy_rows` (the issue's targets);
``--all`` adds the further corpora and the adversarial set.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
CORPORA = BENCH / "corpora"
FIXTURES = BENCH.parent / "tests" / "fixtures" / "pii_corpora"
TARGETED = (
    (("msra_test.jsonl",), "PERSON", "MSRA NER test split (held out)", ">= 0.92", ">= 0.85"),
    (("cluener_dev.jsonl",), "PERSON", "CLUENER2020 dev sentences (held out)", "-", "-"),
    (
        ("cluener_dev.jsonl",),
        "ADDRESS",
        "CLUENER2020 dev, postal addresses in sentences (held out)",
        ">= 0.90",
        "-",
    ),
    (
        ("ccks_address.jsonl", "chinese_address_test.jsonl"),
        "ADDRESS",
        "whole addresses (held out)",
        ">= 0.90",
        "-",
    ),
)
"""(file names, first found wins; entity; label; recall target; precision target): the issue's corpora."""
OTHER = (
    (("weibo_test.jsonl",), "PERSON", "Weibo NER test split (held out)", "-", "-"),
    (("peoples_daily_test.jsonl",), "PERSON", "People's Daily 1998 test split (tuning)", "-", "-"),
    (("msra_dev.jsonl",), "PERSON", "MSRA NER training split, 3,000 sentences (tuning)", "-", "-"),
    (("weibo_dev.jsonl",), "PERSON", "Weibo NER dev split (tuning)", "-", "-"),
    (("cluener_train_part.jsonl",), "PERSON", "CLUENER2020 training split, first 3,000 (tuning)", "-", "-"),
    (
        ("cluener_train_part.jsonl",),
        "ADDRESS",
        "CLUENER2020 training split, first 3,000, postal addresses (tuning)",
        "-",
        "-",
    ),
    (("chinese_address_dev.jsonl",), "ADDRESS", "Neural Chinese Address Parsing dev (tuning)", "-", "-"),
)
"""Further corpora, measured without a target."""


def _engines() -> tuple[Any, Any]:
    from huiliu.pii.config import load_config
    from huiliu.pii.engine import build_engine, get_engine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules_only.yaml"
        path.write_text("model: {enabled: false}\n", encoding="utf-8")
        return get_engine(), build_engine(load_config(path), path)


def figure_row(figure: str, ours: float | None, baseline: float | None, target: str) -> dict[str, Any]:
    """A figure beside its same-run baseline, as ``bench.__main__`` prints it."""
    ours_v, base_v = ours or 0.0, baseline or 0.0
    return {
        "figure": figure,
        "ours": round(ours_v, 4),
        "baseline": round(base_v, 4),
        "ratio": round(ours_v / base_v, 2) if base_v else float("inf"),
        "target": target,
    }


def _blank(figure: str, target: str) -> dict[str, Any]:
    return {"figure": figure, "ours": 0, "baseline": 0, "ratio": 0, "target": target}


def corpus_path(names: tuple[str, ...]) -> Path | None:
    """The first of the files found in ``tests/fixtures/pii_corpora``, then in ``bench/corpora``."""
    return next((d / n for n in names for d in (FIXTURES, CORPORA) if (d / n).exists()), None)


def _corpus_rows(corpora: tuple[tuple[tuple[str, ...], str, str, str, str], ...]) -> list[dict[str, Any]]:
    """Recall and precision rows of each (corpus, entity), with the tagger and with the rules alone."""
    from huiliu.pii.evaluation import evaluate_corpus

    engine, rules_only = _engines()
    done: dict[Path, tuple[Any, Any]] = {}
    rows = []
    for names, entity, label, recall_target, precision_target in corpora:
        path = corpus_path(names)
        if path is None:
            target = f"recall {recall_target}, precision {precision_target}"
            rows.append(_blank(f"{entity}, {label} ({names[0]}): corpus missing", target))
            continue
        if path not in done:
            done[path] = (evaluate_corpus(path, "jsonl", engine), evaluate_corpus(path, "jsonl", rules_only))
        ours, base = (result.score(entity) for result in done[path])
        if ours is None or base is None:
            rows.append(_blank(f"{entity}, {label} ({path.name}): not annotated", recall_target))
            continue
        count = f"{ours.planted:,} annotated in {path.name}"
        rows.append(
            figure_row(
                f"{entity} recall, {label}, {count} (vs rules alone)", ours.recall, base.recall, recall_target
            )
        )
        rows.append(
            figure_row(
                f"{entity} precision, {label} (vs rules alone)",
                ours.precision,
                base.precision,
                precision_target,
            )
        )
    return rows


def accuracy_rows() -> list[dict[str, Any]]:
    """Precision and recall of names and addresses on the issue's held-out corpora, vs the rules alone.

    A corpus whose file is absent gives one "corpus missing" row instead.
    """
    return _corpus_rows(TARGETED)


def real_rows() -> list[dict[str, Any]]:
    """:func:`accuracy_rows` and the further real corpora."""
    return _corpus_rows(TARGETED + OTHER)


def figures() -> list[dict[str, Any]]:
    """Every accuracy figure (a few minutes on two cores)."""
    from bench.pii_adversarial import adversarial_rows

    return [*real_rows(), *adversarial_rows()]


if __name__ == "__main__":
    for row in figures() if "--all" in sys.argv[1:] else accuracy_rows():
        print(row)
