"""The production shape on the real services: governance store and Iceberg catalog in PostgreSQL,
lineage sent over HTTP to an OpenLineage backend (a receiver on loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa
from tests.conftest import _clear_caches
from tests.helpers.residents import a_community, bad_rows, insert, person
from tests.helpers.source_tables import SourceDb

from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.quality.gate import run_gate
from huiliu.settings import Settings, get_settings
from huiliu.store.db import head_revision

CONTRACT = load_contract("resident_registry")


@pytest.fixture
def postgres_state(
    postgres_url: str, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Governance store and catalog both in a fresh PostgreSQL database."""
    monkeypatch.setenv("HUILIU_GOVERNANCE_URL", postgres_url)
    monkeypatch.setenv("HUILIU_CATALOG_URL", postgres_url)
    _clear_caches()
    yield get_settings()
    _clear_caches()


@pytest.mark.services
def test_landing_with_governance_store_and_catalog_in_postgresql(
    sqlite_source: SourceDb, postgres_state: Settings, postgres_url: str
) -> None:
    sqlite_source.create(rows=25)
    result = land_dataset(CONTRACT, "r1")
    assert lake_table("landing.resident_registry", settings=postgres_state).scan().to_arrow().num_rows == 25
    with sa.create_engine(postgres_url).connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        batch = conn.execute(
            sa.text("SELECT status, rows FROM ingest_batches WHERE batch_id = :b"), {"b": result.batch_id}
        ).one()
        tables = conn.execute(sa.text("SELECT table_name FROM iceberg_tables")).scalars().all()
    assert revision == head_revision()
    assert tuple(batch) == ("committed", 25)
    assert tables == ["resident_registry"]


@pytest.mark.services
def test_quality_gate_with_governance_store_and_catalog_in_postgresql(
    source: SourceDb, postgres_state: Settings, postgres_url: str
) -> None:
    community = a_community(postgres_state)
    insert(source, [person(i, community) for i in range(30)] + [bad_rows(community)["unknown_community"]])
    landed = land_dataset(CONTRACT, "r1")
    result = run_gate(CONTRACT, landed.batch_id, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert (result.rows_curated, result.rows_quarantined) == (30, 1)
    with sa.create_engine(postgres_url).connect() as conn:
        run = conn.execute(
            sa.text("SELECT status, rows_quarantined FROM quality_runs WHERE batch_id = :b"),
            {"b": landed.batch_id},
        ).one()
        tables = conn.execute(sa.text("SELECT table_namespace, table_name FROM iceberg_tables")).all()
    assert tuple(run) == ("quarantined", 1)
    assert {tuple(t) for t in tables} >= {
        ("curated", "resident_registry"),
        ("quarantine", "resident_registry"),
    }


class _Receiver(BaseHTTPRequestHandler):
    events: list[dict] = []  # noqa: RUF012 - one receiver per test, reset by the fixture

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).events.append({"path": self.path, "event": json.loads(body)})
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def lineage_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    _Receiver.events = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENLINEAGE_URL", f"http://127.0.0.1:{server.server_port}")
    yield _Receiver.events
    server.shutdown()


def test_lineage_is_sent_to_the_configured_backend(
    sqlite_source: SourceDb, huiliu_home: Settings, lineage_backend: list[dict]
) -> None:
    sqlite_source.create(rows=3)
    land_dataset(CONTRACT, "r1")
    received = [r["event"] for r in lineage_backend]
    assert [e["eventType"] for e in received] == ["START", "COMPLETE"]
    assert all(r["path"] == "/api/v1/lineage" for r in lineage_backend)
    assert received[1]["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 3
    assert "password" not in json.dumps(received)
