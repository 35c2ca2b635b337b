"""ExpectColumnValuesToNotBeFormulaLikeText: no text cell a spreadsheet would run as a formula."""

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
from huiliu.quality.rules.formula import not_formula_like

SHORT_DESCRIPTION = "Expect column values to hold no text a spreadsheet would run as a formula."


class ColumnValuesNotFormulaLikeText(ColumnMapMetricProvider):
    """Row-wise absence of formula-like text (pandas only)."""

    condition_metric_name = "column_values.not_formula_like_text"
    filter_column_isnull = False  # the rule passes nulls itself: no filtered copy of the batch

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **_kwargs: Any) -> pd.Series:  # noqa: N805
        return pd.Series(not_formula_like(column), index=column.index)


class ExpectColumnValuesToNotBeFormulaLikeText(SentenceRendering, ColumnMapExpectation):
    """Expect no value to be text that Excel, WPS or LibreOffice would run as a formula.

    Flagged: text starting with ``=``, ``+``, ``-`` or ``@``, or with tabs or carriage returns
    before one (OWASP's CSV injection triggers), such as ``=cmd|' /C calc'!A0`` or
    ``@SUM(1+1)*cmd|' /C calc'!A0``. Plain numbers and phone numbers written as text (``-12.5``,
    ``+86 138 0013 8000``) and cells of trigger characters alone (``-``) are not. Non-text values
    and nulls pass.

    Args:
        column: any column; usually every text column of a dataset.
        mostly: the share of non-null values that must not be formula-like.
    """

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        tags=("column map expectation", "security")
    )
    _library_metadata = library_metadata

    map_metric = "column_values.not_formula_like_text"
    success_keys = ("mostly",)
    args_keys = ("column",)

    class Config:
        title = "Expect column values to not be formula-like text"
        schema_extra = metadata_schema_extra(ColumnMapExpectation, SHORT_DESCRIPTION)

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(
            renderer_configuration,
            "values must not be text a spreadsheet would run as a formula (starting with =, +, - or @)",
        )
        return renderer_configuration
