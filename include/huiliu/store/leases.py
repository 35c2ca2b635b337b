"""One holder at a time per dataset: landing, gating and delivering a dataset never overlap.

``dataset_lease(name, purpose)`` is held around every step that reads a dataset's state and commits
a new one (the watermark and landing commit, the gate's commit, a quarantine release), whoever
starts it: an Airflow task, the CLI, a backfill. A second holder waits up to
``lease_wait_seconds`` and then fails with ``DatasetBusyError``, naming who holds the lease.

On PostgreSQL the lock is a session advisory lock, on MariaDB/MySQL a named ``GET_LOCK``: either is
released by the database the moment its holder's connection dies. On SQLite the ``dataset_leases``
row is the lock; its holder renews it every third of ``lease_ttl_seconds``, so the lease of a
killed holder runs out after that time. The same thread may take a lease it holds again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from huiliu.errors import DatasetBusyError
from huiliu.settings import get_settings
from huiliu.store.db import get_engine, session_scope
from huiliu.store.models import DatasetLease, utcnow

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Lease:
    """A lease held by this process."""

    dataset: str
    purpose: str
    token: str
    holder: str


_held: dict[str, tuple[int, Lease]] = {}  # dataset → (thread id, lease) of this process
_held_lock = threading.Lock()


def _holder(purpose: str) -> str:
    return f"{socket.gethostname()} pid {os.getpid()} ({purpose})"


def _gone(row: DatasetLease) -> bool:
    """The holder ran on this host and its process no longer exists."""
    if row.host != socket.gethostname():
        return False
    try:
        os.kill(row.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _lock_key(dataset: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(hashlib.sha256(f"huiliu:{dataset}".encode()).digest()[:8], "big", signed=True)


def _busy(dataset: str, purpose: str, waited: float) -> DatasetBusyError:
    with session_scope() as session:
        row = session.get(DatasetLease, dataset)
        who = f"{row.holder}, since {row.acquired_at:%Y-%m-%d %H:%M:%S} UTC" if row else "another run"
    return DatasetBusyError(
        f"dataset {dataset} is busy: {who} holds its lease ({purpose} waited {waited:.0f} s); let that "
        "run finish, then run this again (Airflow retries on its own). "
        f"数据集 {dataset} 正被另一任务处理（{who}），已等待 {waited:.0f} 秒；请待其结束后重试。"
    )


def _record(lease: Lease, expires: datetime) -> None:
    with session_scope() as session:
        row = session.get(DatasetLease, lease.dataset) or DatasetLease(dataset=lease.dataset)
        for name, value in _holding_values(lease, expires).items():
            setattr(row, name, value)
        session.add(row)


def _forget(lease: Lease) -> None:
    with session_scope() as session:
        session.execute(
            delete(DatasetLease).where(
                DatasetLease.dataset == lease.dataset, DatasetLease.token == lease.token
            )
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _holding_values(lease: Lease, expires: datetime) -> dict[str, object]:
    """The lease row's columns while ``lease`` holds it."""
    return {
        "token": lease.token,
        "holder": lease.holder,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "purpose": lease.purpose,
        "acquired_at": utcnow(),
        "expires_at": expires,
    }


def _try_row_lock(lease: Lease, ttl: float) -> bool:
    """Take the SQLite lease row when it is free or has run out (another process taking it at the
    same moment makes this attempt fail, not both succeed)."""
    now = utcnow()
    values = _holding_values(lease, now + timedelta(seconds=ttl))
    try:
        with session_scope() as session:
            row = session.get(DatasetLease, lease.dataset)
            if row is None:
                session.add(DatasetLease(dataset=lease.dataset, **values))
                session.flush()
                return True
            if _aware(row.expires_at) > now and not _gone(row):
                return False
            stale = row.holder
            taken = session.execute(
                update(DatasetLease)
                .where(DatasetLease.dataset == lease.dataset, DatasetLease.token == row.token)
                .values(**values)
            )
            if cast(CursorResult[Any], taken).rowcount != 1:  # an UPDATE's result counts its rows
                return False
    except IntegrityError:
        return False
    except OperationalError as exc:
        if "locked" not in str(exc.orig):
            raise
        return False
    log.warning(
        "dataset %s: the lease of %s ran out or its process is gone; taken over", lease.dataset, stale
    )
    return True


def _renew(lease: Lease, ttl: float, stop: threading.Event) -> None:
    while not stop.wait(ttl / 3):
        try:
            with session_scope() as session:
                session.execute(
                    update(DatasetLease)
                    .where(DatasetLease.dataset == lease.dataset, DatasetLease.token == lease.token)
                    .values(expires_at=utcnow() + timedelta(seconds=ttl))
                )
        except Exception:  # the next renewal tries again; the lease lasts ttl meanwhile
            log.warning("dataset %s: could not renew the lease", lease.dataset)


def _try_session_lock(connection: Connection, dataset: str) -> bool:
    if connection.dialect.name == "postgresql":
        return bool(
            connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(dataset)}).scalar()
        )
    return connection.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": f"huiliu:{dataset}"[:64]}).scalar() == 1


def _unlock_session(connection: Connection, dataset: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(dataset)})
    else:
        connection.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": f"huiliu:{dataset}"[:64]})


def _wait(try_once: Callable[[], bool], dataset: str, purpose: str, wait: float) -> None:
    started = time.monotonic()
    while not try_once():
        waited = time.monotonic() - started
        if waited >= wait:
            raise _busy(dataset, purpose, waited)
        time.sleep(POLL_SECONDS)


@contextmanager
def dataset_lease(dataset: str, purpose: str, *, wait_seconds: float | None = None) -> Iterator[Lease]:
    """Hold the dataset's lease for the block (waiting for it up to ``wait_seconds``).

    Raises:
        DatasetBusyError: another holder kept the lease for the whole wait.
    """
    me = threading.get_ident()
    with _held_lock:
        held = _held.get(dataset)
    if held is not None and held[0] == me:
        yield held[1]
        return
    settings = get_settings()
    wait = settings.lease_wait_seconds if wait_seconds is None else wait_seconds
    ttl = settings.lease_ttl_seconds
    lease = Lease(dataset, purpose, uuid.uuid4().hex, _holder(purpose))
    engine = get_engine()
    with session_scope():
        pass  # the store is migrated before any lock is taken
    if engine.dialect.name == "sqlite":
        _wait(lambda: _try_row_lock(lease, ttl), dataset, purpose, wait)
        stop = threading.Event()
        renewer = threading.Thread(target=_renew, args=(lease, ttl, stop), daemon=True, name="huiliu-lease")
        renewer.start()
        try:
            with _holding(dataset, me, lease):
                yield lease
        finally:
            stop.set()
            renewer.join()
            _forget(lease)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        _wait(lambda: _try_session_lock(connection, dataset), dataset, purpose, wait)
        try:
            _record(lease, utcnow() + timedelta(days=1))
            with _holding(dataset, me, lease):
                yield lease
        finally:
            _forget(lease)
            _unlock_session(connection, dataset)


@contextmanager
def _holding(dataset: str, thread: int, lease: Lease) -> Iterator[None]:
    with _held_lock:
        _held[dataset] = (thread, lease)
    try:
        yield
    finally:
        with _held_lock:
            _held.pop(dataset, None)


def lease_of(dataset: str) -> DatasetLease | None:
    """The recorded holder of a dataset's lease, if any (for status commands)."""
    with session_scope() as session:
        return session.scalars(select(DatasetLease).where(DatasetLease.dataset == dataset)).first()
