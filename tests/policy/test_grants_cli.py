"""``huiliu accounts`` and ``huiliu grants`` as a bureau engineer, a community and approvers use them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.settings import Settings

runner = CliRunner()
COMMUNITY = "520102016001"


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def accounts(huiliu_home: Settings) -> None:
    _ok("units", "sync")
    _ok("accounts", "add", "eng.li", "--unit", "5201", "--role", "bureau_engineer", "--display-name", "李工")
    _ok("accounts", "add", "co.zhao", "--unit", "5201", "--role", "compliance_officer")
    _ok("accounts", "add", "steward.gongan", "--unit", "5201", "--role", "department_steward:gongan")
    _ok(
        "accounts", "add", "staff.wang", "--unit", COMMUNITY, "--role", "unit_staff", "--display-name", "王芳"
    )


def test_a_community_requests_and_both_approvers_approve(accounts: None) -> None:
    requested = json.loads(
        _ok(
            "grants",
            "request",
            "resident_registry",
            "--purpose",
            "核验辖区居民",
            "--legal-basis",
            "个人信息保护法第十三条",
            "--expires",
            "180d",
            "--by",
            "staff.wang",
            "--json",
        )
    )
    grant = requested["id"]
    assert requested["status"] == "requested" and requested["compliance_required"] is True

    half = _ok("grants", "approve", grant, "--by", "steward.gongan")
    assert "仍待另一项审批" in half and "another approval is still needed" in half
    done = json.loads(_ok("grants", "approve", grant, "--by", "co.zhao", "--reason", "用途明确", "--json"))
    assert done["status"] == "approved"
    assert [s["account"] for s in done["history"]] == ["staff.wang", "steward.gongan", "co.zhao"]

    listed = json.loads(_ok("grants", "list", "--unit", "520102", "--status", "approved", "--json"))
    assert [g["id"] for g in listed] == [grant]
    shown = _ok("grants", "show", grant)
    assert "已批准" in shown and "紫林社区" in shown and "用途明确" in shown


def test_refusals_exit_1_with_the_rule_in_both_languages_and_change_nothing(
    accounts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUILIU_ACCOUNT", "staff.wang")
    grant = json.loads(
        _ok(
            "grants",
            "request",
            "resident_registry",
            "--purpose",
            "核验",
            "--legal-basis",
            "第十三条",
            "--json",
        )
    )["id"]

    own = runner.invoke(app, ["grants", "approve", grant])  # as staff.wang, from HUILIU_ACCOUNT
    assert own.exit_code == 1
    assert "申请人不能审批自己的申请" in own.stderr and "cannot approve their own request" in own.stderr

    nobody = runner.invoke(app, ["grants", "approve", grant, "--by", "ghost"])
    assert nobody.exit_code == 1 and "no active account ghost" in nobody.stderr

    unknown = runner.invoke(app, ["grants", "show", "Gdoesnotexist"])
    assert unknown.exit_code == 1 and "no grant Gdoesnotexist" in unknown.stderr

    bad_date = runner.invoke(
        app,
        [
            "grants",
            "request",
            "hotline_tickets",
            "--purpose",
            "x",
            "--legal-basis",
            "y",
            "--expires",
            "next year",
        ],
    )
    assert bad_date.exit_code == 1 and "2027-06-30" in bad_date.stderr

    assert json.loads(_ok("grants", "show", grant, "--json"))["status"] == "requested"


def test_accounts_are_listed_and_disabled_by_a_bureau_engineer(accounts: None) -> None:
    listed = json.loads(_ok("accounts", "list", "--unit", "520102", "--json"))
    assert [(a["name"], a["unit_name"], a["roles"]) for a in listed] == [
        ("staff.wang", "紫林社区", ["unit_staff"])
    ]

    refused = runner.invoke(app, ["accounts", "disable", "staff.wang", "--reason", "调离", "--by", "co.zhao"])
    assert refused.exit_code == 1 and "only a bureau engineer" in refused.stderr

    _ok("accounts", "disable", "staff.wang", "--reason", "调离", "--by", "eng.li")
    assert json.loads(_ok("accounts", "list", "--unit", "520102", "--json")) == []
    everyone = json.loads(_ok("accounts", "list", "--all", "--json"))
    assert next(a for a in everyone if a["name"] == "staff.wang")["disabled"] is True

    bad_role = runner.invoke(app, ["accounts", "add", "x.y", "--unit", COMMUNITY, "--role", "admin"])
    assert bad_role.exit_code == 1 and "unknown role 'admin'" in bad_role.stderr
