"""ExpectColumnValuesToBeValidCnCreditCode: column values are unified social credit codes (GB 32100)."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
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
from huiliu.quality.rules.credit_code import valid_credit_codes

SHORT_DESCRIPTION = "Expect column values to be valid unified social credit codes (GB 32100-2015)."


class ColumnValuesValidCnCreditCode(ColumnMapMetricProvider):
    """Row-wise validity of unified social credit codes (pandas only)."""

    condition_metric_name = "column_values.valid_cn_credit_code"
    filter_column_isnull = False  # the rule passes nulls itself: no filtered copy of the batch

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **_kwargs: Any) -> pd.Series:  # noqa: N805
        return pd.Series(valid_credit_codes(column), index=column.index)


class ExpectColumnValuesToBeValidCnCreditCode(SentenceRendering, ColumnMapExpectation):
    """Expect column values to be valid unified social credit codes (统一社会信用代码).

    A valid code has 18 characters from GB 32100's alphabet in the right places and a correct
    check character.

    Args:
        column: the credit code column.
        mostly: the share of non-null values that must be valid.
    """

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        tags=("column map expectation",)
    )
    _library_metadata = library_metadata

    map_metric = "column_values.valid_cn_credit_code"
    success_keys = ("mostly",)
    args_keys = ("column",)

    class Config:
        title = "Expect column values to be valid CN unified social credit codes"
        schema_extra = metadata_schema_extra(ColumnMapExpectation, SHORT_DESCRIPTION)

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(renderer_configuration, "values must be valid unified social credit codes (GB 32100)")
        return renderer_configuration
