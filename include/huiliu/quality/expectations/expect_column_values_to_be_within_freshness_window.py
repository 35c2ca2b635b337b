"""ExpectColumnValuesToBeWithinFreshnessWindow: dates or timestamps are not in the future nor too old."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict, is_suite_parameter
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    SentenceRendering,
    add_params,
    check_as_of,
    finish_template,
    library_metadata,
    metadata_schema_extra,
)
from huiliu.quality.rules.timestamps import as_of_datetime, within_window

SHORT_DESCRIPTION = "Expect column dates or timestamps to be no later than as_of, at most max_age_days old."


class ColumnValuesWithinFreshnessWindow(ColumnMapMetricProvider):
    """Row-wise check that dates or timestamps lie in the freshness window (pandas only)."""

    condition_metric_name = "column_values.within_freshness_window"
    filter_column_isnull = False  # the rule passes nulls itself: no filtered copy of the batch
    condition_value_keys = ("as_of", "max_age_days")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,  # noqa: N805
        column: pd.Series,
        as_of: str | date | None = None,
        max_age_days: int | None = None,
        **_kwargs: Any,
    ) -> pd.Series:
        age = None if max_age_days is None else int(max_age_days)
        valid = within_window(column, as_of=as_of_datetime(as_of), max_age_days=age)
        return pd.Series(valid, index=column.index)


class ExpectColumnValuesToBeWithinFreshnessWindow(SentenceRendering, ColumnMapExpectation):
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

    as_of: str | date | SuiteParameterDict | None = pydantic.Field(
        default=None, description="Reference time (ISO 8601); values may not be later."
    )
    max_age_days: int | SuiteParameterDict | None = pydantic.Field(
        default=None, description="Oldest allowed age in days; null checks only for future values."
    )

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        tags=("column map expectation", "freshness")
    )
    _library_metadata = library_metadata

    map_metric = "column_values.within_freshness_window"
    success_keys = ("as_of", "max_age_days", "mostly")
    args_keys = ("column",)

    class Config:
        title = "Expect column values to be within a freshness window"
        schema_extra = metadata_schema_extra(ColumnMapExpectation, SHORT_DESCRIPTION)

    @pydantic.validator("as_of")
    @classmethod
    def _as_of_is_iso(cls, value: Any) -> Any:
        return check_as_of(value, as_of_datetime)

    @pydantic.validator("max_age_days")
    @classmethod
    def _age_not_negative(cls, value: Any) -> Any:
        if isinstance(value, int) and not is_suite_parameter(value) and value < 0:
            raise ValueError(f"max_age_days must not be negative, got {value}")
        return value

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column", "as_of", kind=RendererValueType.STRING)
        add_params(renderer_configuration, "max_age_days", kind=RendererValueType.NUMBER)
        params = renderer_configuration.params
        sentence = "values must not be in the future"
        if params.as_of:
            sentence += " relative to $as_of"
        if params.max_age_days is not None:
            sentence += " nor more than $max_age_days days old"
        finish_template(renderer_configuration, sentence)
        return renderer_configuration
