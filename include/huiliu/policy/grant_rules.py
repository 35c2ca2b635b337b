"""The rules of a grant (申请 → 审批), as pure functions over accounts, datasets and times.

Who may request a dataset for which unit, which approvals a grant needs (the owning department's
steward always; a compliance officer too when the dataset holds sensitive personal information or
is shared on conditions), who may approve, reject or revoke, and what a grant's status is at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from huiliu.contracts.model import DatasetContract, SharingClass
from huiliu.errors import AccessError
from huiliu.policy.accounts import RECEIVING_LEVELS, ROLE_NAMES_ZH, AccountView, Role

DEFAULT_TERM = timedelta(days=365)
LONGEST_TERM = timedelta(days=3 * 365)
"""A grant runs at most three years; the unit requests it again after that."""
_LEVELS_ZH = {"district": "区县", "street": "街道", "community": "社区", "grid": "网格"}
APPROVER_ROLES = (Role.DEPARTMENT_STEWARD, Role.COMPLIANCE_OFFICER)


class GrantStatus(StrEnum):
    """Where a grant stands. ``expired`` is never stored: it is an approved grant past its expiry."""

    REQUESTED = "requested"  # 待审批
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回
    REVOKED = "revoked"  # 已撤销
    EXPIRED = "expired"  # 已过期


STATUS_NAMES_ZH = {
    GrantStatus.REQUESTED: "待审批",
    GrantStatus.APPROVED: "已批准",
    GrantStatus.REJECTED: "已驳回",
    GrantStatus.REVOKED: "已撤销",
    GrantStatus.EXPIRED: "已过期",
}


class GrantAction(StrEnum):
    """One step in a grant's history."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


@dataclass(frozen=True, kw_only=True)
class DatasetTerms:
    """What a grant needs to know of a dataset's contract."""

    name: str
    title: str
    department: str
    department_name: str
    sharing_class: SharingClass
    sensitive_columns: tuple[str, ...]
    jurisdiction: str
    unit_level: str | None
    """The level of the dataset's row codes (``returns.unit_level``); None: it is not set up for return."""

    @classmethod
    def of(cls, contract: DatasetContract) -> DatasetTerms:
        return cls(
            name=contract.name,
            title=contract.title,
            department=contract.owner.department_code,
            department_name=contract.owner.department,
            sharing_class=contract.classification.sharing_class,
            sensitive_columns=tuple(
                dict.fromkeys(pi.column for pi in contract.personal_information if pi.sensitive)
            ),
            jurisdiction=contract.jurisdiction,
            unit_level=contract.returns.unit_level if contract.returns else None,
        )

    @property
    def required_roles(self) -> tuple[Role, ...]:
        """The steward always; a compliance officer for sensitive personal information or 有条件共享."""
        if self.sensitive_columns or self.sharing_class is SharingClass.CONDITIONAL:
            return APPROVER_ROLES
        return (Role.DEPARTMENT_STEWARD,)


@dataclass(frozen=True, kw_only=True)
class Approval:
    """An approval already given: by whom, in which role."""

    account: str
    role: Role


def check_request(
    *,
    requester: AccountView,
    unit_code: str,
    unit_level: str,
    dataset: DatasetTerms,
    purpose: str,
    legal_basis: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Refuse a request that may not be made.

    Raises:
        AccessError: the requester is not staff of the unit, the unit does not receive data or lies
            outside the dataset's area, the dataset is 不予共享, purpose or legal basis is blank,
            or the expiry is past or more than three years away.
    """
    if not requester.holds(Role.UNIT_STAFF) or requester.unit_code != unit_code:
        raise AccessError(
            f"只有单位 {unit_code} 的工作人员可以为其申请数据，{requester.name} 不是 / only staff of unit "
            f"{unit_code} request data for it; {requester.name} is not"
        )
    if unit_level not in RECEIVING_LEVELS:
        raise AccessError(
            f"数据只回流到区县、街道、社区和网格，{unit_code} 是 {unit_level} / data returns to districts, "
            f"streets, communities and grids; {unit_code} is a {unit_level}"
        )
    if dataset.sharing_class is SharingClass.NONE:
        raise AccessError(
            f"数据集 {dataset.name}（{dataset.title}）为不予共享，不能申请 / dataset {dataset.name} is not "
            "shared (不予共享) and cannot be requested"
        )
    if dataset.unit_level is None:
        raise AccessError(
            f"数据集 {dataset.name} 的合约未设置回流范围（returns），暂不能申请 / dataset {dataset.name} "
            "has no `returns` section in its contract (which column says whose rows are whose), so it "
            "cannot be requested yet; ask the data bureau to add one"
        )
    if RECEIVING_LEVELS.index(unit_level) > RECEIVING_LEVELS.index(dataset.unit_level):
        raise AccessError(
            f"数据集 {dataset.name} 按{_LEVELS_ZH[dataset.unit_level]}记录，"
            f"{_LEVELS_ZH[unit_level]} {unit_code} 无法分得其中的行 / dataset {dataset.name} is kept per "
            f"{dataset.unit_level}; the {unit_level} {unit_code} would receive no rows of it (its "
            f"{dataset.unit_level} can request it)"
        )
    if not (unit_code.startswith(dataset.jurisdiction) or dataset.jurisdiction.startswith(unit_code)):
        raise AccessError(
            f"单位 {unit_code} 不在数据集 {dataset.name} 的覆盖范围 {dataset.jurisdiction} 内 / unit "
            f"{unit_code} lies outside the area {dataset.jurisdiction} that {dataset.name} covers"
        )
    if not purpose.strip() or not legal_basis.strip():
        raise AccessError(
            "申请须写明用途 (--purpose) 和法律依据 (--legal-basis) / a request states its purpose "
            "(--purpose) and legal basis (--legal-basis)"
        )
    if expires_at <= now:
        raise AccessError("到期时间须在将来 / the expiry must be in the future")
    if expires_at - now > LONGEST_TERM:
        raise AccessError(
            f"授权最长 {LONGEST_TERM.days} 天，到期后重新申请 / a grant runs at most {LONGEST_TERM.days} "
            "days; request it again when it ends"
        )


def approval_role(
    *,
    approver: AccountView,
    requested_by: str,
    dataset: DatasetTerms,
    status: GrantStatus,
    approvals: tuple[Approval, ...],
) -> Role:
    """The role in which ``approver`` approves the grant now.

    Raises:
        AccessError: the grant is not awaiting approval, the approver requested it or approved it
            already, holds none of the roles still needed, or the roles it holds are already done.
    """
    if status is not GrantStatus.REQUESTED:
        raise AccessError(
            f"授权状态为{STATUS_NAMES_ZH[status]}，不能再审批 / the grant is {status.value}, "
            "not awaiting approval"
        )
    if approver.name == requested_by:
        raise AccessError("申请人不能审批自己的申请 / the requester cannot approve their own request")
    if any(a.account == approver.name for a in approvals):
        raise AccessError(
            f"{approver.name} 已审批过此授权，另一项审批须由他人完成 / {approver.name} approved this grant "
            "already; the other approval must come from someone else"
        )
    done = {a.role for a in approvals}
    missing = [r for r in dataset.required_roles if r not in done]
    for role in missing:
        if approver.holds(role, dataset.department if role is Role.DEPARTMENT_STEWARD else None):
            return role
    needed_zh = "、".join(_role_zh(r, dataset) for r in missing)
    needed = " and ".join(_role_en(r, dataset) for r in missing)
    raise AccessError(
        f"此授权还需{needed_zh}审批，{approver.name} 无此角色 / this grant still needs the approval of "
        f"{needed}; {approver.name} holds no such role"
    )


def _role_zh(role: Role, dataset: DatasetTerms) -> str:
    if role is Role.DEPARTMENT_STEWARD:
        return f"{dataset.department_name}的数据专员"
    return ROLE_NAMES_ZH[role]


def _role_en(role: Role, dataset: DatasetTerms) -> str:
    if role is Role.DEPARTMENT_STEWARD:
        return f"the steward of {dataset.department}"
    return "a compliance officer"


def check_decider(*, account: AccountView, dataset: DatasetTerms, verb: str) -> Role:
    """The role in which an account rejects or revokes a grant: its steward or a compliance officer.

    Raises:
        AccessError: the account holds neither.
    """
    if account.holds(Role.DEPARTMENT_STEWARD, dataset.department):
        return Role.DEPARTMENT_STEWARD
    if account.holds(Role.COMPLIANCE_OFFICER):
        return Role.COMPLIANCE_OFFICER
    verb_zh = {"reject": "驳回", "revoke": "撤销"}.get(verb, verb)
    raise AccessError(
        f"只有{dataset.department_name}的数据专员或合规官可以{verb_zh}此授权，{account.name} 不是 / only the "
        f"steward of {dataset.department} or a compliance officer may {verb} this grant; "
        f"{account.name} may not"
    )


def is_approved(dataset: DatasetTerms, approvals: tuple[Approval, ...]) -> bool:
    """Whether every approval the dataset needs has been given."""
    return set(dataset.required_roles) <= {a.role for a in approvals}


def effective_status(stored: GrantStatus, expires_at: datetime, now: datetime) -> GrantStatus:
    """The grant's status at ``now``: an approved or pending grant past its expiry has expired."""
    if stored in (GrantStatus.APPROVED, GrantStatus.REQUESTED) and expires_at <= now:
        return GrantStatus.EXPIRED
    return stored
