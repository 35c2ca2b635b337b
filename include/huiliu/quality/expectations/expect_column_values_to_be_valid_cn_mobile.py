"""ExpectColumnValuesToBeValidCnMobile: column values are mainland China mobile numbers."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.compatibility import pydantic
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
    finish_template,
    library_metadata,
    metadata_schema_extra,
)
from huiliu.quality.rules.mobile import valid_cn_mobiles, valid_cn_phones

SHORT_DESCRIPTION = "Expect column values to be mainland China mobile numbers."


class ColumnValuesValidCnMobile(ColumnMapMetricProvider):
    """Row-wise validity of mainland mobile numbers (pandas only)."""

    condition_metric_name = "column_values.valid_cn_mobile"
    filter_column_isnull = False  # the rule passes nulls itself: no filtered copy of the batch
    condition_value_keys = ("allow_fixed_line",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,  # noqa: N805
        column: pd.Series,
        allow_fixed_line: bool = False,
        **_kwargs: Any,
    ) -> pd.Series:
        rule = valid_cn_phones if allow_fixed_line else valid_cn_mobiles
        return pd.Series(rule(column), index=column.index)


class ExpectColumnValuesToBeValidCnMobile(SentenceRendering, ColumnMapExpectation):
    """Expect column values to be mainland China mobile numbers.

    Values may carry a ``+86`` or ``86`` prefix and spaces or dashes; the remaining 11 digits must
    start with 1 and lie in a range phonenumbers assigns to mobile service. With
    ``allow_fixed_line`` a fixed-line number with its area code (0851-85551234) is valid too, as
    for callers of a hotline.

    Args:
        column: the phone column.
        allow_fixed_line: also accept mainland fixed-line numbers.
        mostly: the share of non-null values that must be valid.
    """

    allow_fixed_line: bool = pydantic.Field(
        default=False, description="Also accept mainland fixed-line numbers with their area code."
    )

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        "phonenumbers", tags=("column map expectation",)
    )
    _library_metadata = library_metadata

    map_metric = "column_values.valid_cn_mobile"
    success_keys = ("allow_fixed_line", "mostly")
    args_keys = ("column",)

    class Config:
        title = "Expect column values to be valid CN mobile numbers"
        schema_extra = metadata_schema_extra(ColumnMapExpectation, SHORT_DESCRIPTION)

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(renderer_configuration, "values must be mainland China mobile numbers")
        return renderer_configuration
