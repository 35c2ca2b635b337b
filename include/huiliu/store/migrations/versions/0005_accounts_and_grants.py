"""accounts, roles and grants

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("unit_code", sa.String(length=15), sa.ForeignKey("admin_units.code"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_by", sa.String(length=64), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_accounts_unit_code", "accounts", ["unit_code"])
    op.create_table(
        "account_roles",
        sa.Column("account", sa.String(length=64), sa.ForeignKey("accounts.name"), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("account", "role", "department_code"),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=15), sa.ForeignKey("admin_units.code"), nullable=False),
        sa.Column("dataset", sa.String(length=64), sa.ForeignKey("datasets.name"), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), sa.ForeignKey("accounts.name"), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("compliance_required", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_grants_unit_code", "grants", ["unit_code"])
    op.create_index("ix_grants_dataset", "grants", ["dataset"])
    op.create_index("ix_grants_status", "grants", ["status"])
    op.create_table(
        "grant_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("grant_id", sa.String(length=32), sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_grant_decisions_grant_id", "grant_decisions", ["grant_id"])


def downgrade() -> None:
    op.drop_index("ix_grant_decisions_grant_id", table_name="grant_decisions")
    op.drop_table("grant_decisions")
    for index in ("ix_grants_status", "ix_grants_dataset", "ix_grants_unit_code"):
        op.drop_index(index, table_name="grants")
    op.drop_table("grants")
    op.drop_table("account_roles")
    op.drop_index("ix_accounts_unit_code", table_name="accounts")
    op.drop_table("accounts")
