"""ExpectColumnValuesToBeWithinFreshnessWindow: dates or timestamps are not in the future nor too old."""

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
from huiliu.quality.rules.timestamps import as_of_datetime, within_window


def _within_window(
    column: pd.Series, as_of: str | date | None = None, max_age_days: int | None = None
) -> object:
    age = None if max_age_days is None else int(max_age_days)
    return within_window(column, as_of=as_of_datetime(as_of), max_age_days=age)


class ExpectColumnValuesToBeWithinFreshnessWindow(ColumnRuleExpectation):
    """Expect dates or timestamps to be no later than ``as_of`` and at most ``max_age_days`` before it.

    Naive values are Asia/Shanghai wall-clock times; zoned values and a zoned ``as_of`` are
    converted to it. Timestamps may run five minutes ahead of ``as_of`` (clock skew); dates may be
    ``as_of``'s own day.

    Args:
        column: a date, timestamp or ISO 8601 string column.
        as_of: the reference time (ISO 8601 string; a date alone means its midnight); now when omitted.
        max_age_days: the oldest allowed age in days; null only checks that nothing is in the future.
        mostly: the share of non-null values that must be valid.
    """

    as_of: str | date | SuiteParameterDict[str, Any] | None = pydantic.Field(
        default=None, description="Reference time (ISO 8601); values may not be later."
    )
    max_age_days: int | SuiteParameterDict[str, Any] | None = pydantic.Field(
        default=None, description="Oldest allowed age in days; null checks only for future values."
    )

    short_description = (
        "Expect column dates or timestamps to be no later than as_of, at most max_age_days old."
    )
    library_metadata = library_metadata(tags=("column map expectation", "freshness"))
    map_metric = column_rule_metric(
        "column_values.within_freshness_window", _within_window, "as_of", "max_age_days"
    )
    success_keys = ("as_of", "max_age_days", "mostly")

    class Config:
        title = "Expect column values to be within a freshness window"

    _as_of_is_iso = as_of_validator(as_of_datetime)
    _age_not_negative = not_negative_validator("max_age_days")

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        return not_in_future_template(renderer_configuration, "max_age_days", "days old")
