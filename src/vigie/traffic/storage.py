"""Tables of the traffic context: detectors' usual profiles, priority requests, road events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class TrafficProfileRow(Base):
    """What one detector usually sees in one quarter of an hour of the week."""

    __tablename__ = "traffic_profiles"

    detector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
    occupancy: Mapped[float] = mapped_column(Float, default=0.0)
    occupancy_var: Mapped[float] = mapped_column(Float, default=0.0)
    speed: Mapped[float | None] = mapped_column(Float)
    intensity: Mapped[float] = mapped_column(Float, default=0.0)


class PriorityRequestRow(Base):
    """A tram or bus priority request as a controller reported it."""

    __tablename__ = "traffic_priority_requests"
    __table_args__ = (
        Index("ix_traffic_priority_at", "at"),
        Index("ix_traffic_priority_controller_at", "controller_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    controller_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    line: Mapped[str] = mapped_column(String(16))
    vehicle_type: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    delay_s: Mapped[float | None] = mapped_column(Float)


class RoadEventRow(Base):
    """Roadworks or a closure: a geometry, a period, what it does to traffic."""

    __tablename__ = "traffic_road_events"
    __table_args__ = (Index("ix_traffic_road_events_period", "ends_at", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    restriction: Mapped[str] = mapped_column(String(32))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    min_long: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_long: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who declared it stays in the audit log; the row keeps only the agent's id for the
    # control room (never published).
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
