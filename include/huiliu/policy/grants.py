"""Grants of datasets to units, kept in the governance store: request, approve, reject, revoke, list.

Each call checks its rules (:mod:`huiliu.policy.grant_rules`) against the stored accounts, the
dataset's contract and the grant's history, then records the step as a ``grant_decisions`` row in
the same transaction. :func:`active_grants` is what deliveries read: approved and not yet expired.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiliu.contracts.model import DatasetContract
from huiliu.errors import AccessError, NotFoundError
from huiliu.policy.accounts import AccountView, Role, acting_account
from huiliu.policy.grant_rules import (
    DEFAULT_TERM,
    Approval,
    DatasetTerms,
    GrantAction,
    GrantStatus,
    approval_role,
    check_decider,
    check_request,
    effective_status,
    is_approved,
)
from huiliu.store.batches import register_dataset
from huiliu.store.db import session_scope
from huiliu.store.models import AdminUnit, DatasetGrant, GrantDecision, utcnow

ContractOf: TypeAlias = Callable[[str], DatasetContract]
"""Finds a dataset's contract by name (``huiliu.contracts.load_contract`` in production)."""


@dataclass(frozen=True, kw_only=True)
class GrantStep:
    """One recorded step of a grant."""

    action: GrantAction
    account: str
    role: Role | None
    at: datetime
    reason: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "account": self.account,
            "role": self.role.value if self.role else None,
            "at": self.at.isoformat(timespec="seconds"),
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class GrantView:
    """A grant as of a moment: its terms, effective status and history."""

    id: str
    unit_code: str
    unit_name: str
    unit_level: str
    dataset: str
    purpose: str
    legal_basis: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    status: GrantStatus
    compliance_required: bool
    history: tuple[GrantStep, ...]

    @property
    def approvals(self) -> tuple[Approval, ...]:
        return tuple(
            Approval(account=s.account, role=s.role)
            for s in self.history
            if s.action is GrantAction.APPROVED and s.role is not None
        )

    @property
    def active(self) -> bool:
        return self.status is GrantStatus.APPROVED

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "unit_level": self.unit_level,
            "dataset": self.dataset,
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(timespec="seconds"),
            "expires_at": self.expires_at.isoformat(timespec="seconds"),
            "status": self.status.value,
            "compliance_required": self.compliance_required,
            "history": [s.as_dict() for s in self.history],
        }


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _view(session: Session, grant: DatasetGrant, now: datetime, *, with_history: bool = True) -> GrantView:
    unit = session.get(AdminUnit, grant.unit_code)
    steps = (
        session.scalars(
            select(GrantDecision).where(GrantDecision.grant_id == grant.id).order_by(GrantDecision.id)
        )
        if with_history
        else ()
    )
    return GrantView(
        id=grant.id,
        unit_code=grant.unit_code,
        unit_name=unit.name if unit else "",
        unit_level=unit.level if unit else "",
        dataset=grant.dataset,
        purpose=grant.purpose,
        legal_basis=grant.legal_basis,
        requested_by=grant.requested_by,
        requested_at=_aware(grant.requested_at),
        expires_at=_aware(grant.expires_at),
        status=effective_status(GrantStatus(grant.status), _aware(grant.expires_at), now),
        compliance_required=grant.compliance_required,
        history=tuple(
            GrantStep(
                action=GrantAction(s.action),
                account=s.account,
                role=Role(s.role) if s.role else None,
                at=_aware(s.decided_at),
                reason=s.reason,
            )
            for s in steps
        ),
    )


def _record(
    session: Session,
    grant_id: str,
    action: GrantAction,
    by: AccountView,
    *,
    role: Role,
    at: datetime,
    reason: str | None = None,
) -> None:
    session.add(
        GrantDecision(
            grant_id=grant_id,
            action=action.value,
            account=by.name,
            role=role.value,
            decided_at=at,
            reason=reason.strip() if reason and reason.strip() else None,
        )
    )


def request_grant(
    contract: DatasetContract,
    *,
    by: str,
    purpose: str,
    legal_basis: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> GrantView:
    """A unit's request for a dataset, made by one of its staff for the account's own unit.

    Raises:
        AccessError: the request breaks a rule of :func:`~huiliu.policy.grant_rules.check_request`,
            or the unit already holds a pending or active grant of the dataset.
    """
    now = now or utcnow()
    requester = acting_account(by, url=url)
    expires_at = expires_at or now + DEFAULT_TERM
    dataset = DatasetTerms.of(contract)
    with session_scope(url) as session:
        unit = session.get(AdminUnit, requester.unit_code)
        check_request(
            requester=requester,
            unit_code=requester.unit_code,
            unit_level=unit.level if unit else "",
            dataset=dataset,
            purpose=purpose,
            legal_basis=legal_basis,
            expires_at=expires_at,
            now=now,
        )
        for other in session.scalars(
            select(DatasetGrant).where(
                DatasetGrant.unit_code == requester.unit_code,
                DatasetGrant.dataset == contract.name,
                DatasetGrant.status.in_([GrantStatus.REQUESTED.value, GrantStatus.APPROVED.value]),
            )
        ):
            status = effective_status(GrantStatus(other.status), _aware(other.expires_at), now)
            if status is not GrantStatus.EXPIRED:
                raise AccessError(
                    f"单位 {requester.unit_code} 已有数据集 {contract.name} 的授权 {other.id}"
                    f"（{status.value}） / unit {requester.unit_code} already holds grant {other.id} "
                    f"({status.value}) of {contract.name}"
                )
        register_dataset(contract, url=url)  # only a request that is made registers its dataset
        grant = DatasetGrant(
            id="G" + secrets.token_hex(6),
            unit_code=requester.unit_code,
            dataset=contract.name,
            purpose=purpose.strip(),
            legal_basis=legal_basis.strip(),
            requested_by=requester.name,
            requested_at=now,
            expires_at=expires_at,
            status=GrantStatus.REQUESTED.value,
            compliance_required=Role.COMPLIANCE_OFFICER in dataset.required_roles,
        )
        session.add(grant)
        session.flush()
        _record(session, grant.id, GrantAction.REQUESTED, requester, role=Role.UNIT_STAFF, at=now)
        session.flush()
        return _view(session, grant, now)


def _locked_grant(session: Session, grant_id: str) -> DatasetGrant:
    grant = session.scalars(select(DatasetGrant).where(DatasetGrant.id == grant_id).with_for_update()).first()
    if grant is None:
        raise NotFoundError(f"没有授权 {grant_id} / no grant {grant_id}")
    return grant


def approve_grant(
    grant_id: str,
    contract_of: ContractOf,
    *,
    by: str,
    reason: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> GrantView:
    """Approve a pending grant as its steward or as a compliance officer, whichever is still needed.

    The grant is approved once every approval its dataset needs is given.

    Raises:
        AccessError: see :func:`~huiliu.policy.grant_rules.approval_role`.
        NotFoundError: no such grant.
    """
    now = now or utcnow()
    approver = acting_account(by, url=url)
    with session_scope(url) as session:
        grant = _locked_grant(session, grant_id)
        dataset = DatasetTerms.of(contract_of(grant.dataset))
        current = _view(session, grant, now)
        role = approval_role(
            approver=approver,
            requested_by=grant.requested_by,
            dataset=dataset,
            status=current.status,
            approvals=current.approvals,
        )
        _record(session, grant.id, GrantAction.APPROVED, approver, role=role, at=now, reason=reason)
        if is_approved(dataset, (*current.approvals, Approval(account=approver.name, role=role))):
            grant.status = GrantStatus.APPROVED.value
            grant.decided_at = now
        session.flush()
        return _view(session, grant, now)


def reject_grant(
    grant_id: str,
    contract_of: ContractOf,
    *,
    by: str,
    reason: str,
    now: datetime | None = None,
    url: str | None = None,
) -> GrantView:
    """Reject a pending grant (its steward or a compliance officer), with a reason.

    Raises:
        AccessError: no reason, the grant is not pending, or the account may not decide it.
        NotFoundError: no such grant.
    """
    return _close(grant_id, contract_of, by, reason, GrantAction.REJECTED, now, url)


def revoke_grant(
    grant_id: str,
    contract_of: ContractOf,
    *,
    by: str,
    reason: str,
    now: datetime | None = None,
    url: str | None = None,
) -> GrantView:
    """Revoke an approved grant (its steward or a compliance officer), with a reason.

    A revoked grant receives nothing more.

    Raises:
        AccessError: no reason, the grant is not approved, or the account may not decide it.
        NotFoundError: no such grant.
    """
    return _close(grant_id, contract_of, by, reason, GrantAction.REVOKED, now, url)


_VERBS_ZH = {"reject": "驳回", "revoke": "撤销"}
_CLOSES = {
    GrantAction.REJECTED: (GrantStatus.REQUESTED, GrantStatus.REJECTED, "reject"),
    GrantAction.REVOKED: (GrantStatus.APPROVED, GrantStatus.REVOKED, "revoke"),
}


def _close(
    grant_id: str,
    contract_of: ContractOf,
    by: str,
    reason: str,
    action: GrantAction,
    now: datetime | None,
    url: str | None,
) -> GrantView:
    now = now or utcnow()
    account = acting_account(by, url=url)
    allowed_from, to, verb = _CLOSES[action]
    if not reason or not reason.strip():
        raise AccessError(f"须说明理由 (--reason) / give the reason to {verb} (--reason)")
    with session_scope(url) as session:
        grant = _locked_grant(session, grant_id)
        role = check_decider(account=account, dataset=DatasetTerms.of(contract_of(grant.dataset)), verb=verb)
        status = effective_status(GrantStatus(grant.status), _aware(grant.expires_at), now)
        if status is not allowed_from:
            raise AccessError(
                f"授权 {grant.id} 的状态为 {status.value}，不能{_VERBS_ZH[verb]} / "
                f"grant {grant.id} is {status.value}; only a {allowed_from.value} grant can be {to.value}"
            )
        grant.status = to.value
        if action is GrantAction.REVOKED:
            grant.revoked_at = now
        else:
            grant.decided_at = now
        _record(session, grant.id, action, account, role=role, at=now, reason=reason)
        session.flush()
        return _view(session, grant, now)


def get_grant(grant_id: str, *, now: datetime | None = None, url: str | None = None) -> GrantView:
    """One grant with its history.

    Raises:
        NotFoundError: no such grant.
    """
    with session_scope(url) as session:
        grant = session.get(DatasetGrant, grant_id)
        if grant is None:
            raise NotFoundError(f"没有授权 {grant_id} / no grant {grant_id}")
        return _view(session, grant, now or utcnow())


def list_grants(
    *,
    unit_code: str | None = None,
    dataset: str | None = None,
    status: GrantStatus | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> list[GrantView]:
    """Grants, newest first, optionally of one unit's subtree, one dataset or one effective status."""
    now = now or utcnow()
    with session_scope(url) as session:
        query = select(DatasetGrant).order_by(DatasetGrant.requested_at.desc(), DatasetGrant.id)
        if unit_code:
            query = query.where(DatasetGrant.unit_code.startswith(unit_code))
        if dataset:
            query = query.where(DatasetGrant.dataset == dataset)
        views = [_view(session, g, now) for g in session.scalars(query)]
    return [v for v in views if status is None or v.status is status]


def active_grants(
    *,
    dataset: str | None = None,
    unit_code: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
    with_history: bool = True,
) -> list[GrantView]:
    """Approved grants not yet expired (what a delivery serves), optionally of one dataset or of
    exactly one unit (not its subtree); ``with_history=False`` leaves each grant's steps out."""
    now = now or utcnow()
    with session_scope(url) as session:
        query = (
            select(DatasetGrant)
            .where(DatasetGrant.status == GrantStatus.APPROVED.value)
            .order_by(DatasetGrant.requested_at.desc(), DatasetGrant.id)
        )
        if dataset:
            query = query.where(DatasetGrant.dataset == dataset)
        if unit_code:
            query = query.where(DatasetGrant.unit_code == unit_code)
        views = [_view(session, g, now, with_history=with_history) for g in session.scalars(query)]
    return [v for v in views if v.status is GrantStatus.APPROVED]


def known_departments(contracts: dict[str, DatasetContract]) -> frozenset[str]:
    """The department codes the contracts name as owners (a steward's department is one of them)."""
    return frozenset(c.owner.department_code for c in contracts.values())
