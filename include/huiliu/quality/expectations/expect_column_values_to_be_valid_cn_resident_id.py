"""ExpectColumnValuesToBeValidCnResidentId: column values are valid resident ID numbers (GB 11643)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    ColumnRuleExpectation,
    add_params,
    as_of_validator,
    column_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.resident_id import valid_resident_ids
from huiliu.quality.rules.timestamps import as_of_date


def _valid_ids(
    column: pd.Series, as_of: str | date | None = None, region_prefixes: list[str] | None = None
) -> object:
    return valid_resident_ids(column, as_of=as_of_date(as_of), region_prefixes=region_prefixes or ())


class ExpectColumnValuesToBeValidCnResidentId(ColumnRuleExpectation):
    """Expect column values to be valid resident ID numbers (公民身份号码).

    A valid number has 18 characters (17 digits and a digit or uppercase ``X``), a correct
    ISO 7064 MOD 11-2 check character, a real birth date not after ``as_of`` and at most 120 years
    before it, and a region code python-stdnum accepts for the birth year. With
    ``region_prefixes`` the region code must also start with one of them.

    Args:
        column: the ID column.
        as_of: the reference day (ISO date or date-time string, or a date); today when omitted.
        region_prefixes: allowed region code prefixes, e.g. ``["5201"]``; any region when empty.
        mostly: the share of non-null values that must be valid.
    """

    as_of: str | date | SuiteParameterDict[str, Any] | None = pydantic.Field(
        default=None, description="Reference day (ISO 8601); birth dates may not be after it."
    )
    region_prefixes: list[str] | SuiteParameterDict[str, Any] = pydantic.Field(
        default=[], description="Allowed region code prefixes; empty allows every region."
    )

    short_description = "Expect column values to be valid mainland China resident ID numbers (GB 11643-1999)."
    library_metadata = library_metadata("python-stdnum", tags=("column map expectation",))
    map_metric = column_rule_metric(
        "column_values.valid_cn_resident_id", _valid_ids, "as_of", "region_prefixes"
    )
    success_keys = ("as_of", "region_prefixes", "mostly")

    class Config:
        title = "Expect column values to be valid CN resident ID numbers"

    _as_of_is_iso = as_of_validator(as_of_date)

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column", "as_of", kind=RendererValueType.STRING)
        add_params(renderer_configuration, "region_prefixes", kind=RendererValueType.ARRAY)
        params = renderer_configuration.params
        sentence = "values must be valid resident ID numbers (GB 11643)"
        if params.as_of:
            sentence += " as of $as_of"
        if params.region_prefixes and params.region_prefixes.value:
            sentence += " with a region code starting with one of $region_prefixes"
        finish_template(renderer_configuration, sentence)
        return renderer_configuration
