"""Routing one validated chunk (pure): which rows pass, which fail, which were decided before."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from huiliu.quality.gate_routing import Routing, route_chunk
from huiliu.quality.validation import ExpectationOutcome


def _outcome(severity: str, rows: list[int]) -> ExpectationOutcome:
    return ExpectationOutcome(
        type="expect_column_values_to_not_be_null",
        columns=("name",),
        severity=severity,
        success=not rows,
        element_count=10,
        unexpected_count=len(rows),
        unexpected_rows=np.array(rows, dtype=np.int64),
    )


ROWS = pa.table({"id": [f"r{i}" for i in range(10, 15)]})  # batch positions 10..14


def test_row_failures_and_lost_duplicates_fail_in_batch_positions() -> None:
    outcomes = [_outcome("critical", [11]), _outcome("warning", [13])]
    decision = route_chunk(ROWS, 10, outcomes, losers=np.array([3, 14]), decided=None)

    assert decision.keep.tolist() == [True, False, True, False, False]
    assert decision.failing.tolist() == [11, 13, 14] and decision.counted == 3
    assert decision.failed.tolist() == [False, True, False, True, True]


def test_a_batch_level_failure_fails_no_row() -> None:
    decision = route_chunk(
        ROWS, 10, [_outcome("batch", [10, 11])], losers=np.array([], dtype=np.int64), decided=None
    )
    assert decision.keep.all() and decision.counted == 0


def test_rows_decided_before_neither_pass_nor_go_to_quarantine_again_but_count() -> None:
    decided = np.array([False, True, True, False, False])
    decision = route_chunk(
        ROWS, 10, [_outcome("critical", [11])], losers=np.array([], dtype=np.int64), decided=decided
    )

    assert decision.keep.tolist() == [True, False, False, True, True]
    assert decision.failing.tolist() == [] and decision.counted == 1
    assert not decision.failed.any()


def test_past_the_hold_share_failing_rows_are_no_longer_kept() -> None:
    routing = Routing(hold_above=1.5)
    one = route_chunk(
        ROWS, 10, [_outcome("critical", [11])], losers=np.array([], dtype=np.int64), decided=None
    )
    routing.add([], one, 5)
    assert not routing.surely_held
    two = route_chunk(
        ROWS, 15, [_outcome("critical", [16])], losers=np.array([], dtype=np.int64), decided=None
    )
    routing.add([], two, 5)
    assert routing.surely_held and routing.failed == 2 and routing.rows == 10
    assert routing.failing == []
