"""Dates that cannot be true: after as_of, more than 130 years back, or before the person was born."""

from __future__ import annotations

from datetime import date, datetime

import great_expectations as gx
import pytest
from great_expectations.expectations.registry import get_renderer_impl
from great_expectations.render import LegacyRendererType

import huiliu.quality.expectations  # noqa: F401  (registers huiliu's expectation types with GX)
from huiliu.quality.rules import dates_not_before_births, not_in_future
from tests.quality.suite_rows import resident_id

AS_OF = datetime(2026, 11, 1, 12, 0)  # Shanghai wall time
ID = resident_id("520102", date(1950, 3, 7), 451)


@pytest.mark.parametrize(
    ("value", "max_age_years", "valid"),
    [
        (date(2026, 11, 1), None, True),  # as_of's own day
        (date(2026, 11, 2), None, False),
        (datetime(2026, 11, 1, 12, 4), None, True),  # clock skew
        (datetime(2026, 11, 1, 12, 6), None, False),
        (date(1896, 11, 1), 130, True),  # 130 years old today
        (date(1896, 10, 31), 130, False),
        (date(1800, 1, 1), None, True),
        ("2026-12-01", None, False),
        ("not a date", None, False),
        (None, 130, True),
    ],
    ids=repr,
)
def test_not_in_the_future(value: object, max_age_years: int | None, valid: bool) -> None:
    assert not_in_future([value], as_of=AS_OF, max_age_years=max_age_years).tolist() == [valid]


@pytest.mark.parametrize(
    ("number", "when", "valid"),
    [
        (ID, date(1950, 3, 7), True),  # the day of birth
        (ID, date(1950, 3, 6), False),
        (ID, datetime(1950, 3, 6, 23, 59), False),
        (ID, "1949-12-31", False),
        (ID, "不详", False),
        (ID[:17] + ("0" if ID[17] != "0" else "1"), date(1900, 1, 1), True),  # the ID rule reports it
        (None, date(1900, 1, 1), True),
        (ID, None, True),
    ],
    ids=repr,
)
def test_nothing_happens_before_the_birth_in_the_id(number: str | None, when: object, valid: bool) -> None:
    assert dates_not_before_births([number], [when]).tolist() == [valid]


@pytest.mark.parametrize(
    ("kind", "kwargs", "sentence"),
    [
        (
            "expect_column_values_to_not_be_in_the_future",
            {"column": "birth_date", "as_of": "2026-11-01", "max_age_years": 130},
            "$column values must not be in the future relative to $as_of nor more than $max_age_years years",
        ),
        (
            "expect_column_pair_values_to_not_predate_cn_resident_id_birth",
            {"column_A": "id_number", "column_B": "approval_date"},
            "Values in $column_B must not be before the birth date in the resident IDs of $column_A.",
        ),
    ],
)
def test_data_docs_say_what_the_rule_checks(kind: str, kwargs: dict, sentence: str) -> None:
    (expectation,) = gx.ExpectationSuite(
        name="s", expectations=[{"type": kind, "kwargs": kwargs}]
    ).expectations
    _, legacy = get_renderer_impl(kind, LegacyRendererType.PRESCRIPTIVE)
    (content,) = legacy(configuration=expectation.configuration)
    assert content.to_json_dict()["string_template"]["template"].startswith(sentence)


def test_a_negative_age_limit_is_refused_when_the_suite_loads() -> None:
    with pytest.raises(ValueError, match="max_age_years"):
        gx.ExpectationSuite(
            name="bad",
            expectations=[
                {
                    "type": "expect_column_values_to_not_be_in_the_future",
                    "kwargs": {"column": "birth_date", "max_age_years": -1},
                }
            ],
        )
