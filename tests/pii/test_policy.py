"""The PII policy, rule by rule: what holds a batch for a compliance officer and what does not."""

from __future__ import annotations

from typing import Any

import pytest

from huiliu.contracts.model import DatasetContract
from huiliu.pii.classify import ColumnClassification, EntityMatch, TableClassification
from huiliu.pii.policy import FreeTextCounts, PiiVerdict, evaluate

COLUMNS = ("case_id", "id_number", "name", "phone", "note", "ethnicity", "bank_card", "birth_date", "uscc")


def contract(grade: str = "important", pi: list[dict[str, Any]] | None = None) -> DatasetContract:
    """A small case-file contract; ``pi`` replaces its personal-information declarations."""
    declared = [
        {"column": "id_number", "entity_type": "CN_RESIDENT_ID"},
        {"column": "name", "entity_type": "PERSON"},
        {"column": "phone", "entity_type": "CN_MOBILE"},
    ]
    return DatasetContract.model_validate(
        {
            "name": "case_files",
            "title": "个案档案",
            "title_en": "Case files",
            "owner": {"department": "市民政局", "department_code": "minzheng", "steward": "个案科数据专员"},
            "source": {"kind": "sql", "connection": "minzheng", "table": "case_files"},
            "schema": {
                "primary_key": ["case_id"],
                "columns": [{"name": c, "type": "string"} for c in COLUMNS],
            },
            "extraction": {"mode": "full"},
            "schedule": None,
            "classification": {"sharing_class": "conditional", "sensitivity": grade},
            "personal_information": declared if pi is None else pi,
            "legal_basis": "《社会救助暂行办法》",
            "purpose": "个案帮扶",
            "retention": {"days": 365},
            "quality_suite": "case_files",
        }
    )


def column(name: str, *entities: tuple[str, float], kind: str = "structured") -> ColumnClassification:
    matches = tuple(EntityMatch(e, ratio, int(ratio * 100), 0.9) for e, ratio in entities)
    return ColumnClassification(
        name, "string", 100, 0, 100, kind if matches else "none", matches, matches, (), ""
    )  # type: ignore[arg-type]


def table(*columns: ColumnClassification) -> TableClassification:
    named = {c.name: c for c in columns}
    return TableClassification(tuple(named.get(n, column(n)) for n in COLUMNS), 100, 100)


DECLARED = (
    column("id_number", ("CN_RESIDENT_ID", 1.0)),
    column("name", ("PERSON", 0.99)),
    column("phone", ("CN_MOBILE", 1.0)),
)
FREE_TEXT_NOTE = {"column": "note", "entity_type": "FREE_TEXT"}


def rules(verdict: PiiVerdict) -> set[tuple[str, str, str]]:
    return {(f.column, f.entity_type, f.rule) for f in verdict.findings}


CASES = [
    pytest.param(contract(), table(*DECLARED), None, set(), "pass", id="declared structured PI passes"),
    pytest.param(
        contract(),
        table(*DECLARED, column("case_id", ("CN_MOBILE", 0.97))),
        None,
        {("case_id", "CN_MOBILE", "undeclared_column")},
        "needs_approval",
        id="an undeclared phone column holds",
    ),
    pytest.param(
        contract(),
        table(
            column("id_number", ("CN_RESIDENT_ID", 1.0)), column("name", ("PERSON", 0.7), ("CN_MOBILE", 0.3))
        ),
        None,
        {("name", "CN_MOBILE", "undeclared_entity"), ("phone", "CN_MOBILE", "declared_not_detected")},
        "needs_approval",
        id="an undeclared entity type in a declared column holds",
    ),
    pytest.param(
        contract(),
        table(*DECLARED[:2], column("phone", ("CN_LANDLINE", 0.95))),
        None,
        set(),
        "pass",
        id="a declared phone column of landlines passes (one declaration, several detected types)",
    ),
    pytest.param(
        contract(pi=[FREE_TEXT_NOTE]),
        table(column("note", ("FREE_TEXT", 0.6), ("PERSON", 0.5), kind="free_text")),
        {"note": {"PERSON": 40, "CN_MOBILE": 31, "ADDRESS": 20, "CN_RESIDENT_ID": 9, "BANK_CARD": 3}},
        set(),
        "pass",
        id="free text with ordinary entities passes (anonymised before return)",
    ),
    pytest.param(
        contract(pi=[FREE_TEXT_NOTE]),
        table(column("note", ("FREE_TEXT", 0.6), kind="free_text")),
        {"note": {"PERSON": 40, "HEALTH": 1}},
        {("note", "HEALTH", "undeclared_entity")},
        "needs_approval",
        id="one free-text row with undeclared health information holds",
    ),
    pytest.param(
        contract(pi=[FREE_TEXT_NOTE, {"column": "note", "entity_type": "HEALTH", "sensitive": True}]),
        table(column("note", ("FREE_TEXT", 0.6), kind="free_text")),
        {"note": {"PERSON": 40, "HEALTH": 12}},
        set(),
        "pass",
        id="free-text health information declared on the column passes in an important dataset",
    ),
    pytest.param(
        contract("general", [FREE_TEXT_NOTE, {"column": "note", "entity_type": "HEALTH", "sensitive": True}]),
        table(column("note", ("FREE_TEXT", 0.6), kind="free_text")),
        {"note": {"HEALTH": 2}},
        {("note", "HEALTH", "sensitive_not_allowed")},
        "needs_approval",
        id="declared health information in a general dataset holds (grading, not declaring, allows it)",
    ),
    pytest.param(
        contract(pi=[{"column": "ethnicity", "entity_type": "ETHNICITY", "sensitive": True}]),
        table(column("ethnicity", ("ETHNICITY", 1.0))),
        None,
        set(),
        "pass",
        id="declared ethnicity passes in an important dataset",
    ),
    pytest.param(
        contract("general", [{"column": "ethnicity", "entity_type": "ETHNICITY"}]),
        table(column("ethnicity", ("ETHNICITY", 1.0))),
        None,
        {("ethnicity", "ETHNICITY", "sensitive_not_allowed")},
        "needs_approval",
        id="ethnicity is sensitive by PIPL art 28 even when the contract does not flag it",
    ),
    pytest.param(
        contract("general", [{"column": "bank_card", "entity_type": "BANK_CARD", "sensitive": True}]),
        table(column("bank_card", ("BANK_CARD", 1.0))),
        None,
        {("bank_card", "BANK_CARD", "sensitive_not_allowed")},
        "needs_approval",
        id="a type the contract flags sensitive holds in a general dataset",
    ),
    pytest.param(
        contract("general", [{"column": "bank_card", "entity_type": "BANK_CARD"}]),
        table(column("bank_card", ("BANK_CARD", 1.0))),
        None,
        {("bank_card", "BANK_CARD", "sensitive_not_allowed")},
        "needs_approval",
        id="a declared bank card column is sensitive (a financial account) even when not flagged",
    ),
    pytest.param(
        contract(pi=[{"column": "birth_date", "entity_type": "DATE_OF_BIRTH"}]),
        table(),
        None,
        {("birth_date", "DATE_OF_BIRTH", "declared_not_detected")},
        "pass",
        id="a declared type detected nowhere is reported, not held",
    ),
    pytest.param(
        contract(pi=[{"column": "birth_date", "entity_type": "DATE_OF_BIRTH"}]),
        table(column("birth_date", ("AGE", 0.9))),
        None,
        set(),
        "pass",
        id="a declared birth date read as an age passes",
    ),
    pytest.param(
        contract(pi=[]),
        table(column("note", ("FREE_TEXT", 0.4), ("PERSON", 0.3), kind="free_text")),
        {"note": {"PERSON": 30, "CN_MOBILE": 12}},
        {("note", "PERSON", "undeclared_column"), ("note", "CN_MOBILE", "undeclared_column")},
        "needs_approval",
        id="an undeclared free-text column with findings holds",
    ),
    pytest.param(
        contract(pi=[]),
        table(column("uscc", ("CN_USCC", 1.0))),
        None,
        {("uscc", "CN_USCC", "organisation_identifier")},
        "pass",
        id="an organisation identifier is reported, not held",
    ),
]


@pytest.mark.parametrize(("declared", "classification", "free_text", "expected", "status"), CASES)
def test_rule(
    declared: DatasetContract,
    classification: TableClassification,
    free_text: FreeTextCounts | None,
    expected: set[tuple[str, str, str]],
    status: str,
) -> None:
    verdict = evaluate(declared, classification, free_text)
    assert rules(verdict) == expected
    assert verdict.status == status
    assert verdict.needs_approval == (status == "needs_approval")
    assert {(f.column, f.entity_type, f.rule) for f in verdict.held} == {
        r for r in expected if r[2] in ("undeclared_column", "undeclared_entity", "sensitive_not_allowed")
    }


def test_messages_are_bilingual_name_the_column_and_type_and_carry_no_value() -> None:
    verdict = evaluate(
        contract("general", pi=[]),
        table(column("ethnicity", ("ETHNICITY", 1.0))),
    )
    by_rule = {f.rule: f for f in verdict.findings}
    assert set(by_rule) == {"undeclared_column", "sensitive_not_allowed"}
    sensitive = by_rule["sensitive_not_allowed"]
    assert "ethnicity" in sensitive.message_zh and "民族" in sensitive.message_zh
    assert "第二十八条" in sensitive.message_zh and "PIPL art. 28" in sensitive.message_en
    assert "100% of sampled values" in sensitive.message_en
    undeclared = by_rule["undeclared_column"].as_dict()
    assert undeclared["holds"] is True and undeclared["share"] == 1.0
    assert "declare it in the contract" in undeclared["message_en"]


def test_free_text_counts_come_from_every_row_not_the_sample() -> None:
    sampled = table(column("note", ("FREE_TEXT", 0.6), ("PERSON", 0.5), kind="free_text"))
    verdict = evaluate(contract(pi=[FREE_TEXT_NOTE]), sampled, {"note": {"PERSON": 50, "RELIGION": 1}})
    (held,) = verdict.held
    assert (held.column, held.entity_type, held.evidence.rows) == ("note", "RELIGION", 1)
    assert "1 行" in held.message_zh and "1 rows" in held.message_en
