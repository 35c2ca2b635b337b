"""SQLAlchemy 2 models of the governance store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class AdminUnit(Base):
    """One unit of the administrative hierarchy (province down to grid)."""

    __tablename__ = "admin_units"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(15), index=True)


class DatasetRecord(Base):
    """A registered dataset: its contract's owner and classification, as last deployed."""

    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_department: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(String(32))
    steward: Mapped[str] = mapped_column(String(200))
    sharing_class: Mapped[str] = mapped_column(String(16))
    sensitivity: Mapped[str] = mapped_column(String(16))
    contract_sha256: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Watermark(Base):
    """The highest cursor value landed for an incrementally extracted dataset."""

    __tablename__ = "watermarks"

    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), primary_key=True)
    cursor_column: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class DatasetLease(Base):
    """Who is landing, gating or delivering a dataset now (one holder at a time per dataset).

    On PostgreSQL and MariaDB the lock itself is a database session lock, released when its holder
    dies; the row only says who holds it. On SQLite the row is the lock: its holder renews
    ``expires_at`` while it works, so a killed holder's lease runs out (at once when the holder
    ran on the same host and its process is gone).
    """

    __tablename__ = "dataset_leases"

    dataset: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(32))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IngestBatch(Base):
    """One landing batch: what was extracted, from where, and how it ended."""

    __tablename__ = "ingest_batches"

    batch_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    run_key: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), index=True)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    low_watermark: Mapped[str | None] = mapped_column(String(64))
    high_watermark: Mapped[str | None] = mapped_column(String(64))
    snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    drift: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LineageEventRecord(Base):
    """An OpenLineage event as emitted, kept for lineage queries."""

    __tablename__ = "lineage_events"
    __table_args__ = (Index("ix_lineage_job", "job_namespace", "job_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    event_type: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    job_namespace: Mapped[str] = mapped_column(String(200))
    job_name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column()


class LineageDatasetEdge(Base):
    """One input or output dataset of a lineage event, for upstream/downstream queries."""

    __tablename__ = "lineage_edges"
    __table_args__ = (Index("ix_lineage_edge_dataset", "dataset_namespace", "dataset_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("lineage_events.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(6))
    dataset_namespace: Mapped[str] = mapped_column(String(300))
    dataset_name: Mapped[str] = mapped_column(String(300))


class QualityRun(Base):
    """The quality gate's verdict on one landed batch."""

    __tablename__ = "quality_runs"

    batch_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    suite: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # passed, quarantined, held, empty, failed
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_curated: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    pass_rate: Mapped[float | None] = mapped_column()
    held_reason: Mapped[str | None] = mapped_column(Text)
    expectations: Mapped[list[Any]] = mapped_column(default=list)
    freshness: Mapped[dict[str, Any]] = mapped_column(default=dict)
    docs_path: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class QuarantineAction(Base):
    """A steward's decision on one quarantined row: released (re-validated) or discarded."""

    __tablename__ = "quarantine_actions"
    __table_args__ = (Index("ix_quarantine_action_row", "dataset", "quarantine_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    quarantine_id: Mapped[str] = mapped_column(String(300))
    batch_id: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(16))  # released, discarded, rejected
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    release_batch_id: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReconciliationRun(Base):
    """One run of the cross-department reconciliation checks."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_key: Mapped[str] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[list[Any]] = mapped_column(default=list)
    report_path: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QualityFlag(Base):
    """A record flagged by a reconciliation check (it stays in curated; its owner must look)."""

    __tablename__ = "quality_flags"
    __table_args__ = (Index("ix_quality_flag_record", "dataset", "record_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("reconciliation_runs.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(200))
    check: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PiiClassification(Base):
    """The PII gate's classification of one landed batch: per column, free-text counts, drift, verdict.

    Column entries carry entity types, shares, confidences and masked examples, never raw values.
    The latest classification of a batch that passed or was approved is the one the return flow uses.
    """

    __tablename__ = "pii_classifications"

    batch_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    sampled_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    columns: Mapped[list[Any]] = mapped_column(default=list)
    free_text: Mapped[dict[str, Any]] = mapped_column(default=dict)
    drift: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pass, needs_approval
    findings: Mapped[list[Any]] = mapped_column(default=list)
    classified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class PiiDecision(Base):
    """A compliance decision on a batch's personal information: who decided, when and why.

    One row per request; a re-run of the gate on a decided batch adds a row, so the history stays.
    """

    __tablename__ = "pii_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    batch_id: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, approved, rejected, not_required
    findings: Mapped[list[Any]] = mapped_column(default=list)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32), default="policy")  # policy, airflow_hitl, api
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))


class Account(Base):
    """A person's account: it belongs to one administrative unit and holds roles (``account_roles``)."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_by: Mapped[str | None] = mapped_column(String(64))
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class AccountRole(Base):
    """One role an account holds; a department steward's role names the department (else '')."""

    __tablename__ = "account_roles"

    account: Mapped[str] = mapped_column(ForeignKey("accounts.name"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(32), primary_key=True, default="")


class DatasetGrant(Base):
    """A unit's grant of one dataset: requested for a purpose and legal basis, approved, expiring.

    The decisions that brought it to its status are in ``grant_decisions``.
    """

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), index=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(ForeignKey("accounts.name"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)  # GrantStatus (never "expired")
    compliance_required: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GrantDecision(Base):
    """One step of a grant: requested, approved (as steward or compliance officer), rejected, revoked."""

    __tablename__ = "grant_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)


class DeliveryRecord(Base):
    """One delivery of a grant's extract to its unit (or why nothing went out: held, unchanged, empty).

    The manifest in the unit's outbox lists the files with their checksums; this row is what the
    governance store keeps of it, including the guard's verdict (counts, never rows).
    """

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(15), index=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    snapshot_id: Mapped[int] = mapped_column(BigInteger)
    policy_version: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)  # DeliveryStatus
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    suppressed: Mapped[int] = mapped_column(BigInteger, default=0)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    outbox_path: Mapped[str | None] = mapped_column(Text)
    guard: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))


class UnitToken(Base):
    """A bearer token of one unit for the portal: only its argon2 hash is kept, looked up by prefix."""

    __tablename__ = "unit_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), index=True)
    account: Mapped[str | None] = mapped_column(String(64))  # a steward's token speaks for the account
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalAccess(Base):
    """One pull through the portal, chained to the one before by SHA-256 (a tamper-evident log).

    ``chain_sha256`` is the hash of the previous record's chain value and this record's own fields,
    so that editing or deleting a record breaks every later link (``huiliu portal audit --verify``).
    """

    __tablename__ = "portal_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    token_id: Mapped[str] = mapped_column(String(32), index=True)
    unit_code: Mapped[str] = mapped_column(String(15), index=True)
    action: Mapped[str] = mapped_column(String(16))
    dataset: Mapped[str] = mapped_column(String(64), index=True)
    grant_id: Mapped[str] = mapped_column(String(32))
    snapshot_id: Mapped[int] = mapped_column(BigInteger)
    policy_version: Mapped[str] = mapped_column(String(100))
    file_format: Mapped[str] = mapped_column(String(8))
    rows: Mapped[int] = mapped_column(BigInteger)
    file_sha256: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="")
    previous_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # one successor per record
    chain_sha256: Mapped[str] = mapped_column(String(64), unique=True)


class CorrectionRecord(Base):
    """A unit's correction of one record it received: the proposed value, and the owner's decision.

    The record is named as the unit received it (a delivery and a row of it); ``record_key`` is the
    primary key it resolves to, kept for the owning department and never shown to units.
    """

    __tablename__ = "corrections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    unit_code: Mapped[str] = mapped_column(String(15), index=True)
    filed_by: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    record_fingerprint: Mapped[str] = mapped_column(String(16), index=True)
    record_key: Mapped[list[Any]] = mapped_column(JSON)
    field: Mapped[str] = mapped_column(String(64))
    proposed_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # CorrectionStatus
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviews: Mapped[int] = mapped_column(Integer, default=0)  # deliveries since applied, source unchanged
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))  # stored by content under home
    attachment_type: Mapped[str | None] = mapped_column(String(64))
    attachment_bytes: Mapped[int | None] = mapped_column(BigInteger)


class CorrectionEvent(Base):
    """One step of a correction (filed, accepted, rejected, applied …): who, when, why."""

    __tablename__ = "correction_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    correction_id: Mapped[str] = mapped_column(ForeignKey("corrections.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
