"""The portal's access log: one record per pull, each chained to the one before by SHA-256.

A record's ``chain_sha256`` hashes the previous record's chain value with the record's own fields, and
``previous_sha256`` is unique, so the log is one unbroken line: editing, deleting or inserting a
record breaks every later link, and :func:`verify_log` finds the first broken one. Two pulls that
race for the same predecessor are ordered by the unique constraint (the loser retries on the new end).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from huiliu.errors import DatasetBusyError
from huiliu.store.db import session_scope
from huiliu.store.models import PortalAccess, utcnow

GENESIS = "0" * 64
ATTEMPTS = 8


@dataclass(frozen=True, kw_only=True)
class PullRecord:
    """What the log keeps of one pull (no row of the extract, only counts and checksums)."""

    token_id: str
    unit_code: str
    dataset: str
    grant_id: str
    snapshot_id: int
    policy_version: str
    file_format: str
    rows: int
    file_sha256: str
    client: str = ""
    action: str = "download"


@dataclass(frozen=True, kw_only=True)
class LoggedPull:
    id: int
    at: datetime
    record: PullRecord
    chain_sha256: str


@dataclass(frozen=True, kw_only=True)
class LogCheck:
    """The log verified: how many records, and the first whose link is broken (None: intact)."""

    records: int
    broken_at: int | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _link(previous: str, at: datetime, record: PullRecord) -> str:
    fields = {**record.__dict__, "at": at.astimezone(UTC).isoformat(timespec="microseconds")}
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record_of(row: PortalAccess) -> PullRecord:
    return PullRecord(
        token_id=row.token_id,
        unit_code=row.unit_code,
        dataset=row.dataset,
        grant_id=row.grant_id,
        snapshot_id=row.snapshot_id,
        policy_version=row.policy_version,
        file_format=row.file_format,
        rows=row.rows,
        file_sha256=row.file_sha256,
        client=row.client,
        action=row.action,
    )


def log_pull(record: PullRecord, *, url: str | None = None) -> LoggedPull:
    """Append one pull to the log.

    Raises:
        DatasetBusyError: the log's end kept moving under concurrent pulls (retry later).
    """
    for _ in range(ATTEMPTS):
        at = utcnow()
        try:
            with session_scope(url) as session:
                last = session.scalars(select(PortalAccess).order_by(PortalAccess.id.desc()).limit(1)).first()
                previous = last.chain_sha256 if last else GENESIS
                chain = _link(previous, at, record)
                row = PortalAccess(at=at, previous_sha256=previous, chain_sha256=chain, **record.__dict__)
                session.add(row)
                session.flush()
                return LoggedPull(id=row.id, at=at, record=record, chain_sha256=chain)
        except (IntegrityError, OperationalError):
            continue  # another pull took this end of the log first
    raise DatasetBusyError("the portal's access log is busy; retry the download")


def pulls(*, unit_code: str | None = None, url: str | None = None) -> list[LoggedPull]:
    """Logged pulls, oldest first, optionally of one unit."""
    with session_scope(url) as session:
        query = select(PortalAccess).order_by(PortalAccess.id)
        if unit_code:
            query = query.where(PortalAccess.unit_code == unit_code)
        return [
            LoggedPull(id=r.id, at=_aware(r.at), record=_record_of(r), chain_sha256=r.chain_sha256)
            for r in session.scalars(query)
        ]


def verify_log(*, url: str | None = None) -> LogCheck:
    """Recompute every link from the first record on."""
    previous, count = GENESIS, 0
    with session_scope(url) as session:
        for row in session.scalars(select(PortalAccess).order_by(PortalAccess.id)):
            count += 1
            expected = _link(previous, _aware(row.at), _record_of(row))
            if row.previous_sha256 != previous or row.chain_sha256 != expected:
                return LogCheck(records=count, broken_at=row.id)
            previous = row.chain_sha256
    return LogCheck(records=count, broken_at=None)
