"""A small city served by a real portal: a street and three communities, their grants and tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from huiliu.contracts import load_contracts
from huiliu.policy.accounts import Role, RoleGrant, add_account
from huiliu.policy.grants import known_departments
from huiliu.portal.app import create_app
from huiliu.portal.tokens import create_token
from huiliu.settings import Settings
from tests.helpers.deliveries import COMMUNITIES, STREET, approved_grant
from tests.helpers.deliveries import registry_with_a_rare_resident as registry
from tests.helpers.portal import serving

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
A, B, C = COMMUNITIES
DATASET = "resident_registry"


@dataclass
class City:
    url: str
    tokens: dict[str, str]
    grants: dict[str, str]
    settings: Settings

    def _headers(self, unit: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[unit]}"} if unit else {}

    def get(self, path: str, unit: str | None = None, **params: str | int) -> httpx.Response:
        return httpx.get(self.url + path, headers=self._headers(unit), params=params, timeout=60)

    def post(self, path: str, unit: str | None, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(self.url + path, headers=self._headers(unit), json=body, timeout=60)


def engineer_account() -> None:
    add_account(
        "engineer",
        unit_code="5201",
        roles=[RoleGrant(role=Role.BUREAU_ENGINEER)],
        departments=known_departments(load_contracts()),
    )


@pytest.fixture
def city(huiliu_home: Settings) -> Iterator[City]:
    """Street S and its communities A (40 residents, one hostile cell), B (41, one rare: held) and C
    (no grant); S, A and B hold grants of the resident registry; every unit holds a token."""
    contract = registry(NOW)
    grants = {unit: approved_grant(contract, unit, NOW).id for unit in (STREET, A, B)}
    engineer_account()
    tokens = {unit: create_token(unit, by="engineer").token for unit in (STREET, A, B, C)}
    with serving(create_app(huiliu_home)) as url:
        yield City(url=url, tokens=tokens, grants=grants, settings=huiliu_home)
