"""Deliveries as the governance store keeps them: what each grant received, when, under which policy.

A delivery is ``delivered`` (files in the unit's outbox), ``unchanged`` (the same rows as the grant's
last delivery: nothing new written), ``held`` (the re-identification guard held it for a compliance
officer), ``empty`` (no rows in the unit's scope) or ``withdrawn`` (its grant was revoked or expired
and its files were taken back). The guard's verdict is kept with it, as counts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from huiliu.errors import NotFoundError
from huiliu.store.db import session_scope
from huiliu.store.models import DeliveryRecord, utcnow


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    UNCHANGED = "unchanged"
    HELD = "held"
    EMPTY = "empty"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One delivery of a grant."""

    id: str
    grant_id: str
    unit_code: str
    dataset: str
    snapshot_id: int
    policy_version: str
    status: DeliveryStatus
    rows: int
    suppressed: int
    content_sha256: str | None
    manifest_sha256: str | None
    outbox_path: str | None
    guard: dict[str, Any]
    created_at: datetime
    withdrawn_at: datetime | None
    dag_id: str | None = None
    run_id: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "grant": self.grant_id,
            "unit": self.unit_code,
            "dataset": self.dataset,
            "snapshot_id": self.snapshot_id,
            "policy_version": self.policy_version,
            "status": self.status.value,
            "rows": self.rows,
            "suppressed": self.suppressed,
            "content_sha256": self.content_sha256,
            "manifest_sha256": self.manifest_sha256,
            "outbox_path": self.outbox_path,
            "guard": self.guard,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "withdrawn_at": self.withdrawn_at.isoformat(timespec="seconds") if self.withdrawn_at else None,
        }


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _view(row: DeliveryRecord) -> Delivery:
    return Delivery(
        id=row.id,
        grant_id=row.grant_id,
        unit_code=row.unit_code,
        dataset=row.dataset,
        snapshot_id=row.snapshot_id,
        policy_version=row.policy_version,
        status=DeliveryStatus(row.status),
        rows=row.rows,
        suppressed=row.suppressed,
        content_sha256=row.content_sha256,
        manifest_sha256=row.manifest_sha256,
        outbox_path=row.outbox_path,
        guard=dict(row.guard or {}),
        created_at=_aware(row.created_at) or utcnow(),
        withdrawn_at=_aware(row.withdrawn_at),
        dag_id=row.dag_id,
        run_id=row.run_id,
    )


def new_delivery_id() -> str:
    return "D" + secrets.token_hex(8)


def record_delivery(
    *,
    delivery_id: str,
    grant_id: str,
    unit_code: str,
    dataset: str,
    snapshot_id: int,
    policy_version: str,
    status: DeliveryStatus,
    rows: int = 0,
    suppressed: int = 0,
    content_sha256: str | None = None,
    manifest_sha256: str | None = None,
    outbox_path: str | None = None,
    guard: dict[str, Any] | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
    url: str | None = None,
) -> Delivery:
    """Record one delivery (or why nothing went out)."""
    with session_scope(url) as session:
        row = DeliveryRecord(
            id=delivery_id,
            grant_id=grant_id,
            unit_code=unit_code,
            dataset=dataset,
            snapshot_id=snapshot_id,
            policy_version=policy_version,
            status=status.value,
            rows=rows,
            suppressed=suppressed,
            content_sha256=content_sha256,
            manifest_sha256=manifest_sha256,
            outbox_path=outbox_path,
            guard=guard or {},
            dag_id=dag_id,
            run_id=run_id,
        )
        session.add(row)
        session.flush()
        return _view(row)


def last_delivered(grant_id: str, url: str | None = None) -> Delivery | None:
    """The grant's latest delivery whose files are (still) in the outbox."""
    with session_scope(url) as session:
        row = session.scalars(
            select(DeliveryRecord)
            .where(
                DeliveryRecord.grant_id == grant_id, DeliveryRecord.status == DeliveryStatus.DELIVERED.value
            )
            .order_by(DeliveryRecord.created_at.desc(), DeliveryRecord.id.desc())
        ).first()
        return _view(row) if row else None


def deliveries(
    *,
    grant_id: str | None = None,
    unit_code: str | None = None,
    dataset: str | None = None,
    url: str | None = None,
) -> list[Delivery]:
    """Deliveries, newest first, optionally of one grant, one unit's subtree or one dataset."""
    with session_scope(url) as session:
        query = select(DeliveryRecord).order_by(DeliveryRecord.created_at.desc(), DeliveryRecord.id.desc())
        if grant_id:
            query = query.where(DeliveryRecord.grant_id == grant_id)
        if unit_code:
            query = query.where(DeliveryRecord.unit_code.startswith(unit_code))
        if dataset:
            query = query.where(DeliveryRecord.dataset == dataset)
        return [_view(r) for r in session.scalars(query)]


def mark_withdrawn(grant_id: str, url: str | None = None) -> list[Delivery]:
    """Mark the grant's delivered deliveries withdrawn (their files are gone from the outbox)."""
    with session_scope(url) as session:
        rows = list(
            session.scalars(
                select(DeliveryRecord).where(
                    DeliveryRecord.grant_id == grant_id,
                    DeliveryRecord.status == DeliveryStatus.DELIVERED.value,
                )
            )
        )
        now = utcnow()
        for row in rows:
            row.status = DeliveryStatus.WITHDRAWN.value
            row.withdrawn_at = now
        session.flush()
        return [_view(r) for r in rows]


def record_hold_decision(delivery_id: str, decision: dict[str, Any], url: str | None = None) -> Delivery:
    """Note a compliance officer's decision on a held delivery (in its guard verdict, beside the counts).

    Raises:
        NotFoundError: no such delivery.
    """
    with session_scope(url) as session:
        row = session.get(DeliveryRecord, delivery_id)
        if row is None:
            raise NotFoundError(f"没有交付记录 {delivery_id} / no delivery {delivery_id}")
        row.guard = {**(row.guard or {}), "decision": decision}
        session.flush()
        return _view(row)


def get_delivery(delivery_id: str, url: str | None = None) -> Delivery:
    """One delivery.

    Raises:
        NotFoundError: no such delivery.
    """
    with session_scope(url) as session:
        row = session.get(DeliveryRecord, delivery_id)
        if row is None:
            raise NotFoundError(f"没有交付记录 {delivery_id} / no delivery {delivery_id}")
        return _view(row)
