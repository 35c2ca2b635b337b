"""Contracts that would load wrong data are refused, naming the file, the field (or line) and the fix:
a YAML key given twice, two columns reading one source column, a decimal that cannot be stored, and
sensitive personal information (PIPL art. 28) declared not sensitive."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.loader import parse_contract
from huiliu.contracts.model import SENSITIVE_PI_TYPES, DatasetContract
from huiliu.errors import ContractProblem
from huiliu.settings import PROJECT_ROOT

CONTRACTS = PROJECT_ROOT / "include" / "contracts"
Mutation = Callable[[dict[str, Any]], object]


def _write(tmp_path: Path, base: str, mutate: Mutation) -> Path:
    """A copy of a shipped contract, changed by ``mutate``, under its own name."""
    data = yaml.safe_load((CONTRACTS / f"{base}.yaml").read_text(encoding="utf-8"))
    mutate(data)
    data["name"] = f"{base}_case"
    path = tmp_path / f"{base}_case.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _refused(path: Path) -> list[ContractProblem]:
    contract, problems = parse_contract(path)
    assert contract is None, "the contract was accepted"
    assert problems and all(p.file == str(path) for p in problems)
    return problems


def _accepted(path: Path) -> DatasetContract:
    contract, problems = parse_contract(path)
    assert problems == [], [str(p) for p in problems]
    assert contract is not None
    return contract


def _column(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["schema"]["columns"] if c["name"] == name)


# --- a key given twice -------------------------------------------------------------------------


def _lines_of(path: Path, prefix: str) -> list[int]:
    return [
        i
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith(prefix)
    ]


def test_a_key_given_twice_names_its_path_both_lines_and_the_fix(tmp_path: Path) -> None:
    text = (CONTRACTS / "resident_registry.yaml").read_text(encoding="utf-8")
    text = text.replace("legal_basis:", "purpose: 重复的用途\nlegal_basis:", 1)
    text = text.replace(
        "    - {name: gender, type: string, nullable: false,",
        "    - {name: gender, type: date, type: string, nullable: false,",
        1,
    )
    path = tmp_path / "resident_registry.yaml"
    path.write_text(text, encoding="utf-8")
    gender_line = _lines_of(path, "    - {name: gender")[0]
    first_purpose, second_purpose = _lines_of(path, "purpose:")

    problems = _refused(path)

    assert [(p.field, p.message) for p in problems] == [
        (
            f"schema.columns[2].type (line {gender_line})",
            "this key is given twice on this line, in the same mapping; YAML would silently keep only the "
            "last one: keep one of them and delete the other",
        ),
        (
            f"purpose (line {second_purpose})",
            f"this key is also given on line {first_purpose}, in the same mapping; YAML would silently keep "
            f"only the last one: keep one of lines {first_purpose} and {second_purpose} and delete the other",
        ),
    ]


def test_a_key_given_twice_deep_in_a_block_mapping(tmp_path: Path) -> None:
    text = (CONTRACTS / "resident_registry.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  department_code: gongan\n", "  department_code: gongan\n  department_code: minzheng\n"
    )
    path = tmp_path / "resident_registry.yaml"
    path.write_text(text, encoding="utf-8")
    first, second = _lines_of(path, "  department_code:")

    [problem] = _refused(path)

    assert problem.field == f"owner.department_code (line {second})"
    assert f"also given on line {first}" in problem.message
    assert str(problem).startswith(f"{path}: owner.department_code (line {second}): ")


def test_keys_merged_from_an_anchor_may_be_overridden(tmp_path: Path) -> None:
    text = (CONTRACTS / "resident_registry.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    - {name: name, type: string, nullable: false, description: 姓名}",
        "    - &text {name: name, type: string, nullable: false, description: 姓名}\n"
        "    - {<<: *text, name: alias_name, nullable: true}",
    )
    path = tmp_path / "resident_registry.yaml"
    path.write_text(text, encoding="utf-8")

    contract = _accepted(path)

    assert contract.schema_.column("alias_name").nullable


def test_the_command_line_names_a_repeated_key(tmp_path: Path) -> None:
    text = (CONTRACTS / "grid_events.yaml").read_text(encoding="utf-8")
    path = tmp_path / "grid_events.yaml"
    path.write_text(text + "schedule: '@hourly'\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["contracts", "check", str(path), "--json"])

    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["file"], p["field"].split(" ")[0]) for p in problems] == [(str(path), "schedule")]
    assert "YAML would silently keep only the last one" in problems[0]["message"]


# --- two columns reading one source column -----------------------------------------------------

SHARED_SOURCE = [
    pytest.param(
        "resident_registry",
        lambda d: _column(d, "name").update(source_name="ID_NUMBER"),
        "schema.columns[1].source_name",
        "columns 'id_number' (schema.columns[0], no source_name: it reads 'id_number') and 'name' "
        "(schema.columns[1], source_name 'ID_NUMBER') read the same source column (SQL columns are "
        "matched ignoring case)",
        id="sql-source-name-is-another-columns-name",
    ),
    pytest.param(
        "resident_registry",
        lambda d: (
            _column(d, "phone").update(source_name="lxdh"),
            _column(d, "household_address").update(source_name="LXDH"),
        ),
        "schema.columns[7].source_name",
        "columns 'household_address' (schema.columns[5], source_name 'LXDH') and 'phone' "
        "(schema.columns[7], source_name 'lxdh') read the same source column",
        id="sql-two-source-names",
    ),
    pytest.param(
        "resident_registry",
        lambda d: d["schema"]["columns"].append(
            {"name": "status_copy", "source_name": "STATUS", "type": "string"}
        ),
        "schema.columns[11].source_name",
        "'status' (schema.columns[9], no source_name: it reads 'status')",
        id="sql-added-column-reads-an-existing-one",
    ),
    pytest.param(
        "unemployment_benefit",
        lambda d: _column(d, "name").update(source_name="身份 证号"),
        "schema.columns[2].source_name",
        "columns 'id_number' (schema.columns[1], source_name '身份证号') and 'name' (schema.columns[2], "
        "source_name '身份 证号') read the same source column (file headers are matched ignoring case, "
        "spaces and full-width forms)",
        id="file-header-with-a-space",
    ),
    pytest.param(
        "unemployment_benefit",
        lambda d: (
            _column(d, "record_id").update(source_name="ＩＤ"),
            _column(d, "community_code").update(source_name="id"),
        ),
        "schema.columns[7].source_name",
        "columns 'record_id' (schema.columns[0], source_name 'ＩＤ') and 'community_code'",
        id="file-header-in-full-width-letters",
    ),
]


@pytest.mark.parametrize(("base", "mutate", "field", "message"), SHARED_SOURCE)
def test_two_columns_reading_one_source_column_are_refused(
    tmp_path: Path, base: str, mutate: Mutation, field: str, message: str
) -> None:
    [problem] = _refused(_write(tmp_path, base, mutate))

    assert problem.field == field
    assert message in problem.message
    assert problem.message.endswith(
        "set each column's `source_name` to the source column it reads, or remove one of them"
    )


def test_a_name_is_free_when_its_column_reads_another_source_column(tmp_path: Path) -> None:
    def swap(d: dict[str, Any]) -> None:
        _column(d, "name").update(source_name="xm")
        _column(d, "household_address").update(source_name="name")

    contract = _accepted(_write(tmp_path, "resident_registry", swap))

    assert contract.schema_.column("household_address").source_column == "name"


def test_sql_columns_differing_in_spaces_are_two_source_columns(tmp_path: Path) -> None:
    def spaced(d: dict[str, Any]) -> None:
        _column(d, "name").update(source_name="xm")
        _column(d, "household_address").update(source_name="x m")

    _accepted(_write(tmp_path, "resident_registry", spaced))


# --- decimals ------------------------------------------------------------------------------------

BAD_DECIMALS = [
    pytest.param(
        "decimal(5,9)",
        "decimal(5,9): the scale 9 (digits after the point) is larger than the precision 5 (all digits, "
        "those after the point included); lower the scale to at most 5, e.g. decimal(5,2), or raise the "
        "precision, e.g. decimal(19,9)",
        id="scale-above-precision",
    ),
    pytest.param(
        "decimal(0,0)",
        "decimal(0,0): precision 0 is out of range; the precision counts all digits and must be 1 to 38, "
        "e.g. decimal(12,2)",
        id="no-digits",
    ),
    pytest.param("decimal(39,2)", "precision 39 is out of range", id="wider-than-iceberg"),
    pytest.param("decimal(120,2)", "precision 120 is out of range", id="three-digit-precision"),
    pytest.param(
        "decimal(10,40)",
        "e.g. decimal(10,2) (no precision holds a scale above 38)",
        id="scale-beyond-any-precision",
    ),
    pytest.param(
        "decimal(10,-2)", "'decimal(10,-2)' is not a decimal type: write decimal(p,s)", id="negative"
    ),
    pytest.param("DECIMAL(10,2)", "in lowercase", id="uppercase"),
    pytest.param("decimal", "with the precision p (all digits, 1 to 38)", id="no-precision"),
]


@pytest.mark.parametrize(("type_", "message"), BAD_DECIMALS)
def test_a_decimal_that_cannot_be_stored_is_refused(tmp_path: Path, type_: str, message: str) -> None:
    [problem] = _refused(
        _write(tmp_path, "unemployment_benefit", lambda d: _column(d, "monthly_amount").update(type=type_))
    )

    assert problem.field == "schema.columns[5].type"
    assert message in problem.message


@pytest.mark.parametrize(
    ("type_", "arrow"),
    [
        ("decimal(1,0)", pa.decimal128(1, 0)),
        ("decimal(38,38)", pa.decimal128(38, 38)),
        ("decimal(10, 2)", pa.decimal128(10, 2)),
    ],
)
def test_decimals_at_the_limits_are_accepted(tmp_path: Path, type_: str, arrow: pa.DataType) -> None:
    contract = _accepted(
        _write(tmp_path, "unemployment_benefit", lambda d: _column(d, "monthly_amount").update(type=type_))
    )

    assert arrow_schema(contract).field("monthly_amount").type == arrow


# --- sensitive personal information (PIPL art. 28) ---------------------------------------------


def _declare(entity: str, sensitive: object) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        d["personal_information"].append({"column": "status", "entity_type": entity, "sensitive": sensitive})

    return mutate


@pytest.mark.parametrize("entity", sorted(SENSITIVE_PI_TYPES))
def test_a_sensitive_entity_type_declared_not_sensitive_is_refused(tmp_path: Path, entity: str) -> None:
    [problem] = _refused(_write(tmp_path, "resident_registry", _declare(entity, False)))

    assert problem.field == "personal_information[7].sensitive"
    assert problem.message == (
        f"{entity} is sensitive personal information under PIPL art. 28 in every dataset, so it cannot be "
        f"declared `sensitive: false`: set `sensitive: true`, or remove the line (it defaults to true "
        f"for {entity})"
    )


@pytest.mark.parametrize("spelling", [0, "false", "no", "off"], ids=["zero", "false-text", "no", "off"])
def test_not_sensitive_is_refused_however_it_is_spelled(tmp_path: Path, spelling: object) -> None:
    [problem] = _refused(_write(tmp_path, "resident_registry", _declare("HEALTH", spelling)))

    assert problem.field == "personal_information[7].sensitive"
    assert "HEALTH is sensitive personal information under PIPL art. 28" in problem.message


def test_a_yes_no_answer_that_is_neither_is_named(tmp_path: Path) -> None:
    [problem] = _refused(_write(tmp_path, "resident_registry", _declare("RELIGION", "perhaps")))

    assert problem.field == "personal_information[7].sensitive"
    assert "valid boolean" in problem.message


def test_a_sensitive_entity_type_is_sensitive_without_saying_so(tmp_path: Path) -> None:
    def implicit(d: dict[str, Any]) -> None:
        next(p for p in d["personal_information"] if p["entity_type"] == "ETHNICITY").pop("sensitive")

    contract = _accepted(_write(tmp_path, "resident_registry", implicit))

    assert next(p for p in contract.personal_information if p.entity_type == "ETHNICITY").sensitive


def test_other_entity_types_may_be_declared_not_sensitive(tmp_path: Path) -> None:
    contract = _accepted(_write(tmp_path, "resident_registry", _declare("ADDRESS", False)))

    assert not contract.personal_information[7].sensitive


# --- how a dataset returns to units ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        pytest.param(
            lambda d: d["returns"].update(unit_column="street"),
            "returns.unit_column",
            "'street' is not a column of the schema",
            id="unknown-unit-column",
        ),
        pytest.param(
            lambda d: d["returns"].update(unit_column="birth_date"),
            "returns.unit_column",
            "must be a string column of 12-digit community codes",
            id="unit-column-not-text",
        ),
        pytest.param(
            lambda d: d["returns"]["quasi_identifiers"].append("age"),
            "returns.quasi_identifiers[4]",
            "'age' is not a column of the schema",
            id="unknown-quasi-identifier",
        ),
        pytest.param(
            lambda d: d["returns"]["quasi_identifiers"].append("gender"),
            "returns",
            "lists gender more than once",
            id="repeated-quasi-identifier",
        ),
        pytest.param(
            lambda d: d["returns"].update(sensitive_column="ethnicity"),
            "returns",
            "'ethnicity' is also a quasi-identifier",
            id="sensitive-and-quasi",
        ),
        pytest.param(
            lambda d: d["returns"].update(unit_level="village"),
            "returns.unit_level",
            "district",
            id="unknown-level",
        ),
    ],
)
def test_a_returns_section_that_cannot_scope_rows_is_refused(
    tmp_path: Path, mutate: Mutation, field: str, message: str
) -> None:
    problems = _refused(_write(tmp_path, "resident_registry", mutate))

    assert [p.field for p in problems] == [field]
    assert message in problems[0].message


def test_every_shipped_contract_says_how_it_returns_to_units() -> None:
    for path in sorted(CONTRACTS.glob("*.yaml")):
        contract = _accepted(path)
        assert contract.returns is not None, path.name
        assert contract.schema_.column(contract.returns.unit_column).type == "string"
