"""Why a quarantined value failed: reason codes and what to do, from the rules, in the quarantine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow.compute as pc
import pytest
from stdnum.cn import ric
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.quality import quarantine
from huiliu.quality.failure_reasons import (
    CREDIT_CODE_RULE,
    MOBILE_RULE,
    RESIDENT_ID_RULE,
    explains,
    reasons_for,
)
from huiliu.quality.gate import run_gate
from huiliu.quality.rules import resident_id_reasons
from huiliu.settings import Settings
from tests.helpers.residents import a_community, insert, person, valid_id
from tests.helpers.source_tables import SourceDb

AS_OF = date(2026, 11, 1)
CONTRACT = load_contract("resident_registry")
LEGACY = "520102600315123"  # 南明区, born 1960-03-15: a first-generation number as issued
VALID = valid_id(7, date(1960, 3, 15))


def codes(rule: str, values: list[str | None], **kwargs: object) -> list[str | None]:
    return [None if r is None else r.code for r in reasons_for(rule, kwargs, values)]


def test_a_first_generation_id_is_named_as_such_not_as_a_wrong_length() -> None:
    grid_code = "520102018123456"  # 15 digits, but 018123 is no birth date
    got = resident_id_reasons([LEGACY, grid_code, VALID, None], as_of=AS_OF)
    assert got.tolist() == ["first_generation", "length", None, None]


def test_resident_id_reasons_follow_the_rule_with_its_parameters() -> None:
    typo = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")
    lower_x = next(
        body + "x"
        for body in (f"52010219600315{n:03d}" for n in range(1000))
        if ric.calc_check_digit(body + "0") == "X"
    )
    future = valid_id(3, date(2027, 1, 1))
    values: list[str | None] = [VALID, typo, lower_x, future, LEGACY, "52010219600315", None]
    assert codes(RESIDENT_ID_RULE, values, as_of=AS_OF.isoformat()) == [
        None,
        "checksum",
        "format",
        "birth_date",
        "first_generation",
        "length",
        None,
    ]
    # the same number judged for a dataset that only takes 北京 residents
    assert codes(RESIDENT_ID_RULE, [VALID], as_of=AS_OF.isoformat(), region_prefixes=["11"]) == [
        "outside_city"
    ]


def test_every_reason_tells_what_to_do_in_chinese_and_english() -> None:
    reasons = reasons_for(RESIDENT_ID_RULE, {"as_of": AS_OF.isoformat()}, [LEGACY])
    (legacy,) = reasons
    assert legacy is not None
    assert "18位" in legacy.message and "15位" in legacy.message
    assert "18-digit" in legacy.message_en


def test_credit_code_and_mobile_reasons() -> None:
    valid_code = "91520102MA6DJ2X18H"
    assert codes(CREDIT_CODE_RULE, [valid_code]) == [None]
    assert codes(
        CREDIT_CODE_RULE, [valid_code[:-1], valid_code.replace("M", "O"), valid_code[:-1] + "0"]
    ) == ["length", "format", "checksum"]
    assert codes(MOBILE_RULE, ["13800138000", "1380013800", "10000000000", "+86 138-0013-8000"]) == [
        None,
        "format",
        "range",
        None,
    ]
    assert codes(MOBILE_RULE, ["0851-855", "0851-85551234"], allow_fixed_line=True) == ["phone", None]
    assert not explains("expect_column_values_to_not_be_blank")
    assert reasons_for("expect_column_values_to_not_be_blank", {}, ["x"]) == [None]


@pytest.fixture
def gated(source: SourceDb, huiliu_home: Settings) -> str:
    community = a_community(huiliu_home)
    rows = [person(i, community) for i in range(100)]
    rows += [
        person(901, community, id_number=LEGACY, birth_date=date(1960, 3, 15)),
        person(902, community, phone="1380013800"),
    ]
    insert(source, rows)
    landed = land_dataset(CONTRACT, "20261101T000000")
    result = run_gate(CONTRACT, landed.batch_id, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert result.rows_quarantined == 2
    return landed.batch_id


def test_the_quarantine_says_why_each_value_failed(gated: str, huiliu_home: Settings) -> None:
    table = lake_table("quarantine.resident_registry", settings=huiliu_home).scan().to_arrow()
    legacy_row = table.filter(pc.equal(table["id_number"], LEGACY))
    failures = {f["rule"]: f for f in json.loads(legacy_row["_failures"][0].as_py())}
    id_failure = failures[f"{RESIDENT_ID_RULE}(id_number)"]
    assert id_failure["reason"] == "first_generation" and "18位" in id_failure["message"]
    assert id_failure["values"] == {"id_number": LEGACY}
    phone_row = table.filter(pc.equal(table["phone"], "1380013800"))
    (phone_failure,) = json.loads(phone_row["_failures"][0].as_py())
    assert phone_failure["reason"] == "format"


def test_the_reason_is_listed_without_the_value(gated: str, huiliu_home: Settings) -> None:
    rows = {r.values["id_number"]: r for r in quarantine.list_rows(CONTRACT, batch_id=gated)}
    summary = rows[LEGACY].as_dict()
    id_failure = next(f for f in summary["failures"] if f["rule"].startswith(RESIDENT_ID_RULE))
    assert id_failure.get("reason") == "first_generation"
    assert LEGACY not in json.dumps(summary, ensure_ascii=False)
    listed = CliRunner().invoke(app, ["quarantine", "list", "resident_registry"])
    assert listed.exit_code == 0, listed.output
    assert "原因" in listed.output and "第一代" in listed.output and LEGACY not in listed.output
    as_json = CliRunner().invoke(app, ["quarantine", "list", "resident_registry", "--json"])
    failures = [f for row in json.loads(as_json.output) for f in row["failures"]]
    assert {f.get("reason") for f in failures} >= {"first_generation", "format"}
    assert any("第一代15位身份证号码" in f.get("message", "") for f in failures)
    assert LEGACY not in as_json.output
