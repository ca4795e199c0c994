"""lighting: each light point's dated lamp history, communes' part-night switch-off

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_lamp_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lamp_technology", sa.String(length=8), nullable=False),
        sa.Column("power_rating", sa.Float(), nullable=True),
        sa.Column("color_temperature", sa.Float(), nullable=True),
        sa.Column("upward_light_ratio", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_lamp_changes")),
        sa.UniqueConstraint("asset_id", "changed_on", "kind", name="uq_asset_lamp_changes_day"),
    )
    op.create_index("ix_asset_lamp_changes_day", "asset_lamp_changes", ["changed_on"])
    op.create_table(
        "lighting_switch_off",
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("off_start", sa.String(length=5), nullable=False),
        sa.Column("off_end", sa.String(length=5), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("updated_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_lighting_switch_off")),
    )


def downgrade() -> None:
    op.drop_table("lighting_switch_off")
    op.drop_index("ix_asset_lamp_changes_day", table_name="asset_lamp_changes")
    op.drop_table("asset_lamp_changes")
