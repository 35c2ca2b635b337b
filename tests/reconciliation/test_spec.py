"""The reconciliation checks file: the reviewed one loads; broken ones are refused naming file, field, fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiliu.errors import ConfigurationError
from huiliu.reconciliation.spec import (
    DEFAULT_SPEC_PATH,
    CommunityCounts,
    CountTolerance,
    RecipientsInRegistry,
    ReconciliationSpecError,
    load_spec,
)
from huiliu.spec_files import FieldIssue

CASES = Path(__file__).parent / "cases"


def test_reviewed_file_loads_with_every_kind() -> None:
    spec = load_spec()
    kinds = {check.kind for check in spec.checks}
    assert kinds == {"recipients_in_registry", "community_counts", "community_exists"}
    recipients = {c.dataset for c in spec.checks if isinstance(c, RecipientsInRegistry)}
    assert recipients == {"subsistence_allowance", "disability_registry", "elderly_care_services"}
    counted = {c.dataset for c in spec.checks if isinstance(c, CommunityCounts)}
    assert counted == recipients
    assert spec.registry.dataset == "resident_registry"
    assert "hotline_tickets" in spec.datasets and "grid_events" in spec.datasets


def test_every_check_has_both_titles_and_a_sample_size() -> None:
    spec = load_spec()
    for check in spec.checks:
        assert check.title.zh and check.title.en
        assert spec.samples_of(check) == (check.sample_size if check.sample_size is not None else 10)


@pytest.mark.parametrize(
    ("registry_count", "allowed"),
    [(0, 2.0), (10, 2.0), (20, 2.0), (50, 5.0), (200, 20.0)],
    ids=["empty-community", "small-uses-absolute", "break-even", "medium-uses-relative", "large"],
)
def test_count_tolerance_is_the_larger_of_absolute_and_relative(registry_count: int, allowed: float) -> None:
    assert CountTolerance(relative=0.1, absolute=2).allowed(registry_count) == pytest.approx(allowed)


def test_a_count_tolerance_allows_exactly_its_share() -> None:
    """0.35 × 180 is 63 people, not 62.999…: a difference of 63 is within it."""
    assert CountTolerance(relative=0.35, absolute=0).allowed(180) == 63
    assert CountTolerance(relative=0.29, absolute=0).allowed(100) == 29


BROKEN = [
    (
        "unknown_dataset",
        "checks[0].dataset (line 13): unknown dataset 'housing_subsidy'; use a dataset with a contract",
    ),
    (
        "unknown_column",
        "checks[0].community_column (line 15): column 'community' is not in the contract of "
        "subsistence_allowance; use one of case_id",
    ),
    (
        "unknown_registry_column",
        "registry.status_column (line 6): column 'life_status' is not in the contract of resident_registry",
    ),
    (
        "unknown_kind",
        "checks[0].kind (line 11): unknown kind 'community_totals'; use one of recipients_in_registry",
    ),
    ("misspelt_field", "checks[0].tolerence (line 16): unknown field; remove it or check its spelling"),
    (
        "tolerance_out_of_range",
        "checks[0].tolerance.relative (line 16): Input should be less than or equal to 1; "
        "write a share as a fraction",
    ),
    ("duplicate_names", "checks (line 9): duplicate check names: place_exists; give each check its own name"),
    ("not_yaml", "line 4: not valid YAML"),
    ("no_checks", "checks (line 9): must not be empty"),
    (
        "registry_against_itself",
        "checks[0].dataset (line 13): recipients_in_registry compares a department's dataset "
        "with the registry",
    ),
]


@pytest.mark.parametrize(("case", "expected"), BROKEN, ids=[case for case, _ in BROKEN])
def test_broken_file_is_refused_naming_file_field_and_fix(case: str, expected: str) -> None:
    path = CASES / f"{case}.yaml"
    with pytest.raises(ReconciliationSpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert f"{path}: {expected}" in message
    assert isinstance(caught.value, ConfigurationError)


def test_misspelt_field_also_reports_the_missing_one() -> None:
    with pytest.raises(ReconciliationSpecError) as caught:
        load_spec(CASES / "misspelt_field.yaml")
    assert FieldIssue("checks[0].tolerance", "required field is missing", 10) in caught.value.problems


def test_a_key_given_twice_is_refused_naming_the_file_and_both_lines() -> None:
    path = CASES / "duplicate_key.yaml"
    with pytest.raises(ReconciliationSpecError) as caught:
        load_spec(path)
    assert str(caught.value) == (
        f"{path}: checks[0].dataset (line 15): this key is also given on line 13, in the same mapping; "
        "YAML would silently keep only the last one: keep one of lines 13 and 15 and delete the other"
    )


def test_a_wrong_field_is_named_with_its_file_and_line() -> None:
    path = CASES / "misspelt_field.yaml"
    with pytest.raises(ReconciliationSpecError) as caught:
        load_spec(path)
    lines = str(caught.value).splitlines()
    assert f"{path}: checks[0].tolerence (line 16): unknown field; remove it or check its spelling" in lines
    assert f"{path}: checks[0].tolerance (line 10): required field is missing" in lines


def test_missing_file_names_the_path_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "reconciliation.yaml"
    with pytest.raises(
        ReconciliationSpecError, match=r"cannot read the file .* restore it from version control"
    ):
        load_spec(path)


def test_default_path_is_the_reviewed_file() -> None:
    assert DEFAULT_SPEC_PATH.parts[-3:] == ("include", "checks", "reconciliation.yaml")
