"""ExpectColumnValuesToBeValidAdminCode: column values are unit codes of the city inside a jurisdiction."""

from __future__ import annotations

from typing import Any

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict, is_suite_parameter
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.errors import UnknownUnitError
from huiliu.quality.expectations.common import (
    ColumnRuleExpectation,
    add_params,
    column_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.admin_code import hierarchy_codes, level_of, significant_code, valid_admin_codes


def _valid_codes(
    column: pd.Series, jurisdiction: str, city_code: str | None = None, level: str | None = None
) -> object:
    known = hierarchy_codes(str(city_code) if city_code else None)
    return valid_admin_codes(column, known_codes=known, jurisdiction=str(jurisdiction), level=level)


def _checked(check: Any, value: Any) -> Any:
    """``value`` once ``check`` accepts it, its refusal turned into the ValueError pydantic reports."""
    try:
        check(value)
    except UnknownUnitError as exc:
        raise ValueError(str(exc)) from None
    return value


class ExpectColumnValuesToBeValidAdminCode(ColumnRuleExpectation):
    """Expect column values to be unit codes of the city's hierarchy lying inside a jurisdiction.

    Codes are those of ``huiliu.divisions``: province 2 digits, city 4, district 6, street 9,
    community 12, grid 15. A value is valid when the unit exists, its code starts with the
    jurisdiction's significant digits and, when ``level`` is given, it is a unit of that level.

    Args:
        column: the code column.
        jurisdiction: the code of the unit whose area the values must lie in (padded form accepted).
        city_code: the 4-digit city whose hierarchy is loaded; ``settings.city_code`` when omitted.
        level: ``province``, ``city``, ``district``, ``street``, ``community`` or ``grid``: the
            level every code must be of; any level when omitted.
        mostly: the share of non-null values that must be valid.
    """

    jurisdiction: str | SuiteParameterDict[str, Any] = pydantic.Field(
        description="Code of the unit whose area the values must lie in, e.g. 5201."
    )
    city_code: str | SuiteParameterDict[str, Any] | None = pydantic.Field(
        default=None, description="4-digit city code of the hierarchy; the configured city when omitted."
    )
    level: str | None = pydantic.Field(
        default=None, description="Level every code must be of (e.g. community); any level when omitted."
    )

    short_description = (
        "Expect column values to be administrative unit codes of the city, inside a jurisdiction."
    )
    library_metadata = library_metadata(tags=("column map expectation",))
    map_metric = column_rule_metric(
        "column_values.valid_admin_code", _valid_codes, "jurisdiction", "city_code", "level"
    )
    success_keys = ("jurisdiction", "city_code", "level", "mostly")
    args_keys = ("column", "jurisdiction")

    class Config:
        title = "Expect column values to be valid administrative unit codes"

    @pydantic.validator("jurisdiction")
    @classmethod
    def _jurisdiction_is_a_code(cls, value: Any) -> Any:
        return value if is_suite_parameter(value) else _checked(significant_code, value)

    @pydantic.validator("level")
    @classmethod
    def _level_is_known(cls, value: Any) -> Any:
        return value if value is None else _checked(level_of, value)

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column", "jurisdiction", kind=RendererValueType.STRING)
        sentence = "values must be administrative unit codes inside jurisdiction $jurisdiction"
        finish_template(renderer_configuration, sentence)
        return renderer_configuration
