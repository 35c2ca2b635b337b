"""Domain rules as vectorised functions: each returns a bool numpy array, True for valid values and nulls."""

from huiliu.quality.rules.admin_code import (
    hierarchy_codes,
    load_admin_code_tables,
    significant_code,
    valid_admin_codes,
)
from huiliu.quality.rules.credit_code import valid_credit_codes
from huiliu.quality.rules.formula import formula_like_text, not_formula_like
from huiliu.quality.rules.mobile import national_numbers, normalise_mobiles, valid_cn_mobiles
from huiliu.quality.rules.resident_id import (
    REASONS,
    birth_dates_from_ids,
    dates_not_before_births,
    explain_resident_id,
    gender_codes,
    genders_from_ids,
    ids_match_birth_dates,
    ids_match_genders,
    load_region_tables,
    resident_id_reasons,
    structurally_valid_ids,
    valid_resident_ids,
)
from huiliu.quality.rules.timestamps import (
    as_of_date,
    as_of_datetime,
    not_in_future,
    wall_clock_times,
    within_window,
)

__all__ = [
    "REASONS",
    "as_of_date",
    "as_of_datetime",
    "birth_dates_from_ids",
    "dates_not_before_births",
    "explain_resident_id",
    "formula_like_text",
    "gender_codes",
    "genders_from_ids",
    "hierarchy_codes",
    "ids_match_birth_dates",
    "ids_match_genders",
    "load_admin_code_tables",
    "load_region_tables",
    "national_numbers",
    "normalise_mobiles",
    "not_formula_like",
    "not_in_future",
    "resident_id_reasons",
    "significant_code",
    "structurally_valid_ids",
    "valid_admin_codes",
    "valid_cn_mobiles",
    "valid_credit_codes",
    "valid_resident_ids",
    "wall_clock_times",
    "within_window",
]
