"""ExpectColumnPairValuesToMatchCnResidentId: a birth date or gender column agrees with the ID column."""

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
from huiliu.quality.rules.resident_id import ids_match_birth_dates, ids_match_genders

SHORT_DESCRIPTION = "Expect a birth date or gender column to agree with the resident ID number in column A."
IgnoreRowIf = Literal["both_values_are_missing", "either_value_is_missing", "neither"]
PART_CHECKS = {"birth_date": ids_match_birth_dates, "gender": ids_match_genders}


class ColumnPairValuesMatchCnResidentId(ColumnPairMapMetricProvider):
    """Row-wise agreement of an ID column with a birth date or gender column (pandas only)."""

    condition_metric_name = "column_pair_values.match_cn_resident_id"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_A",
        "column_B",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("part",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, ids: pd.Series, other: pd.Series, part: str, **_kwargs: Any) -> pd.Series:  # noqa: N805
        if part not in PART_CHECKS:
            raise ValueError(f"part must be one of {', '.join(PART_CHECKS)}, got {part!r}")
        return pd.Series(PART_CHECKS[part](ids, other), index=ids.index)


class ExpectColumnPairValuesToMatchCnResidentId(SentenceRendering, ColumnPairMapExpectation):
    """Expect column B (a birth date or a gender) to agree with the resident ID number in column A.

    With ``part="birth_date"`` column B holds dates, timestamps or ISO 8601 strings and must equal
    the birth date in the ID; with ``part="gender"`` it holds 男/女 (or M/F, male/female, 1/2) and
    must match the parity of the ID's 17th digit. Rows whose ID is not structurally valid (length,
    format, check character, real birth date) pass here: the ID expectation reports them. Rows with
    a null in either column are skipped.

    Args:
        column_A: the ID column.
        column_B: the birth date or gender column.
        part: ``birth_date`` or ``gender``.
        mostly: the share of compared rows that must agree.
    """

    part: Literal["birth_date", "gender"] | SuiteParameterDict = pydantic.Field(
        description="Which part of the ID column B holds: birth_date or gender."
    )
    ignore_row_if: IgnoreRowIf | SuiteParameterDict = pydantic.Field(
        default="either_value_is_missing", description=IGNORE_ROW_IF_DESCRIPTION
    )

    library_metadata: ClassVar[dict[str, str | list | bool]] = library_metadata(
        tags=("column pair map expectation",)
    )
    _library_metadata = library_metadata

    map_metric = "column_pair_values.match_cn_resident_id"
    success_keys = ("part", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B", "part")

    class Config:
        title = "Expect column pair values to match the CN resident ID"
        schema_extra = metadata_schema_extra(ColumnPairMapExpectation, SHORT_DESCRIPTION)

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        add_params(renderer_configuration, "column_A", "column_B", "part", kind=RendererValueType.STRING)
        sentence = "Values in $column_B must agree with the $part in the resident ID numbers of $column_A"
        finish_template(renderer_configuration, sentence, name_column=False)
        return renderer_configuration
