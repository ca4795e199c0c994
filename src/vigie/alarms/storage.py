"""Tables of the alarms context.

One active alarm per (asset, type): ``active_key`` is ``"{asset_id}|{type}"``
while the alarm is active and NULL once cleared, under a unique constraint
(several NULLs are allowed on both SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class AlarmRow(Base):
    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(String(64))
    asset_type: Mapped[str] = mapped_column(String(32), default="")
    zone: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    # The rule id (lamp-failure, camera-offline, ice-risk…).
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    # active_unacknowledged, active_acknowledged, cleared_unacknowledged, cleared_acknowledged
    state: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    active_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str] = mapped_column(String(120), default="")
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by: Mapped[str] = mapped_column(String(120), default="")
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_label: Mapped[str] = mapped_column(String(120), default="")
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_alarms_active_severity", "active", "severity"),
        Index("ix_alarms_asset", "asset_id", "first_seen"),
        Index("ix_alarms_type", "type", "first_seen"),
        Index("ix_alarms_zone", "zone", "first_seen"),
        Index("ix_alarms_escalate", "active", "escalated", "escalate_at"),
        Index("ix_alarms_lat_long", "lat", "long"),
    )


class AlarmEventRow(Base):
    """History of an alarm: raised, acknowledged, assigned, comment, escalated, linked, cleared."""

    __tablename__ = "alarm_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_alarm_events_alarm", "alarm_id", "id"),)


class AlarmReportLinkRow(Base):
    """A resident's report explained by an alarm on a nearby asset."""

    __tablename__ = "alarm_report_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(String(64))
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the link led to resolving the report.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("alarm_id", "report_id", name="uq_alarm_report_links_pair"),
        Index("ix_alarm_report_links_report", "report_id"),
    )
