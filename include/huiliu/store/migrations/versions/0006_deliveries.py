"""deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("grant_id", sa.String(length=32), sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        sa.Column("dataset", sa.String(length=64), sa.ForeignKey("datasets.name"), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("policy_version", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("suppressed", sa.BigInteger(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("outbox_path", sa.Text(), nullable=True),
        sa.Column("guard", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("grant_id", "unit_code", "dataset", "status", "created_at"):
        op.create_index(f"ix_deliveries_{column}", "deliveries", [column])


def downgrade() -> None:
    for column in ("grant_id", "unit_code", "dataset", "status", "created_at"):
        op.drop_index(f"ix_deliveries_{column}", table_name="deliveries")
    op.drop_table("deliveries")
