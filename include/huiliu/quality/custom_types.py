"""Names of huiliu's custom expectation types, known without importing Great Expectations.

Suite files are checked against these at DAG-parse time; ``huiliu.quality.expectations`` holds the
classes themselves (a test keeps the two in step).
"""

from __future__ import annotations

CUSTOM_EXPECTATION_TYPES = frozenset(
    {
        "expect_column_values_to_be_valid_cn_resident_id",
        "expect_column_pair_values_to_match_cn_resident_id",
        "expect_column_pair_values_to_not_predate_cn_resident_id_birth",
        "expect_column_values_to_be_valid_cn_mobile",
        "expect_column_values_to_be_valid_admin_code",
        "expect_column_values_to_be_valid_cn_credit_code",
        "expect_column_values_to_be_within_freshness_window",
        "expect_column_values_to_not_be_blank",
        "expect_column_values_to_not_be_formula_like_text",
        "expect_column_values_to_not_be_in_the_future",
    }
)
