"""Tables of the telemetry context.

Raw samples keep the device's JSON text as received (after validation) with the
measurement time as epoch milliseconds: cheap to write at tens of thousands of
rows a second and trivial to bucket for charts. Older samples are folded into
hourly aggregates by :func:`vigie.telemetry.retention.apply_retention`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class TelemetryLatestRow(Base):
    """Latest known value of every measurement of one asset (merged over messages)."""

    __tablename__ = "telemetry_latest"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TelemetrySampleRow(Base):
    """One accepted message: its measurements as JSON text, at ``ts_ms`` (epoch ms, UTC)."""

    __tablename__ = "telemetry_samples"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)

    # BRIN on PostgreSQL: samples arrive in time order (migration 0006 says why).
    __table_args__ = (
        Index(
            "ix_telemetry_samples_ts",
            "ts_ms",
            postgresql_using="brin",
        ),
    )


class TelemetryHourlyRow(Base):
    """Hourly aggregate of one measurement of one asset (numbers: n, sum, min, max; all: last)."""

    __tablename__ = "telemetry_hourly"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float | None] = mapped_column(Float)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    last: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (Index("ix_telemetry_hourly_hour", "hour_ms"),)


class DeadLetterRow(Base):
    """A message the ingest refused, with the reason (never silently dropped)."""

    __tablename__ = "telemetry_dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    topic: Mapped[str] = mapped_column(String(255))
    asset_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_telemetry_dead_letters_received", "received_at"),
        Index("ix_telemetry_dead_letters_reason", "reason", "received_at"),
    )


class CommandRow(Base):
    """A command sent to a device on ``{prefix}/command/{asset_id}`` and its acknowledgement."""

    __tablename__ = "telemetry_commands"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    schedule_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_telemetry_commands_asset", "asset_id", "created_at"),
        Index("ix_telemetry_commands_status", "status", "created_at"),
    )


class LightingScheduleRow(Base):
    """Switching and dimming program of a light group (astronomical clock)."""

    __tablename__ = "lighting_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    # AssetRow.group of the lights it drives; "*" for every street light.
    group: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Minutes after sunset to switch on, after sunrise to switch off (may be negative).
    on_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    off_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Reduced flux window in local time ("22:00"–"05:00" at 0.7 in Dijon).
    dim_start: Mapped[str] = mapped_column(String(5), default="22:00")
    dim_end: Mapped[str] = mapped_column(String(5), default="05:00")
    dim_level: Mapped[float] = mapped_column(Float, default=0.7)
    # Optional full switch-off window in local time (some communes: "00:00"–"05:00").
    off_start: Mapped[str] = mapped_column(String(5), default="")
    off_end: Mapped[str] = mapped_column(String(5), default="")
    last_sent_for: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleChangeRow(Base):
    """A dated change of a light group's schedule: when it took effect, who recorded it,
    the switching fields before (None: the group had no schedule of its own) and after."""

    __tablename__ = "lighting_schedule_changes"
    __table_args__ = (Index("ix_lighting_schedule_changes_group_day", "group", "effective_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    group: Mapped[str] = mapped_column(String(64))
    effective_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    changed_by: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(300), default="")
