"""Row and batch decisions from expectation outcomes."""

from __future__ import annotations

import numpy as np

from huiliu.quality.validation import ExpectationOutcome
from huiliu.quality.verdict import combine, decide


def _outcome(
    kind: str,
    severity: str,
    rows: list[int],
    success: bool | None = None,
    total: int = 10,
    mostly: float = 1.0,
) -> ExpectationOutcome:
    return ExpectationOutcome(
        type=kind,
        columns=("c",),
        severity=severity,
        success=not rows if success is None else success,
        element_count=total,
        unexpected_count=len(rows),
        unexpected_rows=np.array(rows, dtype=np.int64),
        kwargs={"mostly": mostly},
    )


def test_warning_failures_quarantine_only_their_rows() -> None:
    rules = combine([[_outcome("a", "warning", [1, 3]), _outcome("b", "warning", [3])]])
    verdict = decide(rules, 100, 0.05)
    assert verdict.status == "quarantined"
    assert verdict.failing_positions.tolist() == [1, 3]
    assert verdict.failures_by_row == {1: [0], 3: [0, 1]}
    assert verdict.rows_curated == 98 and verdict.pass_rate == 0.98


def test_info_failures_pass_the_rows() -> None:
    verdict = decide(combine([[_outcome("a", "info", [1, 2])]]), 10, 0.05)
    assert verdict.status == "passed" and verdict.rows_quarantined == 0


def test_a_failed_critical_rule_holds_the_batch() -> None:
    verdict = decide(
        combine([[_outcome("ids", "critical", list(range(20)), total=100, mostly=0.9)]]), 100, 0.5
    )
    assert verdict.held and verdict.rows_quarantined == 100 and verdict.rows_curated == 0
    assert "critical rule failed: ids(c)" in verdict.held_reasons[0]


def test_a_critical_rule_within_mostly_quarantines_rows_but_does_not_hold() -> None:
    verdict = decide(combine([[_outcome("ids", "critical", [4], total=100, mostly=0.9)]]), 100, 0.05)
    assert not verdict.held and verdict.failing_positions.tolist() == [4]


def test_too_many_failing_rows_hold_the_batch() -> None:
    verdict = decide(combine([[_outcome("a", "warning", list(range(6)))]]), 100, 0.05)
    assert verdict.held
    assert "above the contract's max_failing_share of 5.0%" in verdict.held_reasons[0]


def test_mostly_is_judged_on_the_whole_batch_not_per_chunk() -> None:
    big = ExpectationOutcome("ids", ("c",), "critical", True, 1000, 0, np.empty(0, np.int64), {"mostly": 0.9})
    tail = ExpectationOutcome("ids", ("c",), "critical", False, 3, 1, np.array([1002]), {"mostly": 0.9})
    (rule,) = combine([[big], [tail]])
    assert (rule.element_count, rule.unexpected_count, rule.success) == (1003, 1, True)
    verdict = decide([rule], 1003, 0.05)
    assert not verdict.held and verdict.failing_positions.tolist() == [1002]


def test_without_mostly_one_failing_row_in_any_chunk_fails_the_rule() -> None:
    (rule,) = combine([[_outcome("a", "critical", [])], [_outcome("a", "critical", [12])]])
    assert rule.element_count == 20 and rule.unexpected_count == 1 and not rule.success


def test_missing_values_do_not_count_towards_mostly() -> None:
    outcome = ExpectationOutcome(
        "ids", ("c",), "critical", False, 10, 1, np.array([3]), {"mostly": 0.9}, missing_count=5
    )
    (rule,) = combine([[outcome]])
    assert not rule.success  # 4 of 5 checked values pass: 80% < 90%


def test_an_empty_batch_passes_with_zero_rows() -> None:
    verdict = decide(combine([]), 0, 0.05)
    assert verdict.status == "empty" and verdict.pass_rate is None and not verdict.held
