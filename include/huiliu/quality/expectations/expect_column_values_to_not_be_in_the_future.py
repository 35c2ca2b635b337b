"""ExpectColumnValuesToNotBeInTheFuture: dates of things that have happened are not after as_of."""

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
from huiliu.quality.rules.timestamps import as_of_datetime, not_in_future

SHORT_DESCRIPTION = "Expect column dates or timestamps to be no later than as_of, nor over max_age_years old."


class ColumnValuesNotInTheFuture(ColumnMapMetricProvider):
    """Row-wise check that dates or timestamps are not after ``as_of`` (pandas only)."""

    condition_metric_name = "column_values.not_in_the_future"
    filter_column_isnull = False  # the rule passes nulls itself: no filtered copy of the batch
    condition_value_keys = ("as_of", "max_age_years")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,  # noqa: N805
        column: pd.Series,
        as_of: str | date | None = None,
        max_age_years: int | None = None,
        **_kwargs: Any,
    ) -> pd.Series:
        years = None if max_age_years is None else int(max_age_years)
        valid = not_in_future(column, as_of=as_of_datetime(as_of), max_age_years=years)
        return pd.Series(valid, index=column.index)


class ExpectColumnValuesToNotBeInTheFuture(SentenceRendering, ColumnMapExpectation):
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

    as_of: str | date | SuiteParameterDict | None = pydantic.Field(
        default=None, description="Reference time (ISO 8601); values may not be later."
    )
    max_age_years: int | SuiteParameterDict | None = pydantic.Field(
        default=None, description="Oldest allowed age in calendar years; null checks only for future values."
    )

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        tags=("column map expectation", "validity")
    )
    _library_metadata = library_metadata

    map_metric = "column_values.not_in_the_future"
    success_keys = ("as_of", "max_age_years", "mostly")
    args_keys = ("column",)

    class Config:
        title = "Expect column values to not be in the future"
        schema_extra = metadata_schema_extra(ColumnMapExpectation, SHORT_DESCRIPTION)

    @pydantic.validator("as_of")
    @classmethod
    def _as_of_is_iso(cls, value: Any) -> Any:
        return check_as_of(value, as_of_datetime)

    @pydantic.validator("max_age_years")
    @classmethod
    def _age_not_negative(cls, value: Any) -> Any:
        if isinstance(value, int) and not is_suite_parameter(value) and value < 0:
            raise ValueError(f"max_age_years must not be negative, got {value}")
        return value

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column", "as_of", kind=RendererValueType.STRING)
        add_params(renderer_configuration, "max_age_years", kind=RendererValueType.NUMBER)
        params = renderer_configuration.params
        sentence = "values must not be in the future"
        if params.as_of:
            sentence += " relative to $as_of"
        if params.max_age_years is not None:
            sentence += " nor more than $max_age_years years before it"
        finish_template(renderer_configuration, sentence)
        return renderer_configuration
