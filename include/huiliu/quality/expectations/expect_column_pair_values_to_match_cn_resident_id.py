"""ExpectColumnPairValuesToMatchCnResidentId: a birth date or gender column agrees with the ID column."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.expectations.model_field_descriptions import IGNORE_ROW_IF_DESCRIPTION
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.errors import ConfigurationError
from huiliu.quality.expectations.common import (
    ColumnPairRuleExpectation,
    IgnoreRowIf,
    add_params,
    column_pair_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.resident_id import ids_match_birth_dates, ids_match_genders

PART_CHECKS = {"birth_date": ids_match_birth_dates, "gender": ids_match_genders}


def _ids_match(ids: pd.Series, other: pd.Series, part: str) -> object:
    if part not in PART_CHECKS:
        raise ConfigurationError(f"part must be one of {', '.join(PART_CHECKS)}, got {part!r}")
    return PART_CHECKS[part](ids, other)


class ExpectColumnPairValuesToMatchCnResidentId(ColumnPairRuleExpectation):
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

    part: Literal["birth_date", "gender"] | SuiteParameterDict[str, Any] = pydantic.Field(
        description="Which part of the ID column B holds: birth_date or gender."
    )
    ignore_row_if: IgnoreRowIf | SuiteParameterDict[str, Any] = pydantic.Field(
        default="either_value_is_missing", description=IGNORE_ROW_IF_DESCRIPTION
    )

    short_description = (
        "Expect a birth date or gender column to agree with the resident ID number in column A."
    )
    library_metadata = library_metadata(tags=("column pair map expectation",))
    map_metric = column_pair_rule_metric("column_pair_values.match_cn_resident_id", _ids_match, "part")
    success_keys = ("part", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B", "part")

    class Config:
        title = "Expect column pair values to match the CN resident ID"

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column_A", "column_B", "part", kind=RendererValueType.STRING)
        sentence = "Values in $column_B must agree with the $part in the resident ID numbers of $column_A"
        finish_template(renderer_configuration, sentence, name_column=False)
        return renderer_configuration
