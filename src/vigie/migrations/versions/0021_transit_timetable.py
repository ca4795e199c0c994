"""transport: the imported timetable (stops, routes, trips, stop times, service days)

Revision ID: 0021
Revises: 0020

``vigie import gtfs`` replaces these rows whole; the next departures read
``transit_stop_times`` by ``(stop_id, departure)`` (see ``vigie.transport.storage``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transit_feed",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("agencies", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("imported_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transit_feed")),
    )
    op.create_table(
        "transit_routes",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("short_name", sa.String(length=64), nullable=False),
        sa.Column("long_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transit_routes")),
    )
    op.create_table(
        "transit_stops",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("wheelchair", sa.Boolean(), nullable=True),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transit_stops")),
    )
    op.create_index("ix_transit_stops_lat_lon", "transit_stops", ["lat", "lon"], unique=False)
    op.create_table(
        "transit_trips",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("route_id", sa.String(length=128), nullable=False),
        sa.Column("service_id", sa.String(length=128), nullable=False),
        sa.Column("headsign", sa.String(length=200), nullable=False),
        sa.Column("direction_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transit_trips")),
    )
    op.create_table(
        "transit_stop_times",
        sa.Column("trip_id", sa.String(length=128), nullable=False),
        sa.Column("stop_sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stop_id", sa.String(length=128), nullable=False),
        sa.Column("arrival", sa.Integer(), nullable=False),
        sa.Column("departure", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("trip_id", "stop_sequence", name=op.f("pk_transit_stop_times")),
    )
    op.create_index(
        "ix_transit_stop_times_stop_departure", "transit_stop_times", ["stop_id", "departure"], unique=False
    )
    op.create_table(
        "transit_service_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("day", "service_id", name=op.f("pk_transit_service_days")),
    )


def downgrade() -> None:
    op.drop_table("transit_service_days")
    op.drop_index("ix_transit_stop_times_stop_departure", table_name="transit_stop_times")
    op.drop_table("transit_stop_times")
    op.drop_table("transit_trips")
    op.drop_index("ix_transit_stops_lat_lon", table_name="transit_stops")
    op.drop_table("transit_stops")
    op.drop_table("transit_routes")
    op.drop_table("transit_feed")
