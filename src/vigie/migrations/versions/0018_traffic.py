"""traffic: detectors' usual profiles, priority requests, roadworks and closures

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigie.db import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "traffic_profiles",
        sa.Column("detector_id", sa.String(64), primary_key=True),
        sa.Column("weekday", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("slot", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("occupancy", sa.Float, nullable=False),
        sa.Column("occupancy_var", sa.Float, nullable=False),
        sa.Column("speed", sa.Float),
        sa.Column("intensity", sa.Float, nullable=False),
    )
    op.create_table(
        "traffic_priority_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("controller_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("line", sa.String(16), nullable=False),
        sa.Column("vehicle_type", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("delay_s", sa.Float),
    )
    op.create_index("ix_traffic_priority_at", "traffic_priority_requests", ["at"])
    op.create_index("ix_traffic_priority_controller_at", "traffic_priority_requests", ["controller_id", "at"])
    op.create_table(
        "traffic_road_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("restriction", sa.String(32), nullable=False),
        sa.Column("geometry", sa.JSON, nullable=False),
        sa.Column("min_long", sa.Float, nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_long", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(timezone=True)),
    )
    op.create_index("ix_traffic_road_events_period", "traffic_road_events", ["ends_at", "starts_at"])


def downgrade() -> None:
    op.drop_table("traffic_road_events")
    op.drop_table("traffic_priority_requests")
    op.drop_table("traffic_profiles")
