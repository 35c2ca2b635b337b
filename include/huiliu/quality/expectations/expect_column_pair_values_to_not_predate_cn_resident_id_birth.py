"""ExpectColumnPairValuesToNotPredateCnResidentIdBirth: a person's dates are not before their birth."""

from __future__ import annotations

from typing import Any

from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.expectations.model_field_descriptions import IGNORE_ROW_IF_DESCRIPTION
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    ColumnPairRuleExpectation,
    IgnoreRowIf,
    add_params,
    column_pair_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.resident_id import dates_not_before_births


class ExpectColumnPairValuesToNotPredateCnResidentIdBirth(ColumnPairRuleExpectation):
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

    ignore_row_if: IgnoreRowIf | SuiteParameterDict[str, Any] = pydantic.Field(
        default="either_value_is_missing", description=IGNORE_ROW_IF_DESCRIPTION
    )

    short_description = (
        "Expect dates in column B not to be before the birth date in the resident ID in column A."
    )
    library_metadata = library_metadata(tags=("column pair map expectation",))
    map_metric = column_pair_rule_metric(
        "column_pair_values.not_predate_cn_resident_id_birth", dates_not_before_births
    )
    success_keys = ("ignore_row_if", "mostly")

    class Config:
        title = "Expect column pair values to not predate the CN resident ID's birth date"

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column_A", "column_B", kind=RendererValueType.STRING)
        sentence = "Values in $column_B must not be before the birth date in the resident IDs of $column_A"
        finish_template(renderer_configuration, sentence, name_column=False)
        return renderer_configuration
