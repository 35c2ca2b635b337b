"""Scoring the gate against planted defects."""

from __future__ import annotations

from collections import Counter

from huiliu.quality.score import score_detection

TRUTH = {
    "counts": {"a": 100, "b": 50},
    "defects": [
        {"dataset": "a", "key": "k1", "column": "x", "defect": "missing_required"},
        {"dataset": "a", "key": "k2", "column": "x", "defect": "duplicate_record"},
        {"dataset": "b", "key": "k3", "column": "id", "defect": "dead_in_registry"},
        {"dataset": "b", "key": "k4", "column": "id", "defect": "dead_in_registry"},
    ],
}


def test_quarantine_and_flags_both_count_as_detected() -> None:
    result = score_detection(TRUTH, {"a": Counter({"k1": 1, "k2": 1})}, {"b": {"k3"}})
    assert result["recall"] == 0.75
    assert result["by_defect"]["dead_in_registry"] == {
        "planted": 2,
        "quarantined": 0,
        "flagged": 1,
        "detected": 1,
        "recall": 0.5,
    }


def test_clean_rows_quarantined_count_against_the_gate() -> None:
    result = score_detection(TRUTH, {"a": Counter({"k1": 1, "k2": 1, "clean1": 1, "clean2": 2})}, {})
    # 150 rows, minus 4 defect keys and the extra copy of the duplicate
    assert result["clean_rows"] == 145
    assert result["clean_rows_quarantined"] == 3
    assert result["false_quarantine_rate"] == round(3 / 145, 6)
