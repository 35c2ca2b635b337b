"""ExpectColumnValuesToNotBeInTheFuture: dates of things that have happened are not after as_of."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.render.renderer_configuration import RendererConfiguration

from huiliu.quality.expectations.common import (
    ColumnRuleExpectation,
    as_of_validator,
    column_rule_metric,
    library_metadata,
    not_in_future_template,
    not_negative_validator,
)
from huiliu.quality.rules.timestamps import as_of_datetime, not_in_future


def _not_in_future(
    column: pd.Series, as_of: str | date | None = None, max_age_years: int | None = None
) -> object:
    years = None if max_age_years is None else int(max_age_years)
    return not_in_future(column, as_of=as_of_datetime(as_of), max_age_years=years)


class ExpectColumnValuesToNotBeInTheFuture(ColumnRuleExpectation):
    """Expect the dates of things that have happened (a birth, an approval, a service, a call) to be
    no later than ``as_of``; with ``max_age_years``, also no earlier than that many calendar years
    before it (a birth date more than 130 years ago cannot be true).

    Naive values are Asia/Shanghai wall-clock times; zoned values and a zoned ``as_of`` are
    converted to it. Timestamps may run five minutes ahead of ``as_of`` (clock skew); dates may be
    ``as_of``'s own day. An unreadable string fails.

    Args:
        column: a date, timestamp or ISO 8601 string column.
        as_of: the reference time (ISO 8601 string; a date alone means its midnight); now when omitted.
        max_age_years: the oldest allowed age in whole years; null checks only for future values.
        mostly: the share of non-null values that must be valid.
    """

    as_of: str | date | SuiteParameterDict[str, Any] | None = pydantic.Field(
        default=None, description="Reference time (ISO 8601); values may not be later."
    )
    max_age_years: int | SuiteParameterDict[str, Any] | None = pydantic.Field(
        default=None, description="Oldest allowed age in calendar years; null checks only for future values."
    )

    short_description = (
        "Expect column dates or timestamps to be no later than as_of, nor over max_age_years old."
    )
    library_metadata = library_metadata(tags=("column map expectation", "validity"))
    map_metric = column_rule_metric(
        "column_values.not_in_the_future", _not_in_future, "as_of", "max_age_years"
    )
    success_keys = ("as_of", "max_age_years", "mostly")

    class Config:
        title = "Expect column values to not be in the future"

    _as_of_is_iso = as_of_validator(as_of_datetime)
    _age_not_negative = not_negative_validator("max_age_years")

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        return not_in_future_template(renderer_configuration, "max_age_years", "years before it")
