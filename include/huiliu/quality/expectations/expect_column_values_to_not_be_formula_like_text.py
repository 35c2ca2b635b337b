"""ExpectColumnValuesToNotBeFormulaLikeText: no text cell a spreadsheet would run as a formula."""

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
from huiliu.quality.rules.formula import not_formula_like


class ExpectColumnValuesToNotBeFormulaLikeText(ColumnRuleExpectation):
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

    short_description = "Expect column values to hold no text a spreadsheet would run as a formula."
    library_metadata = library_metadata(tags=("column map expectation", "security"))
    map_metric = column_rule_metric("column_values.not_formula_like_text", not_formula_like)
    success_keys = ("mostly",)

    class Config:
        title = "Expect column values to not be formula-like text"

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(
            renderer_configuration,
            "values must not be text a spreadsheet would run as a formula (starting with =, +, - or @)",
        )
        return renderer_configuration
