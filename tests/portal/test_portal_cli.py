"""``huiliu units token`` and ``huiliu portal`` as a bureau engineer runs them: a token made on the
command line opens the portal served by ``huiliu portal`` in its own process; revoked, it does not."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.cli.portal_cmd import parse_lifetime
from huiliu.contracts import load_contracts
from huiliu.errors import ConfigurationError
from huiliu.policy.accounts import Role, RoleGrant, add_account
from huiliu.policy.grants import known_departments
from huiliu.settings import Settings
from tests.helpers.deliveries import COMMUNITIES, approvers

runner = CliRunner()
A = COMMUNITIES[0]


@pytest.fixture
def engineer(huiliu_home: Settings) -> str:
    approvers()
    departments = known_departments(load_contracts())
    add_account(
        "engineer", unit_code="5201", roles=[RoleGrant(role=Role.BUREAU_ENGINEER)], departments=departments
    )
    return "engineer"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def portal_process(huiliu_home: Settings) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "huiliu"), "portal", "--port", str(port)],
        env={**os.environ, "HUILIU_HOME": str(huiliu_home.home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                said = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"huiliu portal did not start: {said}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_token_created_on_the_command_line_opens_the_served_portal_until_revoked(
    engineer: str, portal_process: str
) -> None:
    created = runner.invoke(
        app, ["units", "token", "create", A, "--by", engineer, "--expires", "30d", "--json"]
    )
    assert created.exit_code == 0, created.output
    issued = json.loads(created.stdout)
    assert issued["unit"] == A and issued["state"] == "active"
    expires = datetime.fromisoformat(issued["expires_at"])
    assert 29 <= (expires - datetime.now(UTC)).days <= 30

    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert httpx.get(portal_process + "/api/v1/datasets", headers=headers).json() == {
        "unit": A,
        "datasets": [],
    }

    listed = json.loads(runner.invoke(app, ["units", "token", "list", "--unit", A, "--json"]).stdout)
    assert [t["id"] for t in listed] == [issued["id"]]
    assert issued["token"] not in json.dumps(listed)
    revoked = runner.invoke(app, ["units", "token", "revoke", issued["id"], "--by", engineer])
    assert revoked.exit_code == 0, revoked.output
    refused = httpx.get(portal_process + "/api/v1/datasets", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")


def test_only_a_bureau_engineer_creates_tokens(engineer: str) -> None:
    refused = runner.invoke(app, ["units", "token", "create", A, "--by", "officer"])
    assert refused.exit_code == 1 and "bureau engineer" in refused.stderr
    unknown = runner.invoke(app, ["units", "token", "create", "999999999999", "--by", engineer])
    assert unknown.exit_code == 1 and "huiliu units list" in unknown.stderr
    city = runner.invoke(app, ["units", "token", "create", "5201", "--by", engineer])
    assert city.exit_code == 1  # the city does not receive returned data


def test_token_lifetimes() -> None:
    assert parse_lifetime("90d").days == 90  # type: ignore[union-attr]
    assert parse_lifetime("12h").total_seconds() == 12 * 3600  # type: ignore[union-attr]
    assert parse_lifetime("never") is None
    for bad in ("0d", "-3d", "soon", "3w"):
        with pytest.raises(ConfigurationError):
            parse_lifetime(bad)


def test_the_audit_log_verifies_from_the_command_line(huiliu_home: Settings) -> None:
    result = runner.invoke(app, ["portal", "audit", "--verify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"records": 0, "intact": True, "broken_at": None}
