"""The portal over HTTP against a real uvicorn server: what a unit may list, pull and read, and what
another unit's token, a hostile path or a dead token gets (the same answer as what does not exist)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openpyxl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from huiliu.contracts import load_contract
from huiliu.lineage.naming import lake_dataset
from huiliu.lineage.queries import downstream
from huiliu.policy.grants import revoke_grant
from huiliu.portal.app import create_app
from huiliu.portal.attempts import FailedAttempts
from huiliu.portal.audit import pulls, verify_log
from huiliu.portal.tokens import create_token, revoke_token
from huiliu.returnflow.lineage import unit_namespace
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import deliveries
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings
from huiliu.store.db import session_scope
from huiliu.store.models import PortalAccess
from tests.helpers.deliveries import HOSTILE, STREET, append_curated, residents
from tests.helpers.deliveries import registry_with_a_rare_resident as registry
from tests.helpers.portal import serving
from tests.portal.conftest import DATASET, NOW, A, B, C, City, engineer_account

DOWNLOAD = f"/api/v1/datasets/{DATASET}/download"


def test_health_and_openapi_answer_without_a_token(city: City) -> None:
    assert city.get("/healthz").json() == {"status": "ok"}
    assert city.get("/readyz").json() == {"status": "ready"}
    paths = city.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/datasets",
        "/api/v1/datasets/{name}/download",
        "/api/v1/deliveries/{delivery_id}",
    } <= set(paths)


def test_a_unit_lists_only_its_own_grants_with_the_columns_its_tier_gets(city: City) -> None:
    listed = city.get("/api/v1/datasets", A).json()

    assert listed["unit"] == A
    (dataset,) = listed["datasets"]
    assert dataset["name"] == DATASET and dataset["title_zh"] == load_contract(DATASET).title
    assert dataset["grant_id"] == city.grants[A]
    actions = {c["name"]: c["action"] for c in dataset["columns"]}
    assert actions["id_number"] == "mask" and actions["name"] == "keep"
    assert "ethnicity" not in actions  # sensitive: streets and above only
    assert city.get("/api/v1/datasets", C).json() == {"unit": C, "datasets": []}


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.content.startswith("\ufeff".encode())  # UTF-8 with BOM: Excel reads Chinese
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_community_pulls_its_own_masked_rows_as_csv(city: City) -> None:
    response = city.get(DOWNLOAD, A, format="csv")

    assert response.status_code == 200, response.text
    rows = _rows(response)
    assert len(rows) == 40 == int(response.headers["x-huiliu-rows"])
    assert {r["community_code"] for r in rows} == {A}
    assert all("*" in r["id_number"] for r in rows)
    assert HOSTILE not in {r["status"] for r in rows}  # neutralised, not run by Excel
    assert "attachment" in response.headers["content-disposition"]


def test_a_pull_equals_the_push_delivery_of_the_same_snapshot(city: City) -> None:
    pulled = city.get(DOWNLOAD, A, format="parquet")
    assert pulled.status_code == 200

    deliver(load_contract(DATASET), settings=city.settings)
    (pushed,) = [d for d in deliveries(unit_code=A) if d.status == "delivered" and d.unit_code == A]
    pushed_rows = pq.read_table(Path(pushed.outbox_path or "") / f"{DATASET}.parquet")
    assert pq.read_table(io.BytesIO(pulled.content)).equals(pushed_rows)
    assert pulled.headers["x-huiliu-policy-version"] == pushed.policy_version

    again = city.get(DOWNLOAD, A, format="parquet")  # now served from the push delivery itself
    assert again.headers["x-huiliu-delivery"] == pushed.id
    assert pq.read_table(io.BytesIO(again.content)).equals(pushed_rows)


def test_xlsx_pulls_keep_formula_like_cells_as_text(city: City) -> None:
    response = city.get(DOWNLOAD, A, format="xlsx")

    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "说明" in book.sheetnames
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert not any(c.data_type == "f" for c in cells)


def _not_found(city: City) -> dict[str, str]:
    body = city.get("/api/v1/datasets/no_such_dataset/download", A).json()
    assert body["code"] == "not_found" and body["message_zh"] and body["message_en"]
    return body


def test_another_units_data_answers_exactly_like_what_does_not_exist(city: City) -> None:
    missing = _not_found(city)
    deliver(load_contract(DATASET), settings=city.settings)
    street_delivery = next(d.id for d in deliveries(unit_code=STREET) if d.unit_code == STREET)

    answers = [
        city.get(DOWNLOAD, C),  # C holds no grant of the dataset
        city.get(f"/api/v1/deliveries/{street_delivery}", A),  # the street's delivery
        city.get(f"/api/v1/deliveries/{street_delivery}/manifest", A),
        city.get("/api/v1/deliveries/D0000000000000000", A),  # no such delivery
        city.get("/api/v1/deliveries/D0000000000000000/manifest", A),
    ]
    assert [(r.status_code, r.json()) for r in answers] == [(404, missing)] * len(answers)
    own = city.get(f"/api/v1/deliveries/{street_delivery}", STREET)
    assert own.status_code == 200 and own.json()["dataset"] == DATASET
    manifest = city.get(f"/api/v1/deliveries/{street_delivery}/manifest", STREET).json()
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/datasets/..%2F..%2Fetc%2Fpasswd/download",
        "/api/v1/datasets/%2e%2e/download",
        "/api/v1/datasets/resident_registry%00/download",
        "/api/v1/datasets/RESIDENT_REGISTRY/download",
        "/api/v1/deliveries/..%2F..%2Fgovernance.db",
        "/api/v1/deliveries/%2e%2e%2fmanifest/manifest",
        "/api/v1/deliveries/D0000000000000000%2F..%2F..",
        "/api/v1/corrections/..%2F..%2Fgovernance.db",
        "/api/v1/corrections/%2e%2e%2fC0000000000000000",
        "/api/v1/steward/corrections/..%2F..%2Fkeys/attachment",
    ],
)
def test_traversal_in_a_path_parameter_is_not_found(city: City, path: str) -> None:
    response = city.get(path, A)

    assert (response.status_code, response.json()) == (404, _not_found(city))


def test_tokens_that_do_not_open_the_portal(city: City) -> None:
    expired = create_token(A, by="engineer", expires_in=timedelta(days=1), now=NOW - timedelta(days=2))
    wrong_secret = city.tokens[A][:-4] + ("aaaa" if not city.tokens[A].endswith("aaaa") else "bbbb")
    cases = {
        "none": {},
        "not bearer": {"Authorization": f"Basic {city.tokens[A]}"},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "wrong secret": {"Authorization": f"Bearer {wrong_secret}"},
        "expired": {"Authorization": f"Bearer {expired.token}"},
    }
    codes = {
        name: (r.status_code, r.json()["code"])
        for name, headers in cases.items()
        for r in [httpx.get(city.url + "/api/v1/datasets", headers=headers)]
    }
    assert codes == {
        "none": (401, "token_invalid"),
        "not bearer": (401, "token_invalid"),
        "garbage": (401, "token_invalid"),
        "wrong secret": (401, "token_invalid"),
        "expired": (401, "token_expired"),
    }


def test_a_revoked_token_and_a_revoked_grant_stop_at_once(city: City) -> None:
    assert city.get(DOWNLOAD, A).status_code == 200
    assert city.get("/api/v1/datasets", STREET).status_code == 200

    revoke_grant(city.grants[A], load_contract, by="steward", reason="不再需要该数据", now=datetime.now(UTC))
    assert (city.get(DOWNLOAD, A).status_code, city.get(DOWNLOAD, A).json()) == (404, _not_found(city))
    assert city.get("/api/v1/datasets", A).json()["datasets"] == []

    (street_token,) = _tokens(STREET)
    revoke_token(street_token, by="engineer")
    refused = city.get("/api/v1/datasets", STREET)
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")


def _tokens(unit: str) -> list[str]:
    from huiliu.portal.tokens import list_tokens

    return [t.id for t in list_tokens(unit_code=unit)]


def test_the_guard_holds_a_rare_residents_community_over_http_too(city: City) -> None:
    response = city.get(DOWNLOAD, B)

    assert (response.status_code, response.json()["code"]) == (409, "extract_held")
    assert "1930" not in response.text


def test_an_older_snapshot_is_served_under_todays_policy(city: City) -> None:
    contract = load_contract(DATASET)
    first = CuratedSnapshot(contract).snapshot_id
    append_curated(contract, residents(5, A, 500), "b2", NOW - timedelta(days=1))
    assert CuratedSnapshot(contract).snapshot_id != first

    old = city.get(DOWNLOAD, A, format="csv", snapshot=first)
    new = city.get(DOWNLOAD, A, format="csv")
    assert (old.status_code, new.status_code) == (200, 200)
    assert (len(_rows(old)), len(_rows(new))) == (40, 45)
    assert old.headers["x-huiliu-snapshot"] == str(first)
    assert all("*" in r["id_number"] for r in _rows(old))
    missing = city.get(DOWNLOAD, A, snapshot=123456789)
    assert (missing.status_code, missing.json()) == (404, _not_found(city))


@pytest.mark.parametrize("params", [{"format": "exe"}, {"snapshot": "abc"}, {"snapshot": "-1"}])
def test_bad_parameters_get_a_json_error_naming_the_field(city: City, params: dict[str, str]) -> None:
    response = city.get(DOWNLOAD, A, **params)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request" and body["field"] == next(iter(params))
    assert next(iter(params.values())) not in body["message_en"]


def test_every_pull_is_a_chained_audit_record_and_a_lineage_edge(city: City) -> None:
    for fmt in ("csv", "parquet"):
        assert city.get(DOWNLOAD, A, format=fmt).status_code == 200

    logged = pulls(unit_code=A)
    assert [(p.record.dataset, p.record.file_format, p.record.rows) for p in logged] == [
        (DATASET, "csv", 40),
        (DATASET, "parquet", 40),
    ]
    assert all(p.record.grant_id == city.grants[A] and len(p.record.file_sha256) == 64 for p in logged)
    assert verify_log().intact
    curated = lake_dataset("curated.resident_registry")
    assert unit_namespace(A) in {ref.namespace for ref in downstream(curated.namespace, curated.name)}

    with session_scope() as session:
        session.execute(update(PortalAccess).where(PortalAccess.id == logged[0].id).values(rows=4000))
    assert verify_log().broken_at == logged[0].id


def test_repeated_failures_are_rate_limited_per_address(huiliu_home: Settings) -> None:
    registry(NOW)
    engineer_account()
    token = create_token(A, by="engineer").token
    with serving(create_app(huiliu_home, attempts=FailedAttempts(limit=3))) as url:
        bad = [httpx.get(url + "/api/v1/datasets", headers={"Authorization": "Bearer x"}) for _ in range(3)]
        assert [r.status_code for r in bad] == [401] * 3
        blocked = httpx.get(url + "/api/v1/datasets", headers={"Authorization": f"Bearer {token}"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["code"] == "too_many_failures"


def test_a_token_is_shown_once_and_never_stored_or_logged(
    city: City, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    token = city.tokens[A]
    city.get("/api/v1/datasets", A)
    httpx.get(city.url + "/api/v1/datasets", headers={"Authorization": f"Bearer {token}x"})

    secret = token.rsplit("_", 1)[1]
    assert secret not in caplog.text
    from huiliu.store.models import UnitToken

    with session_scope() as session:
        stored = [json.dumps([t.prefix, t.secret_hash]) for t in session.query(UnitToken)]
    assert stored and not any(secret in s for s in stored)
    assert all(json.loads(s)[1].startswith("$argon2id$") for s in stored)
