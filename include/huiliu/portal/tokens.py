"""Bearer tokens of receiving units for the portal: shown once, kept only as an argon2 hash.

A token reads ``hlu_<prefix>_<secret>``: the prefix finds its row, argon2 checks the secret (an
unknown prefix is checked against a dummy hash, so both take the same time). Tokens expire and can be
revoked; an expired or revoked token is refused only after its secret was proven, so a guesser learns
nothing. A verified secret is remembered by its SHA-256 for a minute to spare argon2 on every request;
revocation and expiry are read from the store on every request all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from huiliu.errors import AccessError, ConfigurationError, NotFoundError
from huiliu.policy.accounts import RECEIVING_LEVELS, Role, acting_account, get_account
from huiliu.store.db import session_scope
from huiliu.store.models import AdminUnit, UnitToken, utcnow

TOKEN_SHAPE = re.compile(r"^hlu_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
"""OWASP's minimum argon2id settings (19 MiB, two passes): about 20 ms a check on one core."""
VERIFIED_FOR = 60.0
"""Seconds a proven secret is remembered (its SHA-256 only), sparing argon2 on repeated requests."""


class TokenState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, kw_only=True)
class TokenView:
    """A unit token as listed (never its secret)."""

    id: str
    unit_code: str
    account: str | None
    prefix: str
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and _aware(self.expires_at) <= now:
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    def as_dict(self, now: datetime | None = None) -> dict[str, object]:
        return {
            "id": self.id,
            "unit": self.unit_code,
            "account": self.account,
            "prefix": self.prefix,
            "label": self.label,
            "state": self.state(now or utcnow()).value,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    """A new token: the secret text is shown to its creator once and never stored."""

    token: str
    view: TokenView


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who a verified token speaks for."""

    token_id: str
    unit_code: str
    prefix: str
    account: str | None = None


class TokenRefusedError(Exception):
    """A token that does not open the portal; ``state`` says why once its secret was proven."""

    def __init__(self, prefix: str | None, state: TokenState | None = None) -> None:
        super().__init__("token refused")
        self.prefix = prefix
        self.state = state


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _view(row: UnitToken) -> TokenView:
    return TokenView(
        id=row.id,
        unit_code=row.unit_code,
        account=row.account,
        prefix=row.prefix,
        label=row.label,
        created_by=row.created_by,
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at) if row.expires_at else None,
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
        last_used_at=_aware(row.last_used_at) if row.last_used_at else None,
    )


def _require_engineer(by: str | None, url: str | None) -> str:
    account = acting_account(by, url=url)
    if not account.holds(Role.BUREAU_ENGINEER):
        raise AccessError(
            "只有数据局工程师可以管理单位令牌 / only a bureau engineer manages unit tokens "
            f"({account.name} is not one)"
        )
    return account.name


def _require_steward(account: str, unit_code: str, url: str | None) -> None:
    try:
        found = get_account(account, url=url)
    except NotFoundError:
        found = None
    if found is None or found.unit_code != unit_code or not found.holds(Role.DEPARTMENT_STEWARD):
        raise ConfigurationError(
            f"账号 {account} 不是单位 {unit_code} 的在职部门数据专员 / {account} is not an active department "
            f"steward of unit {unit_code}; check it with `huiliu accounts list --unit {unit_code}`"
        )


def create_token(
    unit_code: str,
    *,
    by: str | None,
    expires_in: timedelta | None = timedelta(days=90),
    label: str = "",
    account: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> IssuedToken:
    """A new bearer token of a receiving unit (district, street, community or grid), or of a
    department steward's account (``account``, of ``unit_code``) for the steward routes.

    Raises:
        AccessError: ``by`` is not an active bureau engineer.
        ConfigurationError: the unit is unknown or does not receive data; the account is not an
            active steward of that unit; a non-positive lifetime.
    """
    creator = _require_engineer(by, url)
    if expires_in is not None and expires_in <= timedelta(0):
        raise ConfigurationError("令牌有效期须为正 / a token's lifetime must be positive (--expires 90d)")
    now = now or utcnow()
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with session_scope(url) as session:
        unit = session.get(AdminUnit, unit_code)
        if account is not None:
            _require_steward(account, unit_code, url)
        elif unit is None or unit.level not in RECEIVING_LEVELS:
            raise ConfigurationError(
                f"单位 {unit_code} 不存在或不接收回流数据；请用 huiliu units list 核对 / unit {unit_code} "
                "is unknown or does not receive data (district, street, community or grid); check it with "
                "`huiliu units list`"
            )
        row = UnitToken(
            id="T" + secrets.token_hex(8),
            unit_code=unit_code,
            account=account,
            prefix=prefix,
            secret_hash=HASHER.hash(secret),
            label=label.strip()[:200],
            created_by=creator,
            created_at=now,
            expires_at=now + expires_in if expires_in is not None else None,
        )
        session.add(row)
        session.flush()
        return IssuedToken(token=f"hlu_{prefix}_{secret}", view=_view(row))


def revoke_token(
    token_id: str, *, by: str | None, now: datetime | None = None, url: str | None = None
) -> TokenView:
    """Revoke a token at once (a revoked token stays listed, refused).

    Raises:
        AccessError: ``by`` is not an active bureau engineer.
        NotFoundError: no such token.
    """
    revoker = _require_engineer(by, url)
    with session_scope(url) as session:
        row = session.get(UnitToken, token_id)
        if row is None:
            raise NotFoundError(f"没有令牌 {token_id} / no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = now or utcnow(), revoker
        session.flush()
        view = _view(row)
    _VERIFIED.forget(token_id)
    return view


def list_tokens(*, unit_code: str | None = None, url: str | None = None) -> list[TokenView]:
    """Tokens, newest first, optionally of one unit."""
    with session_scope(url) as session:
        query = select(UnitToken).order_by(UnitToken.created_at.desc(), UnitToken.id)
        if unit_code:
            query = query.where(UnitToken.unit_code == unit_code)
        return [_view(r) for r in session.scalars(query)]


class _VerifiedSecrets:
    """Token id → (SHA-256 of its proven secret, until when it is trusted); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[bytes, float]] = {}

    def matches(self, token_id: str, digest: bytes) -> bool:
        with self._lock:
            known = self._known.get(token_id)
        return known is not None and known[1] > time.monotonic() and hmac.compare_digest(known[0], digest)

    def remember(self, token_id: str, digest: bytes) -> None:
        with self._lock:
            self._known[token_id] = (digest, time.monotonic() + VERIFIED_FOR)

    def forget(self, token_id: str) -> None:
        with self._lock:
            self._known.pop(token_id, None)


_VERIFIED = _VerifiedSecrets()


def token_prefix(token: str) -> str | None:
    """The prefix of a well-formed token (for rate limits), None for anything else."""
    shape = TOKEN_SHAPE.match(token)
    return shape.group(1) if shape else None


def authenticate(token: str, *, now: datetime | None = None, url: str | None = None) -> Caller:
    """The unit a presented token speaks for.

    Raises:
        TokenRefusedError: malformed, unknown or wrong secret (``state`` None), or a proven token that
            is expired or revoked (``state`` says which).
    """
    shape = TOKEN_SHAPE.match(token)
    if shape is None:
        _burn(token)
        raise TokenRefusedError(None)
    prefix, secret = shape.groups()
    digest = hashlib.sha256(secret.encode()).digest()
    with session_scope(url) as session:
        row = session.scalars(select(UnitToken).where(UnitToken.prefix == prefix)).first()
        if row is None:
            _burn(secret)
            raise TokenRefusedError(prefix)
        if not _VERIFIED.matches(row.id, digest):
            if not _verify(row.secret_hash, secret):
                raise TokenRefusedError(prefix)
            _VERIFIED.remember(row.id, digest)
        view = _view(row)
        state = view.state(now or utcnow())
        if state is not TokenState.ACTIVE:
            raise TokenRefusedError(prefix, state)
        used = now or utcnow()
        if row.last_used_at is None or used - _aware(row.last_used_at) > timedelta(seconds=VERIFIED_FOR):
            row.last_used_at = used  # written at most once a minute
        return Caller(token_id=row.id, unit_code=row.unit_code, prefix=prefix, account=row.account)


def _verify(secret_hash: str, secret: str) -> bool:
    try:
        return HASHER.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(32))


def _burn(secret: str) -> None:
    """Spend the time a real check takes, so an unknown token answers as slowly as a wrong one."""
    _verify(_dummy_hash(), secret)
