"""Deliver a dataset to every unit holding an active grant of it, under the dataset's lease.

Grants that were revoked or have expired since their last delivery get nothing and their delivered
files are withdrawn from the outbox first. Then one pass over the current curated snapshot serves
every active grant (:mod:`huiliu.returnflow.delivery`); each outcome is recorded in the governance
store, and the run is one lineage run whose outputs are the files each unit received.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from huiliu.contracts.model import DatasetContract
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.naming import job_name, lake_dataset
from huiliu.policy.grant_rules import GrantStatus
from huiliu.policy.grants import GrantView, active_grants, list_grants
from huiliu.returnflow.corrections import review_applied
from huiliu.returnflow.delivery import ExtractPlan, OpenWriter, UnitDelivery, deliver_snapshot
from huiliu.returnflow.lineage import delivered_files
from huiliu.returnflow.overlay import load_overlay
from huiliu.returnflow.records import (
    Delivery,
    DeliveryStatus,
    deliveries,
    last_delivered,
    mark_withdrawn,
    new_delivery_id,
    record_delivery,
)
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.store.leases import dataset_lease
from huiliu.store.models import utcnow

PlanGrants = Callable[[DatasetContract, Sequence[GrantView]], list[ExtractPlan]]
"""Builds each active grant's extract plan from the return policy."""
Withdraw = Callable[[Delivery], None]
"""Takes one delivery's files back out of its unit's outbox."""


@dataclass(frozen=True, kw_only=True)
class Release:
    """A compliance officer's release of a held extract: which delivery was held, who, when and why."""

    held_delivery: str
    by: str
    reason: str
    at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "held_delivery": self.held_delivery,
            "by": self.by,
            "reason": self.reason,
            "at": self.at.isoformat(timespec="seconds"),
        }


class UnitOutcome(TypedDict):
    """One unit's outcome of a delivery run, as :meth:`DeliveryRun.as_dict` lists it."""

    delivery: str
    grant: str
    unit: str
    status: str
    rows: int
    outbox: str | None
    guard: dict[str, object] | None


class DeliveryRunRecord(TypedDict):
    """A delivery run as JSON (what the ``deliver`` task pushes through XCom)."""

    dataset: str
    snapshot_id: int | None
    deliveries: list[UnitOutcome]
    withdrawn: list[str]


@dataclass(frozen=True, kw_only=True)
class DeliveryRun:
    """What one run delivered, held or withdrew for a dataset."""

    dataset: str
    snapshot_id: int | None
    outcomes: tuple[UnitDelivery, ...]
    withdrawn: tuple[Delivery, ...]

    def count(self, status: DeliveryStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    def as_dict(self) -> DeliveryRunRecord:
        return {
            "dataset": self.dataset,
            "snapshot_id": self.snapshot_id,
            "deliveries": [
                {
                    "delivery": o.delivery_id,
                    "grant": o.plan.grant.id,
                    "unit": o.plan.grant.unit_code,
                    "status": o.status.value,
                    "rows": o.rows,
                    "outbox": o.outbox_path,
                    "guard": o.verdict.as_dict() if o.verdict else None,
                }
                for o in self.outcomes
            ],
            "withdrawn": [d.id for d in self.withdrawn],
        }


def withdraw_lapsed(dataset: str, withdraw: Withdraw, now: datetime | None = None) -> list[Delivery]:
    """Withdraw the delivered files of every revoked or expired grant of the dataset."""
    lapsed = [
        g
        for status in (GrantStatus.REVOKED, GrantStatus.EXPIRED)
        for g in list_grants(dataset=dataset, status=status, now=now)
    ]
    withdrawn: list[Delivery] = []
    for grant in lapsed:
        for delivery in deliveries(grant_id=grant.id):
            if delivery.status is DeliveryStatus.DELIVERED:
                withdraw(delivery)
        withdrawn += mark_withdrawn(grant.id)
    return withdrawn


def deliver_dataset(
    contract: DatasetContract,
    *,
    plan_grants: PlanGrants,
    open_writer: OpenWriter,
    withdraw: Withdraw,
    fingerprint_key: bytes,
    now: datetime | None = None,
    releases: Mapping[str, Release] | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
) -> DeliveryRun:
    """Serve every active grant of the dataset from its current curated snapshot.

    Args:
        contract: the dataset.
        plan_grants: builds each grant's extract plan from the return policy.
        open_writer: opens a delivery in a unit's outbox.
        withdraw: takes a lapsed grant's delivery out of the outbox.
        fingerprint_key: the key of the record fingerprints in manifests.
        now: the moment grants are judged at (expiry).
        releases: grant id → a compliance officer's release of its held extract.
        emitter: where lineage goes.
        parent: the Airflow run, for lineage.
        dag_id: the DAG that runs the delivery, recorded with it.
        run_id: its run.
    """
    now = now or utcnow()
    releases = releases or {}
    emitter = emitter or LineageEmitter()
    with dataset_lease(contract.name, "delivery"):
        withdrawn = withdraw_lapsed(contract.name, withdraw, now)
        grants = active_grants(dataset=contract.name, now=now)
        if not grants:
            return DeliveryRun(
                dataset=contract.name, snapshot_id=None, outcomes=(), withdrawn=tuple(withdrawn)
            )
        review_applied(contract)  # corrections the source took up retire before the snapshot is read
        snapshot = CuratedSnapshot(contract, overlay=load_overlay(contract))
        plans = plan_grants(contract, grants)
        releases = {**standing_releases(plans, snapshot.snapshot_id), **releases}
        source = lake_dataset(contract.curated_table)
        with track_run(
            emitter, job=job_name(contract.name, "deliver", "return"), inputs=[source], parent=parent
        ) as run:
            outcomes = deliver_snapshot(
                snapshot,
                contract,
                plans,
                levels={g.unit_code: g.unit_level for g in grants},
                open_writer=open_writer,
                new_id=new_delivery_id,
                fingerprint_key=fingerprint_key,
                previous_content=lambda plan: _previous_content(plan),
                released=frozenset(releases),
            )
            for outcome in outcomes:
                release = releases.get(outcome.plan.grant.id)
                released = release if outcome.verdict and outcome.verdict.released else None
                _record(outcome, contract.name, snapshot.snapshot_id or 0, dag_id, run_id, released)
                if outcome.status is DeliveryStatus.DELIVERED and outcome.outbox_path:
                    unit = outcome.plan.grant.unit_code
                    scope = f"单位 {unit} 辖区内各记录的现行版本 / the current records in unit {unit}'s area"
                    files = sorted(p for p in Path(outcome.outbox_path).iterdir() if p.is_file())
                    for ref in delivered_files(
                        outcome.plan.grant.unit_code, files, source, outcome.plan.columns, scope
                    ):
                        run.add_output(ref)
    return DeliveryRun(
        dataset=contract.name,
        snapshot_id=snapshot.snapshot_id,
        outcomes=tuple(outcomes),
        withdrawn=tuple(withdrawn),
    )


def standing_releases(plans: Sequence[ExtractPlan], snapshot_id: int | None) -> dict[str, Release]:
    """Releases that still stand: the grant's last delivery was released on this very snapshot and
    policy version, so the same rows are measured the same way and the officer's answer holds."""
    standing = {}
    for plan in plans:
        last = last_delivered(plan.grant.id)
        given = last.guard.get("release") if last else None
        if last and given and last.snapshot_id == snapshot_id and last.policy_version == plan.policy_version:
            at = datetime.fromisoformat(given["at"])
            standing[plan.grant.id] = Release(
                held_delivery=given["held_delivery"], by=given["by"], reason=given["reason"], at=at
            )
    return standing


def _previous_content(plan: ExtractPlan) -> str | None:
    """The content digest of the grant's last delivery, when it was made under the same policy."""
    last = last_delivered(plan.grant.id)
    return last.content_sha256 if last and last.policy_version == plan.policy_version else None


def _record(
    outcome: UnitDelivery,
    dataset: str,
    snapshot_id: int,
    dag_id: str | None,
    run_id: str | None,
    release: Release | None,
) -> None:
    verdict = outcome.verdict
    guard: dict[str, object] = verdict.as_dict() if verdict else {}
    if release is not None:
        guard["release"] = release.as_dict()
    record_delivery(
        delivery_id=outcome.delivery_id,
        grant_id=outcome.plan.grant.id,
        unit_code=outcome.plan.grant.unit_code,
        dataset=dataset,
        snapshot_id=snapshot_id,
        policy_version=outcome.plan.policy_version,
        status=outcome.status,
        rows=outcome.rows,
        suppressed=verdict.suppressed if verdict else 0,
        content_sha256=outcome.content_sha256,
        manifest_sha256=outcome.manifest_sha256,
        outbox_path=outcome.outbox_path,
        guard=guard,
        dag_id=dag_id,
        run_id=run_id,
    )
