"""huiliu's custom Great Expectations expectations; importing this package registers them with GX.

Suites refer to them by their snake_case type, e.g. ``expect_column_values_to_be_valid_cn_resident_id``.
"""

from collections.abc import Iterable
from contextlib import suppress

from great_expectations.expectations.expectation import Expectation

from huiliu.errors import UnknownUnitError
from huiliu.quality.expectations.expect_column_pair_values_to_match_cn_resident_id import (
    ExpectColumnPairValuesToMatchCnResidentId,
)
from huiliu.quality.expectations.expect_column_pair_values_to_not_predate_cn_resident_id_birth import (
    ExpectColumnPairValuesToNotPredateCnResidentIdBirth,
)
from huiliu.quality.expectations.expect_column_values_to_be_valid_admin_code import (
    ExpectColumnValuesToBeValidAdminCode,
)
from huiliu.quality.expectations.expect_column_values_to_be_valid_cn_credit_code import (
    ExpectColumnValuesToBeValidCnCreditCode,
)
from huiliu.quality.expectations.expect_column_values_to_be_valid_cn_mobile import (
    ExpectColumnValuesToBeValidCnMobile,
)
from huiliu.quality.expectations.expect_column_values_to_be_valid_cn_resident_id import (
    ExpectColumnValuesToBeValidCnResidentId,
)
from huiliu.quality.expectations.expect_column_values_to_be_within_freshness_window import (
    ExpectColumnValuesToBeWithinFreshnessWindow,
)
from huiliu.quality.expectations.expect_column_values_to_not_be_blank import ExpectColumnValuesToNotBeBlank
from huiliu.quality.expectations.expect_column_values_to_not_be_formula_like_text import (
    ExpectColumnValuesToNotBeFormulaLikeText,
)
from huiliu.quality.expectations.expect_column_values_to_not_be_in_the_future import (
    ExpectColumnValuesToNotBeInTheFuture,
)
from huiliu.quality.rules import load_admin_code_tables, load_region_tables
from huiliu.quality.rules.mobile import mobile_prefix_table

CUSTOM_EXPECTATIONS: dict[str, type[Expectation]] = {
    "expect_column_values_to_be_valid_cn_resident_id": ExpectColumnValuesToBeValidCnResidentId,
    "expect_column_pair_values_to_match_cn_resident_id": ExpectColumnPairValuesToMatchCnResidentId,
    "expect_column_pair_values_to_not_predate_cn_resident_id_birth": (
        ExpectColumnPairValuesToNotPredateCnResidentIdBirth
    ),
    "expect_column_values_to_be_valid_cn_mobile": ExpectColumnValuesToBeValidCnMobile,
    "expect_column_values_to_be_valid_admin_code": ExpectColumnValuesToBeValidAdminCode,
    "expect_column_values_to_be_valid_cn_credit_code": ExpectColumnValuesToBeValidCnCreditCode,
    "expect_column_values_to_be_within_freshness_window": ExpectColumnValuesToBeWithinFreshnessWindow,
    "expect_column_values_to_not_be_blank": ExpectColumnValuesToNotBeBlank,
    "expect_column_values_to_not_be_formula_like_text": ExpectColumnValuesToNotBeFormulaLikeText,
    "expect_column_values_to_not_be_in_the_future": ExpectColumnValuesToNotBeInTheFuture,
}


def load_reference_tables(kinds: Iterable[str], city_code: str | None = None) -> None:
    """Load now the lookup tables that expectations of these types read (the city's division
    codes, the ID region codes by year, the mobile prefixes), so the first chunk validated does
    not wait for them. An unknown city is left for the admin-code expectation to report."""
    wanted = set(kinds)
    if "expect_column_values_to_be_valid_admin_code" in wanted:
        with suppress(UnknownUnitError):
            load_admin_code_tables(city_code)
    if "expect_column_values_to_be_valid_cn_resident_id" in wanted:
        load_region_tables()
    if "expect_column_values_to_be_valid_cn_mobile" in wanted:
        mobile_prefix_table()


__all__ = [
    "CUSTOM_EXPECTATIONS",
    "ExpectColumnPairValuesToMatchCnResidentId",
    "ExpectColumnPairValuesToNotPredateCnResidentIdBirth",
    "ExpectColumnValuesToBeValidAdminCode",
    "ExpectColumnValuesToBeValidCnCreditCode",
    "ExpectColumnValuesToBeValidCnMobile",
    "ExpectColumnValuesToBeValidCnResidentId",
    "ExpectColumnValuesToBeWithinFreshnessWindow",
    "ExpectColumnValuesToNotBeBlank",
    "ExpectColumnValuesToNotBeFormulaLikeText",
    "ExpectColumnValuesToNotBeInTheFuture",
    "load_reference_tables",
]
