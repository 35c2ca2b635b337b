"""portal: unit tokens and the pull audit log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=15), sa.ForeignKey("admin_units.code"), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_index("ix_unit_tokens_unit_code", "unit_tokens", ["unit_code"])
    op.create_table(
        "portal_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("policy_version", sa.String(length=100), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("previous_sha256", sa.String(length=64), nullable=False),
        sa.Column("chain_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("previous_sha256"),
        sa.UniqueConstraint("chain_sha256"),
    )
    for column in ("at", "token_id", "unit_code", "dataset"):
        op.create_index(f"ix_portal_access_{column}", "portal_access", [column])


def downgrade() -> None:
    for column in ("at", "token_id", "unit_code", "dataset"):
        op.drop_index(f"ix_portal_access_{column}", table_name="portal_access")
    op.drop_table("portal_access")
    op.drop_index("ix_unit_tokens_unit_code", table_name="unit_tokens")
    op.drop_table("unit_tokens")
