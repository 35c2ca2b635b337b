"""``huiliu policy check`` and ``huiliu policy explain`` as an engineer and a compliance officer use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.policy.explain import stored_classification
from huiliu.settings import Settings
from tests.helpers.classifications import store_resident_classification

runner = CliRunner()
COMMUNITY, STREET = "520102016001", "520102016"


@pytest.fixture
def units(huiliu_home: Settings) -> Settings:
    result = runner.invoke(app, ["units", "sync"])
    assert result.exit_code == 0, result.output
    return huiliu_home


def test_check_passes_the_shipped_policy() -> None:
    result = runner.invoke(app, ["policy", "check"])
    assert result.exit_code == 0, result.output
    assert (
        "return_policy.yaml — 2025.2+" in result.stdout
        and "1 valid policy file(s), 0 problem(s)" in result.stdout
    )


def test_check_names_file_line_field_problem_and_fix_in_both_languages(tmp_path: Path) -> None:
    policy = tmp_path / "broken.yaml"
    policy.write_text(
        'version: "1"\nsensitive_minimum_tier: street\ntiers:\n  community:\n    conditional:\n'
        "      general:\n        HEALTH: keep\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 1
    where = f"{policy}:7: tiers.community.conditional.general.HEALTH —"
    assert f"{where} HEALTH is sensitive personal information (PIPL art. 28)" in result.stderr
    assert "— set tiers.community.conditional.general.HEALTH: drop" in result.stderr
    assert f"{where} HEALTH 属于敏感个人信息" in result.stderr
    as_json = json.loads(runner.invoke(app, ["policy", "check", str(policy), "--json"]).stdout)
    assert as_json["valid"] == [] and as_json["problems"][0]["line"] == 7


def test_check_refuses_a_folder_without_policies(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 1 and "no policy files" in result.stderr


def test_explain_shows_what_a_community_gets_and_why_in_chinese(units: Settings) -> None:
    store_resident_classification()
    result = runner.invoke(app, ["policy", "explain", COMMUNITY, "resident_registry"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "紫林社区（520102016001，社区级）可获得「人口基础信息」的哪些列" in out
    flat = "".join(ch for ch in out if ch not in " \n│┃")  # the table may wrap cells at any width
    assert "公民身份号码(GB11643)" in flat and "脱敏" in flat and "泛化为出生年份" in flat
    assert "《个人信息保护法》第二十八条" in flat  # ethnicity is not returned to a community
    assert "返还 10 列，不返还 2 列；策略版本 2025.2+" in out and "个人信息分类来自批次 b1" in out


def test_explain_in_english_and_as_json(units: Settings) -> None:
    store_resident_classification()
    english = runner.invoke(
        app, ["policy", "explain", STREET, "resident_registry", "--lang", "en"], env={"COLUMNS": "220"}
    )
    assert english.exit_code == 0, english.output
    assert "receives of Resident registry" in english.stdout and "11 of 12 columns returned" in english.stdout
    data = json.loads(runner.invoke(app, ["policy", "explain", STREET, "resident_registry", "--json"]).stdout)
    assert data["unit"] == {"code": STREET, "name": data["unit"]["name"], "tier": "street"}
    assert data["policy"]["version"].startswith("2025.2+") and data["classified_batch"] == "b1"
    ethnicity = next(c for c in data["columns"] if c["column"] == "ethnicity")
    assert ethnicity["action"] == "keep" and ethnicity["sensitive"] is True


def test_explain_returns_nothing_without_a_passed_or_approved_classification(units: Settings) -> None:
    store_resident_classification(needs_approval=True)  # waiting for a compliance officer
    assert stored_classification("resident_registry") == (None, None)
    result = runner.invoke(app, ["policy", "explain", COMMUNITY, "resident_registry"], env={"COLUMNS": "220"})
    assert result.exit_code == 0
    assert "返还 0 列" in result.stdout and "所有列均不返还（默认拒绝）" in result.stdout


def test_the_latest_approved_classification_is_the_one_used(units: Settings) -> None:
    store_resident_classification("b1")
    store_resident_classification("b2")
    table, batch = stored_classification("resident_registry")
    assert (
        batch == "b2" and table is not None and table.column("id_number").entity_types == ["CN_RESIDENT_ID"]
    )


@pytest.mark.parametrize(
    ("unit", "dataset", "message"),
    [
        ("520102999999", "resident_registry", "没有单位 520102999999"),
        ("5201", "resident_registry", "是市级单位，数据只回流到区县、街道、社区和网格"),
        (COMMUNITY, "no_such_dataset", "没有数据集 no_such_dataset"),
    ],
    ids=["unknown unit", "a city", "unknown dataset"],
)
def test_explain_refuses_an_unknown_unit_or_dataset(
    units: Settings, unit: str, dataset: str, message: str
) -> None:
    result = runner.invoke(app, ["policy", "explain", unit, dataset])
    assert result.exit_code == 1
    assert message in result.stderr and " / " in result.stderr  # Chinese, then English


def test_explain_refuses_an_unknown_language(units: Settings) -> None:
    result = runner.invoke(app, ["policy", "explain", COMMUNITY, "resident_registry", "--lang", "fr"])
    assert result.exit_code == 1 and "--lang must be zh or en" in result.stderr
