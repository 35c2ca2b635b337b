"""Push delivery as it runs in production: the policy in force, the outbox on disk, the city's keys.

:func:`deliver` serves every active grant of a dataset (:func:`huiliu.returnflow.service.deliver_dataset`)
with plans from the return policy and the PII gate's latest classification, each unit's files
written into its outbox folder with a 说明 naming the dataset, department, steward, grant, snapshot,
policy and what was done to each column and why. :func:`release_held` is the compliance officer's
answer to a held extract: released, the unit gets what is left after every rare row is suppressed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from huiliu.contracts.model import DatasetContract
from huiliu.errors import AccessError, NotFoundError
from huiliu.lineage.emitter import LineageEmitter
from huiliu.policy.explain import stored_classification
from huiliu.policy.grants import GrantView
from huiliu.policy.hashing import policy_hash_key
from huiliu.policy.loader import load_policy
from huiliu.policy.rules import ReturnPolicy
from huiliu.returnflow.corrections import applied_notices, notices_for
from huiliu.returnflow.delivery import ExtractOpening, ExtractPlan, ExtractWriter
from huiliu.returnflow.manifest import DeliveredColumn, DeliveryDescription
from huiliu.returnflow.outbox import open_delivery, withdraw
from huiliu.returnflow.plans import plan_grants
from huiliu.returnflow.records import (
    Delivery,
    DeliveryStatus,
    deliveries,
    get_delivery,
    record_hold_decision,
)
from huiliu.returnflow.service import DeliveryRun, Release, deliver_dataset
from huiliu.settings import Settings, get_settings
from huiliu.store.models import utcnow

FINGERPRINT_CONTEXT = b"huiliu record fingerprints v1"


def fingerprint_key(settings: Settings | None = None) -> bytes:
    """The key of the record fingerprints in manifests, derived from the city's hash key."""
    return hmac.new(policy_hash_key(settings), FINGERPRINT_CONTEXT, hashlib.sha256).digest()


def _guard_note(opening: ExtractOpening) -> dict[str, tuple[str, str]]:
    """Per column generalised further by the guard, what it became (zh, en)."""
    verdict = opening.verdict
    notes: dict[str, tuple[str, str]] = {}
    if verdict is None:
        return notes
    for step in opening.plan.guard.ladder[: verdict.steps]:
        notes[step.column] = (
            f"为防止识别到个人，按再识别保护进一步泛化为：{step.label_zh}",
            f"generalised further by the re-identification guard to: {step.label_en}",
        )
    return notes


def describe(
    contract: DatasetContract, opening: ExtractOpening, delivered_at: datetime
) -> DeliveryDescription:
    """The outbox's description of one delivery: who, what, under which grant and policy, and why."""
    plan, grant, owner = opening.plan, opening.plan.grant, contract.owner
    guard = _guard_note(opening)
    actions = {c.name: c for c in plan.columns}
    columns = []
    for name in opening.schema.names:
        action = actions[name]
        extra_zh, extra_en = guard.get(name, ("", ""))
        columns.append(
            DeliveredColumn(
                name=name,
                title_zh=action.description,
                action=action.action,
                reason_zh="；".join(filter(None, [action.reason_zh, extra_zh])),
                reason_en="; ".join(filter(None, [action.reason_en, extra_en])),
            )
        )
    columns += [
        DeliveredColumn(
            name=c.name, title_zh=c.description, action="drop", reason_zh=c.reason_zh, reason_en=c.reason_en
        )
        for c in plan.withheld
    ]
    contact = owner.contact or owner.department
    return DeliveryDescription(
        delivery_id=opening.delivery_id,
        grant_id=grant.id,
        unit_code=grant.unit_code,
        unit_name=grant.unit_name,
        dataset=contract.name,
        dataset_title=contract.title,
        dataset_title_en=contract.title_en,
        department=owner.department,
        department_en=owner.department_en or "",
        steward=owner.steward,
        steward_contact=owner.contact or "",
        snapshot_id=opening.snapshot_id,
        snapshot_committed_at=opening.snapshot_committed_at or delivered_at,
        policy_version=plan.policy_version,
        delivered_at=delivered_at,
        columns=tuple(columns),
        correction_zh=(
            f"发现记录有误（人员已迁出、死亡、地址错误等），请联系{owner.steward}（{contact}），"
            f"注明交付编号 {opening.delivery_id}、记录所在行、字段、正确的值和理由；"
            "由数据所属部门核实后更正，更正会随下一次交付发回。"
        ),
        correction_en=(
            f"If a record is wrong (moved away, deceased, wrong address …), contact {owner.steward} "
            f"({contact}) with delivery {opening.delivery_id}, the row, the field, the right value and why; "
            "the owning department checks it and the correction comes back with the next delivery."
        ),
        purpose=grant.purpose,
        legal_basis=grant.legal_basis,
        grant_expires_at=grant.expires_at,
    )


def grant_plans(
    contract: DatasetContract, grants: Sequence[GrantView], *, policy: ReturnPolicy, settings: Settings
) -> list[ExtractPlan]:
    """The grants' extract plans under the policy given and the PII gate's latest classification.

    Push and pull both plan through here, so a unit gets the same columns, masking and hashing
    whichever way its extract reaches it.
    """
    classification, _ = stored_classification(contract.name)
    return plan_grants(
        contract, grants, policy=policy, classification=classification, hash_key=policy_hash_key(settings)
    )


def deliver(
    contract: DatasetContract,
    *,
    settings: Settings | None = None,
    policy: ReturnPolicy | None = None,
    now: datetime | None = None,
    releases: Mapping[str, Release] | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
) -> DeliveryRun:
    """Deliver the dataset's current curated snapshot to every unit holding an active grant.

    Args:
        contract: the dataset.
        settings: where the outbox and keys are (default: the environment's).
        policy: the return policy (default: the one in force, ``HUILIU_RETURN_POLICY``).
        now: the moment grants are judged at.
        releases: grant id → a compliance officer's release of its held extract.
        emitter: where lineage goes.
        parent: the Airflow run, for lineage.
        dag_id: the DAG that runs the delivery.
        run_id: its run.

    Raises:
        PolicyError: the policy in force cannot be used.
        LakeError: the curated table cannot be read.
    """
    settings = settings or get_settings()
    policy = policy or load_policy(settings.return_policy)
    root = settings.outbox_path
    delivered_at = now or utcnow()

    applied = applied_notices(contract.name)

    def open_writer(opening: ExtractOpening) -> ExtractWriter:
        description = describe(contract, opening, delivered_at)
        notices = notices_for(opening.plan.grant.id, applied)
        return open_delivery(
            root,
            description,
            opening.schema,
            zone=settings.timezone,
            notices=notices,
            key_columns=contract.schema_.primary_key,
        )

    def withdraw_delivery(delivery: Delivery) -> None:
        withdraw(root, delivery.unit_code, delivery.dataset, delivery_ids=[delivery.id])

    return deliver_dataset(
        contract,
        plan_grants=lambda c, grants: grant_plans(c, grants, policy=policy, settings=settings),
        open_writer=open_writer,
        withdraw=withdraw_delivery,
        fingerprint_key=fingerprint_key(settings),
        now=now,
        releases=releases or {},
        emitter=emitter,
        parent=parent,
        dag_id=dag_id,
        run_id=run_id,
    )


def held_deliveries(dataset: str) -> list[Delivery]:
    """The extracts of the dataset waiting for a compliance officer: each grant's latest, if held and
    not yet decided on."""
    latest: dict[str, Delivery] = {}
    for delivery in deliveries(dataset=dataset):
        latest.setdefault(delivery.grant_id, delivery)
    return [d for d in latest.values() if d.status is DeliveryStatus.HELD and "decision" not in d.guard]


def _waiting(contract: DatasetContract, delivery_ids: list[str], reason: str) -> list[Delivery]:
    """The named held extracts, each waiting for a decision.

    Raises:
        NotFoundError: a delivery that does not exist, is not of this dataset or is not waiting.
        AccessError: no reason was given.
    """
    if not reason.strip():
        raise AccessError("决定须说明理由 / a decision on a held extract needs a reason")
    waiting = {d.id: d for d in held_deliveries(contract.name)}
    found = []
    for delivery_id in delivery_ids:
        if delivery_id not in waiting:
            get_delivery(delivery_id)  # an unknown id says so
            raise NotFoundError(
                f"交付 {delivery_id} 不是 {contract.name} 待审核的扣留交付 / "
                f"delivery {delivery_id} is not a held extract of {contract.name} waiting for a decision"
            )
        found.append(waiting[delivery_id])
    return found


def withhold_held(
    contract: DatasetContract, delivery_ids: list[str], *, by: str, reason: str, now: datetime | None = None
) -> list[Delivery]:
    """Keep held extracts withheld: nothing is delivered; the decision is recorded on each.

    Raises:
        NotFoundError: a delivery that is not a held extract of the dataset waiting for a decision.
        AccessError: no reason was given.
    """
    at = (now or utcnow()).isoformat(timespec="seconds")
    decision = {"decision": "withheld", "by": by, "reason": reason.strip(), "at": at}
    return [record_hold_decision(d.id, decision) for d in _waiting(contract, delivery_ids, reason)]


def release_held(
    contract: DatasetContract,
    delivery_ids: list[str],
    *,
    by: str,
    reason: str,
    settings: Settings | None = None,
    now: datetime | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
) -> DeliveryRun:
    """Release held extracts of the dataset: deliver them with every rare row suppressed.

    Each must be its grant's latest delivery, held. The release is recorded with the delivery it
    makes (who, when, why, which held delivery); the units' rows are assessed again on the current
    snapshot, so a unit whose data changed is measured anew.

    Raises:
        NotFoundError: a delivery that does not exist, is not of this dataset or is not held.
        AccessError: no reason was given.
    """
    at = now or utcnow()
    releases = {
        held.grant_id: Release(held_delivery=held.id, by=by, reason=reason.strip(), at=at)
        for held in _waiting(contract, delivery_ids, reason)
    }
    run = deliver(
        contract,
        settings=settings,
        now=now,
        releases=releases,
        emitter=emitter,
        parent=parent,
        dag_id=dag_id,
        run_id=run_id,
    )
    delivered = {o.plan.grant.id: o for o in run.outcomes}
    for grant_id, release in releases.items():
        outcome = delivered.get(grant_id)
        decision: dict[str, str | None] = {**release.as_dict(), "decision": "released"}
        decision["delivery"] = outcome.delivery_id if outcome else None
        record_hold_decision(release.held_delivery, decision)
    return run
