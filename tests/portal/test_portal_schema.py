"""schemathesis against the served ``/openapi.json``: no generated request makes the portal fail (5xx),
with a unit's valid token and without one."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.transport.requests import REQUESTS_TRANSPORT, binary_serializer

from huiliu.portal.app import create_app
from huiliu.portal.tokens import create_token
from huiliu.settings import Settings
from tests.helpers.deliveries import COMMUNITIES, approved_grant
from tests.helpers.deliveries import registry_with_a_rare_resident as registry
from tests.helpers.portal import serving
from tests.portal.conftest import NOW, engineer_account

ANSWER_TYPES = ("application/json", "text/csv", "application/vnd")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REQUESTS_TRANSPORT.serializer(XLSX)(binary_serializer)  # a workbook body is sent as raw bytes


def _fuzz(operation: object, token: str) -> list[str]:
    """Run one operation's generated cases with and without the token; the labels of those that failed."""
    failures: list[str] = []

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            response = case.call(headers=headers)
            answered = response.headers.get("content-type", [""])
            kind = answered[0] if isinstance(answered, list) else answered
            if response.status_code >= 500 or not kind.startswith(ANSWER_TYPES):
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {kind}")

    run()
    return failures


def test_no_generated_request_fails_the_server(huiliu_home: Settings) -> None:
    approved_grant(registry(NOW), COMMUNITIES[0], NOW)
    engineer_account()
    token = create_token(COMMUNITIES[0], by="engineer").token
    with serving(create_app(huiliu_home)) as url:
        schema = schemathesis.openapi.from_url(url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {"/api/v1/datasets", "/api/v1/datasets/{name}/download"}
        failures = [failure for op in operations for failure in _fuzz(op, token)]
    assert failures == []
