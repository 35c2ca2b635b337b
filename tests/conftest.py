"""Shared fixtures: an isolated huiliu home per test, and fresh databases on the real services."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from huiliu.contracts import load_contract
from huiliu.settings import Settings, get_settings, reset_settings
from tests.helpers.source_tables import SourceDb

POSTGRES_ADMIN = os.environ.get(
    "HUILIU_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN = os.environ.get("HUILIU_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _clear_caches() -> None:
    from huiliu.lake import catalog
    from huiliu.store import db

    reset_settings()
    db.get_engine.cache_clear()
    db._ready.clear()
    catalog._catalog.cache_clear()


@pytest.fixture
def huiliu_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings whose governance store, catalog, warehouse and city all live in tmp_path."""
    yield use_home(monkeypatch, tmp_path / "huiliu")
    _clear_caches()


def use_home(patch: pytest.MonkeyPatch, home: Path) -> Settings:
    """Point huiliu at ``home`` (no department source or lineage endpoint from the environment)."""
    patch.setenv("HUILIU_HOME", str(home))
    for key in [k for k in os.environ if k.startswith(("HUILIU_SOURCE_", "OPENLINEAGE"))]:
        patch.delenv(key)
    _clear_caches()
    settings = get_settings()
    settings.ensure_home()
    return settings


@pytest.fixture(params=["sqlite", "postgresql"])
def governance_store(
    request: pytest.FixtureRequest, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The governance store on SQLite (the embedded default) or on a fresh PostgreSQL database."""
    if request.param == "postgresql":
        monkeypatch.setenv("HUILIU_GOVERNANCE_URL", request.getfixturevalue("postgres_url"))
        _clear_caches()
    return str(request.param)


def service_unavailable(what: str, exc: Exception) -> None:
    """Skip on a developer machine without the service; fail under CI=true."""
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if IN_CI:
        pytest.fail(message + " — CI requires the local services")
    pytest.skip(message)


def _fresh_database(admin_url: str, kind: str) -> Iterator[str]:
    name = f"huiliu_t_{uuid.uuid4().hex[:10]}"
    try:
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as exc:
        service_unavailable(kind, exc)
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    sa.orm.close_all_sessions()
    with engine.connect() as conn:
        if kind == "PostgreSQL":
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        else:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
    engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server (dropped afterwards)."""
    yield from _fresh_database(POSTGRES_ADMIN, "PostgreSQL")


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A new, empty MariaDB database on the local server (dropped afterwards)."""
    yield from _fresh_database(MARIADB_ADMIN, "MariaDB")


@pytest.fixture
def sqlite_source(
    huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SourceDb]:
    url = f"sqlite:///{tmp_path / 'gongan.sqlite'}"
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", url)
    yield SourceDb(url, load_contract("resident_registry"))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def any_source(
    request: pytest.FixtureRequest, huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SourceDb]:
    """The same resident_registry source on each kind of department database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gongan.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url" if request.param == "postgresql" else "mariadb_url")
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", url)
    yield SourceDb(url, load_contract("resident_registry"))


@pytest.fixture
def source(huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SourceDb:
    """An empty resident_registry table on SQLite, as the gongan connection."""
    url = f"sqlite:///{tmp_path / 'gongan.sqlite'}"
    monkeypatch.setenv("HUILIU_SOURCE_GONGAN", url)
    db = SourceDb(url, load_contract("resident_registry"))
    with db.engine.begin() as conn:
        db.table().create(conn)
    return db
