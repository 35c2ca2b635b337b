"""ExpectColumnValuesToBeValidCnMobile: column values are mainland China mobile numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    ColumnRuleExpectation,
    add_params,
    column_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.mobile import valid_cn_mobiles, valid_cn_phones


def _valid_phones(column: pd.Series, allow_fixed_line: bool = False) -> object:
    return (valid_cn_phones if allow_fixed_line else valid_cn_mobiles)(column)


class ExpectColumnValuesToBeValidCnMobile(ColumnRuleExpectation):
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

    short_description = "Expect column values to be mainland China mobile numbers."
    library_metadata = library_metadata("phonenumbers", tags=("column map expectation",))
    map_metric = column_rule_metric("column_values.valid_cn_mobile", _valid_phones, "allow_fixed_line")
    success_keys = ("allow_fixed_line", "mostly")

    class Config:
        title = "Expect column values to be valid CN mobile numbers"

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(renderer_configuration, "values must be mainland China mobile numbers")
        return renderer_configuration
