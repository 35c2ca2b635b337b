"""How long huiliu waits for a department database, and what its failures mean.

Every SQL source is read with three limits (``source.timeouts`` in the contract): connecting
(including the login handshake, so a server that accepts the TCP connection and never answers is
given up on), a statement (enforced by the server where it can be), and a single network read. A
source that times out or cannot be reached is a ``SourceUnavailableError`` (Airflow retries it);
one that answers but refuses us (wrong password, no such role or database) is a
``SourceRefusedError``, terminal, with the server's own reason: retrying cannot fix it.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from huiliu.contracts.model import SourceTimeouts
from huiliu.errors import HuiliuError, SourceRefusedError, SourceTimeoutError, SourceUnavailableError

MESSAGE_CHARS = 240  # of the server's own reason, kept in messages


def _mariadb_limits(timeouts: SourceTimeouts) -> Any:
    """Once connected: the read limit for queries (the handshake was read under the connect limit)
    and the server-side statement limit."""
    seconds = timeouts.statement_seconds

    def limit(dbapi_connection: Any, _record: Any) -> None:
        if hasattr(dbapi_connection, "_read_timeout"):  # PyMySQL reads the handshake with it
            dbapi_connection._read_timeout = timeouts.read_seconds
        cursor = dbapi_connection.cursor()
        try:
            version = str(dbapi_connection.get_server_info()).lower()
            if "mariadb" in version:
                cursor.execute(f"SET SESSION max_statement_time = {int(seconds)}")
            else:
                cursor.execute(f"SET SESSION max_execution_time = {int(seconds) * 1000}")
        finally:
            cursor.close()

    return limit


def source_engine(url: str, timeouts: SourceTimeouts) -> Engine:
    """A SQLAlchemy engine for a source with its connect, statement and read limits applied."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args = {
            "connect_timeout": timeouts.connect_seconds,
            "options": f"-c statement_timeout={timeouts.statement_seconds * 1000}",
            "keepalives": 1,
            "keepalives_idle": 30,
            "tcp_user_timeout": timeouts.read_seconds * 1000,
        }
    elif backend in ("mysql", "mariadb"):
        connect_args = {
            "connect_timeout": timeouts.connect_seconds,
            "read_timeout": timeouts.connect_seconds,  # the login handshake; raised once connected
            "write_timeout": timeouts.read_seconds,
        }
    elif backend == "sqlite":
        connect_args = {"timeout": timeouts.connect_seconds}
    engine = create_engine(url, connect_args=connect_args)
    if backend in ("mysql", "mariadb"):
        event.listen(engine, "connect", _mariadb_limits(timeouts))
    return engine


def adbc_uri(url: str, timeouts: SourceTimeouts) -> str:
    """The libpq URI the ADBC PostgreSQL driver connects with, limits included."""
    parsed: URL = make_url(url).set(drivername="postgresql")
    options = quote(f"-c statement_timeout={timeouts.statement_seconds * 1000}")
    limits = (
        f"connect_timeout={timeouts.connect_seconds}&options={options}"
        f"&keepalives=1&keepalives_idle=30&tcp_user_timeout={timeouts.read_seconds * 1000}"
    )
    rendered = parsed.render_as_string(hide_password=False)
    return rendered + ("&" if "?" in rendered else "?") + limits


def _codes(exc: BaseException) -> tuple[str | None, int | None]:
    """(SQLSTATE, MySQL error number) of a driver error, where it carries them."""
    original = getattr(exc, "orig", None) or exc
    state = getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)
    args = getattr(original, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    return (str(state) if state else None), number


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = " ".join(lines[:2]) if lines else type(original).__name__
    return text[:MESSAGE_CHARS]


AUTH_STATES = {"28P01", "28000"}
AUTH_NUMBERS = {1044, 1045, 1698}
MISSING_DATABASE_STATES = {"3D000"}
MISSING_DATABASE_NUMBERS = {1049}
TIMEOUT_STATES = {"57014"}  # query_canceled: the statement timeout
TIMEOUT_NUMBERS = {1969, 3024, 2013}  # max_statement_time, max_execution_time, lost connection in a read


def source_error(exc: BaseException, dataset: str, where: str, timeouts: SourceTimeouts) -> HuiliuError:
    """What a driver error talking to a source means for the run, with the server's reason."""
    state, number = _codes(exc)
    reason = _reason(exc)
    lower = reason.lower()
    if (
        state in AUTH_STATES
        or number in AUTH_NUMBERS
        or "password authentication failed" in lower
        or ("role" in lower and "does not exist" in lower)
        or "access denied" in lower
    ):
        return SourceRefusedError(
            f"dataset {dataset}: the source {where} refused the login ({reason}). Check the user, "
            "password and grants of the connection (HUILIU_SOURCE_<NAME>); retrying will not help."
        )
    if (
        state in MISSING_DATABASE_STATES
        or number in MISSING_DATABASE_NUMBERS
        or ("database" in lower and "does not exist" in lower)
        or "unknown database" in lower
    ):
        return SourceRefusedError(
            f"dataset {dataset}: the database named by the connection does not exist on {where} "
            f"({reason}). Fix the database name in the connection URL; retrying will not help."
        )
    timed_out = (
        state in TIMEOUT_STATES
        or number in TIMEOUT_NUMBERS
        or isinstance(getattr(exc, "orig", exc), socket.timeout | TimeoutError)
        or "timeout" in lower
        or "timed out" in lower
    )
    if timed_out:
        return SourceTimeoutError(
            f"dataset {dataset}: the source {where} did not answer in time (connect "
            f"{timeouts.connect_seconds} s, statement {timeouts.statement_seconds} s, read "
            f"{timeouts.read_seconds} s; {reason}). It will be tried again; if it keeps happening, "
            "check the server's load and network, or raise source.timeouts in the contract."
        )
    return SourceUnavailableError(
        f"dataset {dataset}: cannot reach source {where} ({reason}); check that the database is "
        "up and the connection URL is right. It will be tried again."
    )
