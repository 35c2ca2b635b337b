"""The demo's return flow: accounts, grants (申请 → 审批), and the delivery DAGs run by Airflow.

In the street with the most residents, a street office and two of its communities request data:
the street the resident registry (有条件共享: its department's steward and a compliance officer
approve), one community the volunteer points (无条件共享: the steward alone) and the resident
registry, and one community elderly-care records under a grant that has since expired. A request
for a 不予共享 dataset and a requester approving their own request are refused, as they must be.
Each dataset with grants is then delivered by its ``deliver_<dataset>`` DAG; an extract the guard
holds waits for the demo's compliance officer, who releases it with a reason. Re-running the demo
reuses the accounts and grants it made.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NotRequired, TypedDict

from huiliu.contracts import load_contract, load_contracts
from huiliu.contracts.model import DatasetContract, SharingClass
from huiliu.errors import HuiliuError, NotFoundError
from huiliu.policy.accounts import Role, RoleGrant, add_account, get_account
from huiliu.policy.grant_rules import GrantStatus
from huiliu.policy.grants import (
    GrantView,
    approve_grant,
    get_grant,
    known_departments,
    list_grants,
    request_grant,
)
from huiliu.store.models import utcnow

Progress = Callable[[str], None]
OFFICER = "demo.officer"
RUN_TIMEOUT_SECONDS = 600
RELEASE_REASON = "演示：罕见组合已删除，社区核验需要 / demo: rare rows suppressed, needed for verification"


class GrantMade(TypedDict):
    """A grant the demo made (or found from an earlier run), as ``summary.json`` lists it."""

    grant: str
    unit: str
    unit_name: str
    dataset: str
    status: str
    approved_by: list[str]
    expires_at: str


class Refusal(TypedDict):
    """A request the demo made that was refused, as it must be, and why."""

    case: str
    message: str


class DeliveryDagRun(TypedDict):
    """One run of a ``deliver_<dataset>`` DAG: its state, the holds released, its output if it failed."""

    dag: str
    state: str
    released_holds: list[str]
    output: NotRequired[str]


class DeliveryMade(TypedDict):
    """One delivery of a granted dataset (fields of ``Delivery.as_dict()``), and the DAG run that made it."""

    id: str
    grant: str
    unit: str
    dataset: str
    snapshot_id: int
    status: str
    rows: int
    suppressed: int
    outbox_path: str | None
    created_at: str
    run_id: str | None


class ReturnsRecord(TypedDict):
    """The return flow's part of ``summary.json``."""

    units: list[str]
    files: int
    rows: int
    held_extracts: int
    deliveries: list[DeliveryMade]
    grants: list[GrantMade]
    refused: list[Refusal]
    runs: list[DeliveryDagRun]


@dataclass
class ReturnsSummary:
    """What the demo's return flow did, for ``summary.json``."""

    grants: list[GrantMade] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    runs: list[DeliveryDagRun] = field(default_factory=list)

    def as_dict(self) -> ReturnsRecord:
        from huiliu.returnflow.records import DeliveryStatus, deliveries

        made = sorted(
            (d for name in {g["dataset"] for g in self.grants} for d in deliveries(dataset=name)),
            key=lambda d: (d.created_at, d.id),
        )
        delivered = [d for d in made if d.status is DeliveryStatus.DELIVERED]
        files = [p for d in delivered if d.outbox_path for p in Path(d.outbox_path).iterdir()]
        return {
            "units": sorted({d.unit_code for d in delivered}),
            "files": len(files),
            "rows": sum(d.rows for d in delivered),
            "held_extracts": sum(1 for d in made if d.status is DeliveryStatus.HELD),
            "deliveries": [
                {
                    "id": d.id,
                    "grant": d.grant_id,
                    "unit": d.unit_code,
                    "dataset": d.dataset,
                    "snapshot_id": d.snapshot_id,
                    "status": d.status.value,
                    "rows": d.rows,
                    "suppressed": d.suppressed,
                    "outbox_path": d.outbox_path,
                    "created_at": d.created_at.isoformat(timespec="seconds"),
                    "run_id": d.run_id,
                }
                for d in made
            ],
            "grants": self.grants,
            "refused": self.refused,
            "runs": self.runs,
        }


def _account(name: str, unit: str, roles: list[RoleGrant], departments: frozenset[str]) -> None:
    try:
        get_account(name)
    except NotFoundError:
        add_account(name, unit_code=unit, roles=roles, departments=departments, created_by="demo")


def _units(city: str) -> tuple[str, str, str]:
    """The street with the most curated residents, and its two largest communities."""
    from collections import Counter

    from huiliu.returnflow.snapshot import CuratedSnapshot

    codes = CuratedSnapshot(load_contract("resident_registry")).columns(["community_code"])
    counts = Counter(str(c) for c in codes.column(0).to_pylist() if c and str(c).startswith(city))
    streets = Counter[str]()
    for code, n in counts.items():
        streets[code[:9]] += n
    street = streets.most_common(1)[0][0]
    first, second = [c for c, _ in counts.most_common() if c.startswith(street)][:2]
    return street, first, second


def _grant(
    contract: DatasetContract,
    staff: str,
    unit: str,
    *,
    now: datetime,
    expires_at: datetime,
    approvers: list[str],
) -> GrantView:
    """The unit's grant of the dataset: the one the demo made before, or a new one approved."""
    made = [g for g in list_grants(unit_code=unit, dataset=contract.name, now=now) if g.unit_code == unit]
    if made:
        return made[0]
    grant = request_grant(
        contract,
        by=staff,
        purpose="社区入户核验与服务对象更新 / verifying residents for community services",
        legal_basis="《个人信息保护法》第十三条第一款第（三）项",
        now=now,
        expires_at=expires_at,
    )
    for account in approvers:
        grant = approve_grant(grant.id, load_contract, by=account, reason="演示审批 / demo approval", now=now)
    return grant


def _not_shared_request(staff: str, contract: DatasetContract) -> None:
    """The unit asks for the dataset as if it were 不予共享."""
    not_shared = contract.classification.model_copy(update={"sharing_class": SharingClass.NONE})
    closed = contract.model_copy(update={"classification": not_shared})
    request_grant(closed, by=staff, purpose="演示", legal_basis="演示")


def _refusals(staff: str, contract: DatasetContract) -> list[Refusal]:
    """A request for a 不予共享 dataset, and a requester approving their own request: both refused."""
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "不予共享数据集的申请 / a request for a 不予共享 dataset",
            lambda: _not_shared_request(staff, contract),
        ),
        ("申请人审批自己的申请 / a requester approving their own request", lambda: _self_approval(staff)),
    ]
    refused: list[Refusal] = []
    for case, attempt in cases:
        try:
            attempt()
        except HuiliuError as exc:
            refused.append({"case": case, "message": str(exc)})
    return refused


def _self_approval(staff: str) -> None:
    pending = [g for g in list_grants(status=GrantStatus.REQUESTED) if g.requested_by == staff]
    grant = (
        pending[0]
        if pending
        else request_grant(
            load_contract("hotline_tickets"), by=staff, purpose="演示：自批", legal_basis="演示"
        )
    )
    approve_grant(grant.id, load_contract, by=staff)


def grant_access(city: str, report: Progress) -> ReturnsSummary:
    """Accounts and grants for one street and two of its communities (see the module docstring)."""
    report("return flow: accounts and grants")
    contracts = load_contracts()
    departments = known_departments(contracts)
    _account(OFFICER, city, [RoleGrant(role=Role.COMPLIANCE_OFFICER)], departments)
    for department in sorted(departments):
        role = RoleGrant(role=Role.DEPARTMENT_STEWARD, department=department)
        _account(f"demo.steward.{department}", city, [role], departments)
    street, first, second = _units(city)
    staff = {unit: f"demo.staff.{unit}" for unit in (street, first, second)}
    for unit, name in staff.items():
        _account(name, unit, [RoleGrant(role=Role.UNIT_STAFF)], departments)
    now = utcnow()
    year = now + timedelta(days=365)

    def approvers(contract: DatasetContract) -> list[str]:
        stewards = [f"demo.steward.{contract.owner.department_code}"]
        return stewards + (
            [OFFICER] if contract.classification.sharing_class is SharingClass.CONDITIONAL else []
        )

    summary = ReturnsSummary()
    wanted = [
        (street, "resident_registry", now, year),
        (first, "volunteer_points", now, year),
        (second, "resident_registry", now, year),
        (first, "elderly_care_services", now - timedelta(days=400), now - timedelta(days=35)),
    ]
    for unit, dataset, asked, expires in wanted:
        contract = contracts[dataset]
        grant = _grant(
            contract, staff[unit], unit, now=asked, expires_at=expires, approvers=approvers(contract)
        )
        summary.grants.append(
            {
                "grant": grant.id,
                "unit": unit,
                "unit_name": grant.unit_name,
                "dataset": dataset,
                "status": get_grant(grant.id).status.value,
                "approved_by": [f"{a.account} ({a.role.value})" for a in grant.approvals],
                "expires_at": grant.expires_at.isoformat(timespec="seconds"),
            }
        )
    summary.refused = _refusals(staff[first], contracts["hotline_tickets"])
    return summary


def _huiliu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("huiliu")), *args], capture_output=True, text=True, timeout=600
    )


def run_deliveries(summary: ReturnsSummary, report: Progress) -> None:
    """Run each granted dataset's delivery DAG; release what the guard holds, as the officer."""
    from huiliu.returnflow.push import held_deliveries

    for dataset in sorted({g["dataset"] for g in summary.grants}):
        report(f"running deliver_{dataset}")
        command = [str(Path(sys.executable).with_name("huiliu")), "dags", "run", f"deliver_{dataset}"]
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        released: list[str] = []
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while run.poll() is None and time.monotonic() < deadline:
            waiting = held_deliveries(dataset)
            if waiting:
                answer = _huiliu(
                    "deliveries", "release", dataset, "--by", OFFICER, "--reason", RELEASE_REASON
                )
                if answer.returncode == 0:
                    released += [d.id for d in waiting]
            time.sleep(2)
        if run.poll() is None:
            run.kill()
        output = run.communicate()[0]
        state = "success" if run.returncode == 0 else "failed"
        dag_run: DeliveryDagRun = {"dag": f"deliver_{dataset}", "state": state, "released_holds": released}
        if state != "success":
            dag_run["output"] = output[-2000:]
        summary.runs.append(dag_run)
