"""A source that accepts connections and never answers fails within its timeout and is retried;
SIGTERM stops a run stuck on it; a refused login or a missing database is terminal with the
server's own reason."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from huiliu.contracts import load_contract
from huiliu.contracts.model import SourceTimeouts
from huiliu.errors import SchemaDriftError, SourceRefusedError, SourceTimeoutError
from huiliu.ingest import land_dataset
from huiliu.settings import PROJECT_ROOT, Settings
from huiliu.store import batches as store
from tests.helpers.source_tables import SourceDb

CONTRACT = load_contract("resident_registry")
HUILIU = str(Path(sys.executable).with_name("huiliu"))


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP server on loopback that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], accepted
    listener.close()
    for connection in accepted:
        connection.close()


def _with_timeouts(**limits: int):  # type: ignore[no-untyped-def]
    source = CONTRACT.source.model_copy(update={"timeouts": SourceTimeouts(**limits)})
    return CONTRACT.model_copy(update={"source": source})


def _land_bounded(contract, run_key: str) -> BaseException | None:  # type: ignore[no-untyped-def]
    """Land in a thread; a run that is still going after 90 s has hung (the test then fails)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            land_dataset(contract, run_key)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(90)
    assert outcome, "landing from a silent source hung instead of timing out"
    return outcome[0]


@pytest.mark.parametrize("scheme", ["postgresql+psycopg2", "mysql+pymysql"])
def test_a_silent_source_fails_within_its_connect_timeout_and_is_retried(
    silent_server: tuple[int, list[socket.socket]],
    huiliu_home: Settings,
    monkeypatch: pytest.MonkeyPatch,
    scheme: str,
) -> None:
    port, accepted = silent_server
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", f"{scheme}://reader:secret@127.0.0.1:{port}/gongan")

    error = _land_bounded(_with_timeouts(connect_seconds=2), "t1")

    assert isinstance(error, SourceTimeoutError) and error.retryable
    assert "did not answer in time" in str(error) and "connect 2 s" in str(error)
    assert "secret" not in str(error)
    assert accepted  # it did reach the server, which never answered
    batch = store.get_batch("resident_registry:t1")
    assert batch is not None and batch.status == "failed" and "did not answer" in (batch.message or "")


def test_a_statement_past_its_timeout_is_cancelled_by_the_server(
    postgres_url: str, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    SourceDb(postgres_url, CONTRACT).create(rows=5)
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", postgres_url)
    slow = CONTRACT.source.model_copy(
        update={
            "table": None,
            "query": "SELECT r.* FROM resident_registry r CROSS JOIN pg_sleep(5)",
            "timeouts": SourceTimeouts(statement_seconds=1),
        }
    )
    contract = CONTRACT.model_copy(update={"source": slow})

    error = _land_bounded(contract, "s1")

    assert isinstance(error, SourceTimeoutError) and error.retryable
    assert "statement 1 s" in str(error)


def test_a_missing_database_and_a_refused_login_are_terminal_with_the_servers_reason(
    postgres_url: str, mariadb_url: str, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = {
        sa.make_url(postgres_url).set(database="no_such_db").render_as_string(False): "does not exist",
        sa.make_url(postgres_url).set(username="no_such_role").render_as_string(False): "no_such_role",
        sa.make_url(mariadb_url).set(database="no_such_db").render_as_string(False): "no_such_db",
        sa.make_url(mariadb_url).set(username="nobody", password="wrong").render_as_string(False): "nobody",
    }
    for url, cause in cases.items():
        monkeypatch.setenv("HUILIU_SOURCE_GONGAN", url)
        with pytest.raises(SourceRefusedError) as refused:
            land_dataset(CONTRACT, "r1")
        assert not refused.value.retryable and cause in str(refused.value)
        assert "retrying will not help" in str(refused.value) and "wrong" not in str(refused.value)


def test_a_missing_table_is_still_schema_drift(postgres_url: str, huiliu_home: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", postgres_url)
    with pytest.raises(SchemaDriftError, match="does not exist"):
        land_dataset(CONTRACT, "m1")


def _patient_contracts(folder: Path) -> Path:
    """The project's contracts with resident_registry waiting 120 s for its source to connect."""
    shutil.copytree(PROJECT_ROOT / "include" / "contracts", folder)
    path = folder / "resident_registry.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["source"]["timeouts"] = {"connect_seconds": 120}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.mark.airflow
@pytest.mark.xdist_group("airflow")
def test_sigterm_stops_a_dag_run_stuck_on_a_silent_source(
    silent_server: tuple[int, list[socket.socket]], huiliu_home: Settings, tmp_path: Path
) -> None:
    port, accepted = silent_server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
    env.update(
        {
            "HUILIU_HOME": str(huiliu_home.home),
            "HUILIU_CONTRACTS_DIR": str(_patient_contracts(tmp_path / "contracts")),
            "HUILIU_SOURCE_GONGAN": f"postgresql+psycopg2://reader@127.0.0.1:{port}/gongan",
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    run = subprocess.Popen(
        [HUILIU, "dags", "run", "ingest_resident_registry", "--logical-date", "2026-11-01T00:00:00"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not accepted and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
        assert accepted, "the run never reached the source"
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=60)  # stopped long before its 120 s connect timeout
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode != 0
    assert "SIGTERM" in stderr


def test_the_servers_enforce_the_statement_limit_and_reads_get_their_own(
    postgres_url: str, mariadb_url: str
) -> None:
    from huiliu.sources.timeouts import source_engine

    limits = SourceTimeouts(statement_seconds=7, read_seconds=123)
    with source_engine(postgres_url, limits).connect() as conn:
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "7s"
    with source_engine(mariadb_url, limits).connect() as conn:
        assert float(conn.execute(sa.text("SELECT @@max_statement_time")).scalar()) == 7
        assert conn.connection.dbapi_connection._read_timeout == 123
