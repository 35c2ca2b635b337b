"""corrections from receiving units and their steps

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXED = ("dataset", "unit_code", "delivery_id", "record_fingerprint", "status", "created_at")


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset", sa.String(length=64), sa.ForeignKey("datasets.name"), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.String(length=32), sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("record_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("record_key", sa.JSON(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("proposed_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("attachment_type", sa.String(length=64), nullable=True),
        sa.Column("attachment_bytes", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in INDEXED:
        op.create_index(f"ix_corrections_{column}", "corrections", [column])
    op.create_table(
        "correction_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("correction_id", sa.String(length=32), sa.ForeignKey("corrections.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_correction_events_correction_id", "correction_events", ["correction_id"])


def downgrade() -> None:
    op.drop_index("ix_correction_events_correction_id", table_name="correction_events")
    op.drop_table("correction_events")
    for column in INDEXED:
        op.drop_index(f"ix_corrections_{column}", table_name="corrections")
    op.drop_table("corrections")
