"""schedule_changes: the dated history of the light groups' schedules

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lighting_schedule_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lighting_schedule_changes")),
    )
    op.create_index(
        "ix_lighting_schedule_changes_group_day",
        "lighting_schedule_changes",
        ["group", "effective_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_lighting_schedule_changes_group_day", table_name="lighting_schedule_changes")
    op.drop_table("lighting_schedule_changes")
