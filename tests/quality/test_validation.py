"""SuiteRunner: Great Expectations' own validation over frames, read back as row outcomes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from huiliu.quality.suites import SuiteDocument
from huiliu.quality.validation import SuiteRunner

SUITE = {
    "name": "people",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "age", "min_value": 0, "max_value": 120},
        },
    ],
}


def _frame(rows: int, bad_every: int, offset: int) -> pd.DataFrame:
    """``rows`` people whose every ``bad_every``-th age is impossible; indexed from ``offset``."""
    ages = np.full(rows, 30)
    ages[::bad_every] = 300
    return pd.DataFrame({"name": ["x"] * rows, "age": ages}, index=np.arange(offset, offset + rows))


def _failing(outcomes: list) -> list[int]:
    return sorted(int(r) for o in outcomes for r in o.unexpected_rows)


def test_each_frame_gets_its_own_failing_rows() -> None:
    runner = SuiteRunner(SuiteDocument(Path("people.json"), SUITE), "people")
    first, second = _frame(1_000, 7, 0), _frame(500, 3, 1_000)
    assert _failing(runner.validate(first, {}, "first")) == list(range(0, 1_000, 7))
    assert _failing(runner.validate(second, {}, "second")) == list(range(1_000, 1_500, 3))


def test_one_runner_used_from_several_threads_keeps_each_frame_apart() -> None:
    """Two validations at once must not read each other's frame (GX keeps one loaded batch per id)."""
    runner = SuiteRunner(SuiteDocument(Path("people.json"), SUITE), "people")
    frames = [_frame(200_000, 5 + k, k * 200_000) for k in range(4)]
    expected = [list(range(k * 200_000, (k + 1) * 200_000, 5 + k)) for k in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            results = list(pool.map(lambda a: runner.validate(a[1], {}, f"part {a[0]}"), enumerate(frames)))
            assert [_failing(r) for r in results] == expected
