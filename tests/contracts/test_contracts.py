"""Contracts: the shipped ones are valid; broken ones are refused with file, field and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import check_paths, load_contracts
from huiliu.contracts.loader import parse_contract
from huiliu.errors import ContractError
from huiliu.settings import PROJECT_ROOT

CONTRACTS = PROJECT_ROOT / "include" / "contracts"
CASES = Path(__file__).parent / "cases"


def test_every_shipped_contract_is_valid() -> None:
    contracts = load_contracts(CONTRACTS)
    assert len(contracts) == 9
    assert {"resident_registry", "hotline_tickets", "unemployment_benefit"} <= set(contracts)


def test_shipped_contracts_declare_accountability() -> None:
    for contract in load_contracts(CONTRACTS).values():
        assert contract.owner.steward
        assert contract.legal_basis and contract.purpose
        assert contract.quality_suite == contract.name


def _broken(tmp_path: Path, name: str, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((CONTRACTS / "resident_registry.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / f"{name}.yaml"
    data["name"] = name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


BROKEN = [
    pytest.param(lambda d: d.pop("owner"), "owner", "required field is missing", id="missing-owner"),
    pytest.param(
        lambda d: d.update(jurisdiction="52010"), "jurisdiction", "52010", id="jurisdiction-of-5-digits"
    ),
    pytest.param(lambda d: d.update(colour="blue"), "colour", "unknown field", id="unknown-field"),
    pytest.param(
        lambda d: d["schema"]["columns"][0].update(type="varchar"),
        "schema.columns[0].type",
        "unknown type 'varchar'",
        id="bad-column-type",
    ),
    pytest.param(
        lambda d: d["schema"].update(primary_key=["nope"]),
        "schema",
        "primary key column 'nope' is not among the columns",
        id="bad-primary-key",
    ),
    pytest.param(
        lambda d: d["extraction"].update(cursor_column=None),
        "extraction",
        "incremental extraction needs `cursor_column`",
        id="incremental-without-cursor",
    ),
    pytest.param(
        lambda d: d["classification"].update(sharing_class="sometimes"),
        "classification.sharing_class",
        "'unconditional', 'conditional' or 'none'",
        id="bad-sharing-class",
    ),
    pytest.param(
        lambda d: d["personal_information"].append({"column": "ghost", "entity_type": "PERSON"}),
        "(top level)",
        "personal_information column 'ghost' is not a column",
        id="pi-unknown-column",
    ),
    pytest.param(
        lambda d: d["personal_information"][0].update(entity_type="SSN"),
        "personal_information[0].entity_type",
        "unknown entity type 'SSN'",
        id="pi-unknown-entity",
    ),
    pytest.param(
        lambda d: d["source"].update(table=None),
        "source",
        "exactly one of `table` or `query`",
        id="source-without-table",
    ),
    pytest.param(
        lambda d: d["schema"]["columns"].append({"name": "_batch_id", "type": "string"}),
        "schema.columns[11].name",
        "'_batch_id' is reserved",
        id="reserved-column",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "message"), BROKEN)
def test_broken_contract_names_file_field_and_problem(
    tmp_path: Path, mutate, field: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = _broken(tmp_path, "broken_case", mutate)
    contract, problems = parse_contract(path)
    assert contract is None
    assert any(p.file == str(path) and p.field == field and message in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad_yaml.yaml"
    path.write_text("name: bad_yaml\nowner: [unclosed\n", encoding="utf-8")
    _, problems = parse_contract(path)
    assert problems[0].field.startswith("line ")
    assert "not valid YAML" in problems[0].message


def test_name_must_match_file(tmp_path: Path) -> None:
    path = _broken(tmp_path, "resident_registry_copy", lambda d: None)
    path.rename(tmp_path / "other_name.yaml")
    _, problems = parse_contract(tmp_path / "other_name.yaml")
    assert problems[0].field == "name" and "must match the file name" in problems[0].message


def test_all_problems_of_a_folder_are_reported_together(tmp_path: Path) -> None:
    shutil.copy(CONTRACTS / "grid_events.yaml", tmp_path)
    _broken(tmp_path, "first_bad", lambda d: d.pop("purpose"))
    _broken(tmp_path, "second_bad", lambda d: d.pop("legal_basis"))
    contracts, problems = check_paths([tmp_path])
    assert [c.name for c in contracts] == ["grid_events"]
    assert {(Path(p.file).name, p.field) for p in problems} == {
        ("first_bad.yaml", "purpose"),
        ("second_bad.yaml", "legal_basis"),
    }
    with pytest.raises(ContractError) as raised:
        load_contracts(tmp_path)
    assert "first_bad.yaml: purpose" in str(raised.value)


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["contracts", "check", str(CONTRACTS)])
    assert ok.exit_code == 0, ok.output
    assert "9 valid contract(s), 0 problem(s)" in ok.output
    bad = _broken(tmp_path, "bad_one", lambda d: d["schema"]["columns"][1].update(type="text"))
    result = runner.invoke(app, ["contracts", "check", str(bad), "--json"])
    assert result.exit_code == 1
    assert '"field": "schema.columns[1].type"' in result.stdout
    assert str(bad) in result.stdout


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        pytest.param(
            lambda d: d.update(schedule="every day"), "schedule", "is not a schedule", id="bad-schedule"
        ),
        pytest.param(
            lambda d: d["extraction"].update(cursor_column="birth_date"),
            "(top level)",
            "must be a timestamp column",
            id="date-cursor",
        ),
    ],
)
def test_contract_problems_that_would_otherwise_break_the_dags(
    tmp_path: Path, mutate, field: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    _, problems = parse_contract(_broken(tmp_path, "broken_case", mutate))
    assert any(p.field == field and message in p.message for p in problems), [str(p) for p in problems]


def test_cron_schedules_are_accepted(tmp_path: Path) -> None:
    contract, problems = parse_contract(
        _broken(tmp_path, "cron_case", lambda d: d.update(schedule="0 2 * * *"))
    )
    assert problems == [] and contract is not None and contract.schedule == "0 2 * * *"
