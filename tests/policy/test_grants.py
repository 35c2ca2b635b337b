"""Accounts, roles and grants (申请 → 审批) on the governance store, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from huiliu.contracts import load_contract, load_contracts
from huiliu.contracts.model import SharingClass
from huiliu.divisions import load_hierarchy
from huiliu.errors import AccessError, ConfigurationError, NotFoundError
from huiliu.policy.accounts import Role, RoleGrant, add_account, disable_account, get_account, list_accounts
from huiliu.policy.grant_rules import GrantAction, GrantStatus
from huiliu.policy.grants import (
    active_grants,
    approve_grant,
    get_grant,
    known_departments,
    list_grants,
    reject_grant,
    request_grant,
    revoke_grant,
)
from huiliu.settings import Settings, reset_settings
from huiliu.store import db
from huiliu.store.db import session_scope
from huiliu.store.models import DatasetRecord
from huiliu.store.units import sync_units

COMMUNITY = "520102016001"  # 紫林社区, 南明区
OTHER_COMMUNITY = "520102016002"
STREET = "520102016"
NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
PURPOSE = "核验辖区低保对象与居民身份 (verifying recipients in the community)"
BASIS = "《个人信息保护法》第十三条第一款第（三）项"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    """The governance store with 南明区's units and one account per role."""
    if request.param == "postgresql":
        monkeypatch.setenv("HUILIU_GOVERNANCE_URL", request.getfixturevalue("postgres_url"))
        reset_settings()
        db.get_engine.cache_clear()
        db._ready.clear()
    sync_units(load_hierarchy("5201", ["520102"]))
    departments = known_departments(load_contracts())
    people = {
        "eng.li": ("5201", [RoleGrant(role=Role.BUREAU_ENGINEER)]),
        "co.zhao": ("5201", [RoleGrant(role=Role.COMPLIANCE_OFFICER)]),
        "steward.gongan": ("5201", [RoleGrant(role=Role.DEPARTMENT_STEWARD, department="gongan")]),
        "steward.minzheng": ("5201", [RoleGrant(role=Role.DEPARTMENT_STEWARD, department="minzheng")]),
        "steward.shichang": ("5201", [RoleGrant(role=Role.DEPARTMENT_STEWARD, department="shichang")]),
        "staff.wang": (COMMUNITY, [RoleGrant(role=Role.UNIT_STAFF)]),
        "staff.chen": (OTHER_COMMUNITY, [RoleGrant(role=Role.UNIT_STAFF)]),
        "staff.street": (STREET, [RoleGrant(role=Role.UNIT_STAFF)]),
        "staff.district": ("520102", [RoleGrant(role=Role.UNIT_STAFF)]),
    }
    for name, (unit, roles) in people.items():
        add_account(name, unit_code=unit, roles=roles, departments=departments)
    return request.param


def _request(dataset: str = "resident_registry", by: str = "staff.wang", **kwargs: object):  # type: ignore[no-untyped-def]
    args = {"by": by, "purpose": PURPOSE, "legal_basis": BASIS, "now": NOW} | kwargs
    return request_grant(load_contract(dataset), **args)  # type: ignore[arg-type]


def _approve(grant_id: str, by: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return approve_grant(grant_id, load_contract, by=by, now=now)


def test_a_sensitive_dataset_needs_its_steward_and_a_compliance_officer(store: str) -> None:
    grant = _request()  # resident_registry: 有条件共享, ethnicity sensitive
    assert grant.status is GrantStatus.REQUESTED and grant.compliance_required
    assert active_grants(now=NOW) == []

    half = _approve(grant.id, "steward.gongan")
    assert half.status is GrantStatus.REQUESTED and active_grants(now=NOW) == []

    done = _approve(grant.id, "co.zhao")
    assert done.status is GrantStatus.APPROVED
    assert [(s.action, s.account, s.role) for s in done.history] == [
        (GrantAction.REQUESTED, "staff.wang", Role.UNIT_STAFF),
        (GrantAction.APPROVED, "steward.gongan", Role.DEPARTMENT_STEWARD),
        (GrantAction.APPROVED, "co.zhao", Role.COMPLIANCE_OFFICER),
    ]
    assert [g.id for g in active_grants(now=NOW)] == [grant.id]
    assert (done.unit_code, done.purpose, done.legal_basis) == (COMMUNITY, PURPOSE.strip(), BASIS)


def test_either_approval_may_come_first(store: str) -> None:
    grant = _request()
    _approve(grant.id, "co.zhao")
    assert _approve(grant.id, "steward.gongan").status is GrantStatus.APPROVED


def test_an_unconditional_dataset_without_sensitive_information_needs_only_its_steward(store: str) -> None:
    contract = load_contract("business_registrations")
    assert not any(pi.sensitive for pi in contract.personal_information)
    grant = _request("business_registrations", by="staff.district")  # kept per district
    assert not grant.compliance_required
    steward = next(
        a.name for a in list_accounts() if a.holds(Role.DEPARTMENT_STEWARD, contract.owner.department_code)
    )
    assert _approve(grant.id, steward).status is GrantStatus.APPROVED


def test_the_steward_of_another_department_cannot_approve(store: str) -> None:
    grant = _request()
    with pytest.raises(AccessError, match="steward of gongan") as caught:
        _approve(grant.id, "steward.minzheng")
    assert "公安局的数据专员" in str(caught.value)
    assert get_grant(grant.id).history[-1].action is GrantAction.REQUESTED


@pytest.mark.parametrize("approver", ["staff.wang", "staff.chen", "eng.li"])
def test_the_requester_and_accounts_without_an_approver_role_cannot_approve(
    store: str, approver: str
) -> None:
    grant = _request()
    with pytest.raises(AccessError):
        _approve(grant.id, approver)
    assert get_grant(grant.id, now=NOW).status is GrantStatus.REQUESTED


def test_an_account_holding_both_roles_counts_once(store: str) -> None:
    add_account(
        "both.roles",
        unit_code="5201",
        roles=[
            RoleGrant(role=Role.COMPLIANCE_OFFICER),
            RoleGrant(role=Role.DEPARTMENT_STEWARD, department="gongan"),
        ],
        departments=known_departments(load_contracts()),
    )
    grant = _request()
    _approve(grant.id, "both.roles")
    with pytest.raises(AccessError, match="someone else"):
        _approve(grant.id, "both.roles")
    assert get_grant(grant.id, now=NOW).status is GrantStatus.REQUESTED


def test_a_not_shared_dataset_cannot_be_requested(store: str) -> None:
    registry = load_contract("resident_registry")
    closed = registry.classification.model_copy(update={"sharing_class": SharingClass.NONE})
    contract = registry.model_copy(update={"classification": closed})
    with pytest.raises(AccessError, match="不予共享"):
        request_grant(contract, by="staff.wang", purpose=PURPOSE, legal_basis=BASIS, now=NOW)
    assert list_grants() == []
    with session_scope() as session:  # a refused request leaves the dataset registry alone
        record = session.get(DatasetRecord, "resident_registry")
        assert record is None or record.sharing_class == "conditional"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"purpose": "  "}, "purpose", id="blank-purpose"),
        pytest.param({"legal_basis": ""}, "legal basis", id="blank-basis"),
        pytest.param({"expires_at": NOW - timedelta(days=1)}, "future", id="expired-at-request"),
        pytest.param({"expires_at": NOW + timedelta(days=4 * 365)}, "at most", id="too-long"),
        pytest.param({"by": "eng.li"}, "only staff", id="not-unit-staff"),
        pytest.param({"by": "nobody"}, "no active account", id="unknown-account"),
    ],
)
def test_requests_that_break_a_rule_are_refused(store: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AccessError, match=message):
        _request(**kwargs)
    assert list_grants() == []


def test_a_unit_finer_than_the_datasets_rows_cannot_request_it(store: str) -> None:
    with pytest.raises(
        AccessError, match="kept per district; the community 520102016001 would receive no rows"
    ):
        _request("business_registrations")
    assert list_grants() == []


def test_a_dataset_without_a_returns_section_cannot_be_requested(store: str) -> None:
    contract = load_contract("resident_registry").model_copy(update={"returns": None})
    with pytest.raises(AccessError, match="no `returns` section"):
        request_grant(contract, by="staff.wang", purpose=PURPOSE, legal_basis=BASIS, now=NOW)


def test_a_unit_cannot_hold_two_live_grants_of_one_dataset(store: str) -> None:
    first = _request()
    with pytest.raises(AccessError, match=first.id):
        _request()
    later = NOW + timedelta(days=400)  # the first has expired by then
    second = _request(now=later)
    assert second.id != first.id


def test_expired_grants_are_not_active(store: str) -> None:
    grant = _request(expires_at=NOW + timedelta(days=30))
    _approve(grant.id, "steward.gongan")
    _approve(grant.id, "co.zhao")
    assert [g.id for g in active_grants(now=NOW + timedelta(days=29))] == [grant.id]
    after = NOW + timedelta(days=31)
    assert active_grants(now=after) == []
    assert get_grant(grant.id, now=after).status is GrantStatus.EXPIRED
    with pytest.raises(AccessError, match="expired"):
        revoke_grant(grant.id, load_contract, by="co.zhao", reason="整改", now=after)


def test_a_pending_request_expiring_before_approval_cannot_be_approved(store: str) -> None:
    grant = _request(expires_at=NOW + timedelta(days=2))
    with pytest.raises(AccessError, match="expired"):
        _approve(grant.id, "steward.gongan", now=NOW + timedelta(days=3))


def test_reject_and_revoke_need_a_reason_and_the_right_role(store: str) -> None:
    grant = _request()
    with pytest.raises(AccessError, match="reason"):
        reject_grant(grant.id, load_contract, by="steward.gongan", reason="  ", now=NOW)
    with pytest.raises(AccessError, match="or a compliance officer may reject"):
        reject_grant(grant.id, load_contract, by="staff.chen", reason="不需要", now=NOW)
    rejected = reject_grant(grant.id, load_contract, by="steward.gongan", reason="用途过宽", now=NOW)
    assert rejected.status is GrantStatus.REJECTED and rejected.history[-1].reason == "用途过宽"
    with pytest.raises(AccessError, match="not awaiting approval"):
        _approve(grant.id, "co.zhao")

    again = _request()  # a rejected request does not block a new one
    _approve(again.id, "steward.gongan")
    _approve(again.id, "co.zhao")
    with pytest.raises(AccessError, match="or a compliance officer may revoke"):
        revoke_grant(again.id, load_contract, by="eng.li", reason="x", now=NOW)
    revoked = revoke_grant(again.id, load_contract, by="co.zhao", reason="社区已合并", now=NOW)
    assert revoked.status is GrantStatus.REVOKED and active_grants(now=NOW) == []
    with pytest.raises(AccessError, match="revoked"):
        revoke_grant(again.id, load_contract, by="co.zhao", reason="again", now=NOW)


def test_a_disabled_account_can_no_longer_act_but_its_decisions_stay(store: str) -> None:
    grant = _request()
    _approve(grant.id, "steward.gongan")
    disable_account("steward.gongan", by="eng.li", reason="调岗")
    assert get_account("steward.gongan", include_disabled=True).disabled
    with pytest.raises(AccessError, match="no active account"):
        reject_grant(grant.id, load_contract, by="steward.gongan", reason="x", now=NOW)
    assert get_grant(grant.id).history[1].account == "steward.gongan"
    assert "steward.gongan" not in {a.name for a in list_accounts()}


def test_only_a_bureau_engineer_disables_and_never_itself(store: str) -> None:
    with pytest.raises(AccessError, match="only a bureau engineer"):
        disable_account("staff.wang", by="co.zhao", reason="x")
    with pytest.raises(AccessError, match="itself"):
        disable_account("eng.li", by="eng.li", reason="x")
    with pytest.raises(NotFoundError):
        disable_account("nobody", by="eng.li", reason="x")


@pytest.mark.parametrize(
    ("name", "unit", "role", "message"),
    [
        pytest.param("Bad Name", COMMUNITY, "unit_staff", "account name", id="bad-name"),
        pytest.param("staff.wang", COMMUNITY, "unit_staff", "already exists", id="duplicate"),
        pytest.param("x.city", "5201", "unit_staff", "unit staff belong to", id="staff-at-city"),
        pytest.param(
            "x.co", COMMUNITY, "compliance_officer", "belongs to the city", id="officer-in-community"
        ),
        pytest.param("x.st", "5201", "department_steward:nope", "unknown department", id="unknown-dept"),
        pytest.param("x.u", "999999", "unit_staff", "units sync", id="unknown-unit"),
    ],
)
def test_accounts_that_cannot_exist_are_refused(
    store: str, name: str, unit: str, role: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        add_account(
            name,
            unit_code=unit,
            roles=[RoleGrant.parse(role)],
            departments=known_departments(load_contracts()),
        )


@pytest.mark.parametrize("text", ["nope", "department_steward", "unit_staff:gongan"])
def test_role_texts_are_parsed_strictly(text: str) -> None:
    with pytest.raises(ConfigurationError):
        RoleGrant.parse(text)


def test_listing_by_unit_covers_the_units_below(store: str) -> None:
    _request()
    _request(by="staff.chen")
    street_grant = _request(by="staff.street")
    _request(by="staff.district")
    assert {g.unit_code for g in list_grants(unit_code=STREET)} == {COMMUNITY, OTHER_COMMUNITY, STREET}
    assert [g.unit_code for g in list_grants(unit_code=COMMUNITY)] == [COMMUNITY]
    assert {a.name for a in list_accounts(unit_code=STREET)} == {"staff.wang", "staff.chen", "staff.street"}
    assert street_grant.unit_level == "street"


def test_resyncing_units_keeps_units_that_accounts_name(store: str) -> None:
    sync_units(load_hierarchy("5201", ["520103"]))  # 南明区 is no longer in the hierarchy
    assert get_account("staff.wang").unit_name  # its community is kept, with its name
    assert get_grant(_request().id).unit_name
