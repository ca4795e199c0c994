"""winter_assignments: circuits given to a vehicle and its driver for one shift

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "winter_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circuit_id", sa.Integer(), nullable=False),
        sa.Column("shift_start", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shift_end", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("vehicle_id", sa.String(length=64), nullable=True),
        sa.Column("driver_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circuit_id"],
            ["winter_circuits.id"],
            name=op.f("fk_winter_assignments_circuit_id_winter_circuits"),
        ),
        sa.ForeignKeyConstraint(
            ["driver_id"], ["users.id"], name=op.f("fk_winter_assignments_driver_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_winter_assignments")),
        sa.UniqueConstraint("circuit_id", "shift_start", name="uq_winter_assignments_circuit_shift"),
    )
    op.create_index("ix_winter_assignments_shift", "winter_assignments", ["shift_start"])


def downgrade() -> None:
    op.drop_index("ix_winter_assignments_shift", table_name="winter_assignments")
    op.drop_table("winter_assignments")
