"""ExpectColumnPairValuesToNotPredateCnResidentIdBirth: a person's dates are not before their birth."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)
from great_expectations.expectations.model_field_descriptions import IGNORE_ROW_IF_DESCRIPTION
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    SentenceRendering,
    add_params,
    finish_template,
    library_metadata,
    metadata_schema_extra,
)
from huiliu.quality.rules.resident_id import dates_not_before_births

SHORT_DESCRIPTION = "Expect dates in column B not to be before the birth date in the resident ID in column A."
IgnoreRowIf = Literal["both_values_are_missing", "either_value_is_missing", "neither"]


class ColumnPairValuesNotPredateCnResidentIdBirth(ColumnPairMapMetricProvider):
    """Row-wise check that a date is not before the birth date in the ID (pandas only)."""

    condition_metric_name = "column_pair_values.not_predate_cn_resident_id_birth"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_A",
        "column_B",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, ids: pd.Series, dates: pd.Series, **_kwargs: Any) -> pd.Series:  # noqa: N805
        return pd.Series(dates_not_before_births(ids, dates), index=ids.index)


class ExpectColumnPairValuesToNotPredateCnResidentIdBirth(SentenceRendering, ColumnPairMapExpectation):
    """Expect the date in column B (an approval, a service, a certificate) not to be before the birth
    date in the resident ID number in column A: nothing happens to a person before they are born.

    Column B holds dates, timestamps or ISO 8601 strings (an unreadable string fails). Rows whose
    ID is not structurally valid (length, format, check character, real birth date) pass here: the
    ID expectation reports them. Rows with a null in either column are skipped.

    Args:
        column_A: the ID column.
        column_B: the date column.
        mostly: the share of compared rows that must not be before the birth date.
    """

    ignore_row_if: IgnoreRowIf | SuiteParameterDict = pydantic.Field(
        default="either_value_is_missing", description=IGNORE_ROW_IF_DESCRIPTION
    )

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        tags=("column pair map expectation",)
    )
    _library_metadata = library_metadata

    map_metric = "column_pair_values.not_predate_cn_resident_id_birth"
    success_keys = ("ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")

    class Config:
        title = "Expect column pair values to not predate the CN resident ID's birth date"
        schema_extra = metadata_schema_extra(ColumnPairMapExpectation, SHORT_DESCRIPTION)

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column_A", "column_B", kind=RendererValueType.STRING)
        sentence = "Values in $column_B must not be before the birth date in the resident IDs of $column_A"
        finish_template(renderer_configuration, sentence, name_column=False)
        return renderer_configuration
