"""The steward routes over HTTP: the owning department's steward lists and decides its datasets'
corrections with a token of its account; a unit's token and another department's steward find
nothing there."""

from __future__ import annotations

import httpx
import pytest

from huiliu.contracts import load_contract, load_contracts
from huiliu.errors import ConfigurationError
from huiliu.policy.accounts import Role, RoleGrant, add_account
from huiliu.policy.grants import known_departments
from huiliu.portal.tokens import create_token
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import DeliveryStatus, deliveries
from tests.portal.conftest import DATASET, A, City

STEWARDS = "/api/v1/steward/corrections"


def _token(account: str) -> str:
    return create_token("5201", by="engineer", account=account).token


def _as(city: City, token: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, city.url + path, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def filed(city: City) -> str:
    deliver(load_contract(DATASET), settings=city.settings)
    delivery = next(
        d for d in deliveries(unit_code=A) if d.unit_code == A and d.status is DeliveryStatus.DELIVERED
    )
    body = {
        "delivery_id": delivery.id,
        "row": 2,
        "field": "status",
        "value": "死亡",
        "reason": "家属报告去世",
    }
    response = city.post("/api/v1/corrections", A, body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_the_steward_lists_and_decides_over_http(city: City, filed: str) -> None:
    steward = _token("steward")

    listed = _as(city, steward, "GET", STEWARDS, params={"status": "submitted"}).json()
    assert listed["account"] == "steward"
    assert [(c["id"], c["unit"], c["proposed_value"]) for c in listed["corrections"]] == [(filed, A, "死亡")]

    no_reason = _as(city, steward, "POST", f"{STEWARDS}/{filed}/decision", json={"decision": "reject"})
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_needed")
    accepted = _as(city, steward, "POST", f"{STEWARDS}/{filed}/decision", json={"decision": "accept"})
    assert (accepted.status_code, accepted.json()["status"]) == (200, "applied")
    again = _as(city, steward, "POST", f"{STEWARDS}/{filed}/decision", json={"decision": "accept"})
    assert (again.status_code, again.json()["code"]) == (422, "invalid_correction")
    seen = city.get(f"/api/v1/corrections/{filed}", A).json()
    assert seen["status"] == "applied"


def test_a_unit_and_another_departments_steward_find_nothing(city: City, filed: str) -> None:
    missing = city.get("/api/v1/datasets/no_such/download", A).json()
    add_account(
        "steward.minzheng",
        unit_code="5201",
        roles=[RoleGrant(role=Role.DEPARTMENT_STEWARD, department="minzheng")],
        departments=known_departments(load_contracts()),
    )
    other = _token("steward.minzheng")

    for token in (city.tokens[A], other):
        decision = _as(city, token, "POST", f"{STEWARDS}/{filed}/decision", json={"decision": "accept"})
        assert (decision.status_code, decision.json()) == (404, missing)
    assert _as(city, city.tokens[A], "GET", STEWARDS).status_code == 404
    assert _as(city, other, "GET", STEWARDS).json()["corrections"] == []
    assert city.get(f"/api/v1/corrections/{filed}", A).json()["status"] == "submitted"


def test_only_a_steward_account_gets_a_steward_token(city: City) -> None:
    with pytest.raises(ConfigurationError):
        create_token("5201", by="engineer", account="officer")  # a compliance officer, not a steward
    with pytest.raises(ConfigurationError):
        create_token(A, by="engineer", account="steward")  # the steward belongs to the city unit
