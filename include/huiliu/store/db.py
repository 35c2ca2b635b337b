"""Engines, sessions and migrations of the governance store."""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from huiliu.errors import ConfigurationError
from huiliu.settings import get_settings

MIGRATION_LOCK_KEY = 0x68756C69  # PostgreSQL advisory lock held while migrating


SQLITE_BUSY_SECONDS = 30.0
"""How long a connection to the SQLite store waits for another one's lock."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # first: every later statement may wait for a lock
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    _write_ahead_log(cursor)
    cursor.close()


def _write_ahead_log(cursor: sqlite3.Cursor) -> None:
    """Switch the database file to WAL once (a property of the file, not of a connection).

    The switch needs the file to itself. When connections opening a new file try it at the same
    moment, SQLite answers one of them "database is locked" at once rather than let both wait for
    each other (the busy timeout does not apply); that one reads the mode again and tries again
    until one of them has made the switch or the timeout passes.
    """
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """The engine of the governance store (cached per URL)."""
    url = url or get_settings().governance_db_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("huiliu.store").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the governance store to the given revision (creating it when new)."""
    url = url or get_settings().governance_db_url
    try:
        with get_engine(url).begin() as connection, _migration_lock(connection, url):
            if revision == "head" and _revision(connection) == head_revision():
                return  # another process migrated the store while this one waited
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot reach the governance store at {_redacted(url)}: {exc.orig}; "
            "check HUILIU_GOVERNANCE_URL and that the database server is running"
        ) from exc


@contextmanager
def _migration_lock(connection: Connection, url: str) -> Iterator[None]:
    """One process migrates a store at a time (several workers may start on a new store at once)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        yield
    elif dialect in ("mysql", "mariadb"):
        connection.execute(text("SELECT GET_LOCK('huiliu:migrate', 600)"))
        try:
            yield
        finally:
            connection.execute(text("SELECT RELEASE_LOCK('huiliu:migrate')"))
    elif url.startswith("sqlite:///"):
        with open(url.removeprefix("sqlite:///") + ".migrate-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(url: str | None = None) -> str | None:
    with get_engine(url).connect() as connection:
        return _revision(connection)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


_ready: set[str] = set()


def ensure_ready(url: str | None = None) -> None:
    """Run pending migrations once per process, so a fresh install just works."""
    url = url or get_settings().governance_db_url
    if url in _ready:
        return
    if current_revision(url) != head_revision():
        upgrade(url)
    _ready.add(url)


@lru_cache(maxsize=8)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    """One session factory per engine (building one per transaction costs more than the query)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transactional session: committed on success, rolled back on error."""
    ensure_ready(url)
    with _session_factory(get_engine(url))() as session, session.begin():
        yield session


def _redacted(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
