"""huiliu's custom Great Expectations expectations; importing this package registers them with GX.

Suites refer to them by their snake_case type, e.g. ``expect_column_values_to_be_valid_cn_resident_id``.
"""

from great_expectations.expectations.expectation import Expectation

from huiliu.quality.expectations.expect_column_pair_values_to_match_cn_resident_id import (
    ExpectColumnPairValuesToMatchCnResidentId,
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

CUSTOM_EXPECTATIONS: dict[str, type[Expectation]] = {
    "expect_column_values_to_be_valid_cn_resident_id": ExpectColumnValuesToBeValidCnResidentId,
    "expect_column_pair_values_to_match_cn_resident_id": ExpectColumnPairValuesToMatchCnResidentId,
    "expect_column_values_to_be_valid_cn_mobile": ExpectColumnValuesToBeValidCnMobile,
    "expect_column_values_to_be_valid_admin_code": ExpectColumnValuesToBeValidAdminCode,
    "expect_column_values_to_be_valid_cn_credit_code": ExpectColumnValuesToBeValidCnCreditCode,
    "expect_column_values_to_be_within_freshness_window": ExpectColumnValuesToBeWithinFreshnessWindow,
    "expect_column_values_to_not_be_blank": ExpectColumnValuesToNotBeBlank,
}

__all__ = [
    "CUSTOM_EXPECTATIONS",
    "ExpectColumnPairValuesToMatchCnResidentId",
    "ExpectColumnValuesToBeValidAdminCode",
    "ExpectColumnValuesToBeValidCnCreditCode",
    "ExpectColumnValuesToBeValidCnMobile",
    "ExpectColumnValuesToBeValidCnResidentId",
    "ExpectColumnValuesToBeWithinFreshnessWindow",
    "ExpectColumnValuesToNotBeBlank",
]
