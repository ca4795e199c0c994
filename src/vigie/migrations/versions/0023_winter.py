"""winter service: plan levels, proposals, circuits, coverage, driving conditions, salt

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigie.db import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "winter_plan_levels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("proposal_id", sa.Integer),
        sa.Column("set_by", sa.Integer),
        _at("at"),
    )
    op.create_table(
        "winter_proposals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("alarm_id", sa.Integer, nullable=False, unique=True),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        _at("created_at"),
        sa.Column("decision", sa.String(16)),
        sa.Column("decided_by", sa.Integer),
        _at("decided_at", nullable=True),
    )
    op.create_table(
        "winter_circuits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tier", sa.String(4), nullable=False),
        sa.Column("coordinates", sa.JSON, nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("pieces", sa.Integer, nullable=False),
        sa.Column("vehicle_id", sa.String(64)),
        _at("created_at"),
    )
    op.create_table(
        "winter_coverage",
        sa.Column("circuit_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        _at("treated_at"),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "winter_conditions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tier", sa.String(4), nullable=False),
        sa.Column("condition", sa.String(4), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("declared_by", sa.Integer),
        _at("at"),
    )
    op.create_index("ix_winter_conditions_tier_at", "winter_conditions", ["tier", "at"])
    op.create_table(
        "winter_salt",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tonnes", sa.Float, nullable=False),
        sa.Column("vehicle_id", sa.String(64)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Integer),
        _at("at"),
    )
    op.create_index("ix_winter_salt_at", "winter_salt", ["at"])


def downgrade() -> None:
    for table in (
        "winter_salt",
        "winter_conditions",
        "winter_coverage",
        "winter_circuits",
        "winter_proposals",
        "winter_plan_levels",
    ):
        op.drop_table(table)
