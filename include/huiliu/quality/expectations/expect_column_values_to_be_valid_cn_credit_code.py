"""ExpectColumnValuesToBeValidCnCreditCode: column values are unified social credit codes (GB 32100)."""

from __future__ import annotations

from typing import Any

from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    ColumnRuleExpectation,
    add_params,
    column_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.credit_code import valid_credit_codes


class ExpectColumnValuesToBeValidCnCreditCode(ColumnRuleExpectation):
    """Expect column values to be valid unified social credit codes (统一社会信用代码).

    A valid code has 18 characters from GB 32100's alphabet in the right places and a correct
    check character.

    Args:
        column: the credit code column.
        mostly: the share of non-null values that must be valid.
    """

    short_description = "Expect column values to be valid unified social credit codes (GB 32100-2015)."
    library_metadata = library_metadata(tags=("column map expectation",))
    map_metric = column_rule_metric("column_values.valid_cn_credit_code", valid_credit_codes)
    success_keys = ("mostly",)

    class Config:
        title = "Expect column values to be valid CN unified social credit codes"

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(renderer_configuration, "values must be valid unified social credit codes (GB 32100)")
        return renderer_configuration
