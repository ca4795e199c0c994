"""reuser_keys: reusers' API keys for the open data APIs (hashed), with their quotas

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reuser_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("confirm_token", sa.String(length=64), nullable=True),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["users.id"], name=op.f("fk_reuser_keys_issued_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_reuser_keys_revoked_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuser_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_reuser_keys_key_hash")),
        sa.UniqueConstraint("confirm_token", name=op.f("uq_reuser_keys_confirm_token")),
    )
    op.create_index("ix_reuser_keys_status", "reuser_keys", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reuser_keys_status", table_name="reuser_keys")
    op.drop_table("reuser_keys")
