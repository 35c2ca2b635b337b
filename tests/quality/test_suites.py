"""Suite files: the reviewed suites are valid, and broken ones are refused naming file and problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from huiliu.contracts import load_contract, load_contracts
from huiliu.errors import SuiteError
from huiliu.quality.custom_types import CUSTOM_EXPECTATION_TYPES
from huiliu.quality.suites import (
    SuiteDocument,
    build_gx_suite,
    columns_looked_at,
    load_checked_suite,
    read_suite,
    suite_contract_problems,
)
from huiliu.settings import Settings

GOOD = Path(__file__).resolve().parents[2] / "expectations" / "resident_registry.json"


def _settings(folder: Path) -> Settings:
    return Settings(expectations_dir=folder)


def _write(folder: Path, body: object | str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    (folder / "resident_registry.json").write_text(text, encoding="utf-8")


def test_every_shipped_suite_is_valid_for_its_contract() -> None:
    assert suite_contract_problems(list(load_contracts().values())) == []


def test_the_custom_type_list_matches_the_registered_expectations() -> None:
    from huiliu.quality.expectations import CUSTOM_EXPECTATIONS

    assert set(CUSTOM_EXPECTATIONS) == CUSTOM_EXPECTATION_TYPES


def test_a_shipped_suite_builds_as_a_great_expectations_suite() -> None:
    suite = build_gx_suite(load_checked_suite(load_contract("resident_registry")))
    types = {e.expectation_type for e in suite.expectations}
    assert "expect_column_values_to_be_valid_cn_resident_id" in types


def _problems(tmp_path: Path, body: object | str) -> SuiteError:
    _write(tmp_path, body)
    with pytest.raises(SuiteError) as caught:
        load_checked_suite(load_contract("resident_registry"), _settings(tmp_path))
    return caught.value


def _suite(*expectations: dict) -> dict:
    return {"name": "resident_registry", "expectations": list(expectations)}


def test_a_missing_suite_tells_how_to_draft_one(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="huiliu quality suggest resident_registry"):
        load_checked_suite(load_contract("resident_registry"), _settings(tmp_path))


def test_a_suite_that_does_not_parse_names_line_and_column(tmp_path: Path) -> None:
    error = _problems(tmp_path, '{"name": "resident_registry",\n "expectations": [,]}')
    assert "resident_registry.json" in str(error) and "line 2" in str(error)


def test_an_unknown_column_is_named(tmp_path: Path) -> None:
    error = _problems(
        tmp_path, _suite({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nmae"}})
    )
    assert "column 'nmae' is not a column of the contract" in str(error)


def test_a_missing_custom_expectation_is_named(tmp_path: Path) -> None:
    error = _problems(
        tmp_path,
        _suite({"type": "expect_column_values_to_be_valid_cn_pasport", "kwargs": {"column": "id_number"}}),
    )
    assert "expect_column_values_to_be_valid_cn_pasport" in str(error) and "unknown expectation type" in str(
        error
    )


def test_a_wrong_suite_name_and_severity_are_named(tmp_path: Path) -> None:
    body = {
        "name": "residents",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"}, "severity": "fatal"}
        ],
    }
    error = _problems(tmp_path, body)
    assert any("names suite 'resident_registry'" in p for p in error.problems)
    assert any("severity 'fatal'" in p for p in error.problems)


def test_contracts_check_refuses_a_dataset_without_a_suite(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "resident_registry.json")
    problems = suite_contract_problems(list(load_contracts().values()), _settings(tmp_path))
    missing = {Path(p.file).stem for p in problems}
    assert "resident_registry" not in missing and "hotline_tickets" in missing
    assert all(p.field == "quality_suite" for p in problems)


@pytest.mark.parametrize(
    "kind",
    [
        "expect_column_values_to_be_unique",
        "expect_column_mean_to_be_between",
        "expect_table_row_count_to_equal",
    ],
)
def test_batch_wide_expectations_are_refused(tmp_path: Path, kind: str) -> None:
    error = _problems(tmp_path, _suite({"type": kind, "kwargs": {"column": "name"}}))
    assert "judges the whole batch at once" in str(error)


def test_the_columns_a_suite_reads_leave_out_those_only_named_in_the_column_set() -> None:
    contract = load_contract("resident_registry")
    looked_at = columns_looked_at(read_suite(contract))
    assert looked_at is not None
    # expect_table_columns_to_match_set names household_address, but no expectation reads its values
    assert "household_address" not in looked_at
    assert {"id_number", "birth_date", "gender", "phone", "community_code", "updated_at"} <= looked_at


def test_a_row_condition_makes_every_column_read(tmp_path: Path) -> None:
    conditioned = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "phone", "row_condition": 'status=="正常"', "condition_parser": "pandas"},
    }
    pair = {"type": "expect_column_pair_values_to_be_equal", "kwargs": {"column_A": "a", "column_B": "b"}}
    path = tmp_path / "suite.json"
    assert columns_looked_at(SuiteDocument(path, {"expectations": [pair]})) == {"a", "b"}
    assert columns_looked_at(SuiteDocument(path, {"expectations": [pair, conditioned]})) is None


def test_a_misspelled_suite_parameter_and_a_bad_mostly_are_named(tmp_path: Path) -> None:
    error = _problems(
        tmp_path,
        _suite(
            {
                "type": "expect_column_values_to_be_within_freshness_window",
                "kwargs": {"column": "updated_at", "as_of": {"$PARAMETER": "asof"}},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name", "mostly": 1.5}},
        ),
    )
    assert any(
        "suite parameter 'asof', which the gate does not supply; use one of as_of" in p
        for p in error.problems
    )
    assert any("mostly 1.5 must be a share between 0 and 1" in p for p in error.problems)


def test_contracts_check_names_an_expectation_great_expectations_refuses(tmp_path: Path) -> None:
    for contract in load_contracts().values():
        shutil.copy(
            GOOD.parent / f"{contract.quality_suite}.json", tmp_path / f"{contract.quality_suite}.json"
        )
    _write(tmp_path, _suite({"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "gender"}}))
    problems = suite_contract_problems(list(load_contracts().values()), _settings(tmp_path))
    assert [Path(p.file).name for p in problems] == ["resident_registry.json"]
    assert "Great Expectations refuses the suite" in problems[0].message


def test_a_drafted_suite_checks_resident_ids_only_where_the_values_are_ids() -> None:
    import pyarrow as pa

    from huiliu.quality.suggest import suggest_suite

    contract = load_contract("disability_registry")
    certificates = ["52010219900307451711", "52010219850101123X22"] * 50  # 残疾人证号: the ID and two digits
    draft = suggest_suite(contract, pa.table({"certificate_no": certificates}))
    on_certificate = [
        e["type"] for e in draft["expectations"] if e["kwargs"].get("column") == "certificate_no"
    ]
    assert "expect_column_values_to_be_valid_cn_resident_id" not in on_certificate
    ids = suggest_suite(contract, pa.table({"certificate_no": ["520102199003074517"] * 100}))
    assert any(
        e["type"] == "expect_column_values_to_be_valid_cn_resident_id"
        and e["kwargs"]["column"] == "certificate_no"
        for e in ids["expectations"]
    )
