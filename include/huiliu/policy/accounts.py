"""Accounts and their roles: who a person is, which administrative unit they belong to, what they may do.

An account belongs to one unit and holds one or more roles: bureau engineer and compliance officer
at the city, department steward of named departments, unit staff of a district, street, community
or grid. Accounts are disabled, never deleted, so every decision they took stays attributable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiliu.errors import AccessError, ConfigurationError, NotFoundError
from huiliu.store.db import session_scope
from huiliu.store.models import Account, AccountRole, AdminUnit, utcnow

ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
RECEIVING_LEVELS = ("district", "street", "community", "grid")
"""The levels of the hierarchy that receive data back (a grant's unit, a unit staff's unit)."""


class Role(StrEnum):
    """What an account may do."""

    BUREAU_ENGINEER = "bureau_engineer"  # 数据局工程师: runs the pipeline
    COMPLIANCE_OFFICER = "compliance_officer"  # 合规官: approves sensitive and conditional grants
    DEPARTMENT_STEWARD = "department_steward"  # 部门数据专员: approves grants of the department's data
    UNIT_STAFF = "unit_staff"  # 街道/社区/网格工作人员: requests and receives data for the unit


ROLE_NAMES_ZH = {
    Role.BUREAU_ENGINEER: "数据局工程师",
    Role.COMPLIANCE_OFFICER: "合规官",
    Role.DEPARTMENT_STEWARD: "部门数据专员",
    Role.UNIT_STAFF: "基层单位工作人员",
}


@dataclass(frozen=True, kw_only=True)
class RoleGrant:
    """One role an account holds; a steward's role names the department it is steward of."""

    role: Role
    department: str | None = None

    def __str__(self) -> str:
        return f"{self.role.value}:{self.department}" if self.department else self.role.value

    @classmethod
    def parse(cls, text: str) -> RoleGrant:
        """``unit_staff`` or ``department_steward:gongan``.

        Raises:
            ConfigurationError: an unknown role, or a department given to a role that has none.
        """
        name, _, department = text.strip().partition(":")
        try:
            role = Role(name)
        except ValueError:
            raise ConfigurationError(
                f"未知角色 {name!r}，可用：{', '.join(r.value for r in Role)} / unknown role {name!r}; "
                f"use one of {', '.join(r.value for r in Role)}"
            ) from None
        if role is Role.DEPARTMENT_STEWARD and not department:
            raise ConfigurationError(
                "部门数据专员须指明部门，如 department_steward:gongan / a department steward's role names "
                "the department, e.g. department_steward:gongan"
            )
        if role is not Role.DEPARTMENT_STEWARD and department:
            raise ConfigurationError(
                f"角色 {role.value} 不属于某个部门 / the role {role.value} is not held for a department"
            )
        return cls(role=role, department=department or None)


@dataclass(frozen=True, kw_only=True)
class AccountView:
    """An account as the rest of huiliu sees it."""

    name: str
    display_name: str
    unit_code: str
    unit_name: str
    unit_level: str
    roles: tuple[RoleGrant, ...]
    disabled: bool

    def holds(self, role: Role, department: str | None = None) -> bool:
        """Whether the account holds the role (for a steward: of this department)."""
        return any(r.role is role and (department is None or r.department == department) for r in self.roles)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "unit_level": self.unit_level,
            "roles": [str(r) for r in self.roles],
            "disabled": self.disabled,
        }


def _unit(session: Session, code: str) -> AdminUnit:
    unit = session.get(AdminUnit, code)
    if unit is None:
        raise ConfigurationError(
            f"单位 {code} 不在治理库中；请先运行 huiliu units sync / unit {code} is not in the governance "
            "store; run `huiliu units sync` first, or check the code with `huiliu units list`"
        )
    return unit


def _check_roles(roles: Iterable[RoleGrant], unit: AdminUnit, departments: frozenset[str]) -> None:
    for grant in roles:
        if grant.role is Role.UNIT_STAFF and unit.level not in RECEIVING_LEVELS:
            raise ConfigurationError(
                f"基层单位工作人员须属于区县、街道、社区或网格，{unit.code} 是 {unit.level} / unit staff "
                f"belong to a district, street, community or grid; {unit.code} is a {unit.level}"
            )
        if grant.role in (Role.BUREAU_ENGINEER, Role.COMPLIANCE_OFFICER) and unit.level != "city":
            raise ConfigurationError(
                f"{ROLE_NAMES_ZH[grant.role]}属于市级单位 / a {grant.role.value} belongs to the city unit, "
                f"not to the {unit.level} {unit.code}"
            )
        known = ", ".join(sorted(departments))
        if grant.department is not None and grant.department not in departments:
            raise ConfigurationError(
                f"未知部门 {grant.department!r}，合约中的部门：{known} / unknown department "
                f"{grant.department!r}; the contracts' departments are {known}"
            )


def add_account(
    name: str,
    *,
    unit_code: str,
    roles: Iterable[RoleGrant],
    departments: frozenset[str],
    display_name: str | None = None,
    created_by: str | None = None,
    url: str | None = None,
) -> AccountView:
    """Create an account in a unit with its roles.

    Args:
        name: login name, lower-case letters, digits, ``_ . -`` (e.g. ``wang.fang``).
        unit_code: the unit it belongs to (in the governance store's hierarchy).
        roles: at least one role.
        departments: the department codes the contracts know (a steward's department must be one).
        display_name: the person's name as shown; the login name when omitted.
        created_by: who created it.

    Raises:
        ConfigurationError: a bad name, an unknown unit or department, a role the unit cannot hold,
            or an account of that name already exists.
    """
    roles = tuple(dict.fromkeys(roles))
    if not ACCOUNT_NAME.fullmatch(name):
        raise ConfigurationError(
            f"账号名 {name!r} 不合规：小写字母开头，仅含小写字母、数字和 _ . -，2–64 位 / account name "
            f"{name!r}: start with a lower-case letter, then 1-63 of a-z 0-9 _ . -"
        )
    if not roles:
        raise ConfigurationError(
            "账号至少需要一个角色 (--role) / an account needs at least one role (--role)"
        )
    with session_scope(url) as session:
        unit = _unit(session, unit_code)
        _check_roles(roles, unit, departments)
        if session.get(Account, name) is not None:
            raise ConfigurationError(f"账号 {name} 已存在 / account {name} already exists")
        session.add(
            Account(name=name, display_name=display_name or name, unit_code=unit.code, created_by=created_by)
        )
        session.flush()
        session.add_all(
            AccountRole(account=name, role=r.role.value, department_code=r.department or "") for r in roles
        )
    return get_account(name, url=url, include_disabled=True)


def _view(session: Session, account: Account) -> AccountView:
    unit = session.get(AdminUnit, account.unit_code)
    rows = session.scalars(select(AccountRole).where(AccountRole.account == account.name))
    roles = tuple(
        RoleGrant(role=Role(r.role), department=r.department_code or None)
        for r in sorted(rows, key=lambda r: (r.role, r.department_code))
    )
    return AccountView(
        name=account.name,
        display_name=account.display_name,
        unit_code=account.unit_code,
        unit_name=unit.name if unit else "",
        unit_level=unit.level if unit else "",
        roles=roles,
        disabled=account.disabled_at is not None,
    )


def get_account(name: str, *, url: str | None = None, include_disabled: bool = False) -> AccountView:
    """The account of that name.

    Raises:
        NotFoundError: no such account (or it is disabled, unless ``include_disabled``).
    """
    with session_scope(url) as session:
        account = session.get(Account, name)
        if account is None or (account.disabled_at is not None and not include_disabled):
            raise NotFoundError(f"没有可用的账号 {name} / no active account {name}")
        return _view(session, account)


def acting_account(name: str | None, *, url: str | None = None) -> AccountView:
    """The active account a command acts as (``--by``).

    Raises:
        AccessError: no name given, or no active account of that name.
    """
    if not name or not name.strip():
        raise AccessError("请用 --by 指明操作账号 / name the account you act as with --by")
    try:
        return get_account(name.strip(), url=url)
    except NotFoundError:
        raise AccessError(f"没有可用的账号 {name.strip()} / no active account {name.strip()}") from None


def list_accounts(
    *, unit_code: str | None = None, include_disabled: bool = False, url: str | None = None
) -> list[AccountView]:
    """Accounts by name, optionally of one unit and its subtree."""
    with session_scope(url) as session:
        query = select(Account).order_by(Account.name)
        if unit_code:
            query = query.where(Account.unit_code.startswith(unit_code))
        if not include_disabled:
            query = query.where(Account.disabled_at.is_(None))
        return [_view(session, a) for a in session.scalars(query)]


def disable_account(name: str, *, by: str, reason: str, url: str | None = None) -> AccountView:
    """Disable an account (a bureau engineer's act); its past decisions stay attributed to it.

    Raises:
        AccessError: ``by`` is not an active bureau engineer, disables itself, or gives no reason.
        NotFoundError: no active account ``name``.
    """
    actor = acting_account(by, url=url)
    if not actor.holds(Role.BUREAU_ENGINEER):
        raise AccessError(
            f"只有数据局工程师可以停用账号，{actor.name} 不是 / only a bureau engineer disables accounts; "
            f"{actor.name} is not one"
        )
    if actor.name == name:
        raise AccessError("不能停用自己的账号 / an account cannot disable itself")
    if not reason.strip():
        raise AccessError("停用账号须说明理由 (--reason) / give the reason (--reason)")
    with session_scope(url) as session:
        account = session.get(Account, name)
        if account is None or account.disabled_at is not None:
            raise NotFoundError(f"没有可用的账号 {name} / no active account {name}")
        account.disabled_at = utcnow()
        account.disabled_by = actor.name
        account.disabled_reason = reason.strip()
    return get_account(name, url=url, include_disabled=True)
