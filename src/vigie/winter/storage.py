"""Tables of the winter service: plan levels, proposals, circuits, coverage, conditions, salt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class PlanLevelRow(Base):
    """Each change of the winter plan's level (the current one is the latest)."""

    __tablename__ = "winter_plan_levels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(Integer)  # when an accepted proposal set it
    set_by: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProposalRow(Base):
    """A level proposed by a road weather station's alarm, until an operator decides."""

    __tablename__ = "winter_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    alarm_id: Mapped[int] = mapped_column(Integer, unique=True)
    station_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(16))  # accepted | dismissed
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CircuitRow(Base):
    """A salting circuit: a line of a priority tier, assigned to a vehicle."""

    __tablename__ = "winter_circuits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(4))
    coordinates: Mapped[list[Any]] = mapped_column(JSON)  # [[lon, lat], …]
    length_m: Mapped[float] = mapped_column(Float)
    pieces: Mapped[int] = mapped_column(Integer)  # pieces of about 50 m coverage counts in
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CoverageRow(Base):
    """When a piece of a circuit was last treated, and by which vehicle."""

    __tablename__ = "winter_coverage"

    circuit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    treated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vehicle_id: Mapped[str] = mapped_column(String(64))


class ConditionRow(Base):
    """Driving conditions declared for a tier (published: the latest per tier)."""

    __tablename__ = "winter_conditions"
    __table_args__ = (Index("ix_winter_conditions_tier_at", "tier", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tier: Mapped[str] = mapped_column(String(4))
    condition: Mapped[str] = mapped_column(String(4))
    note: Mapped[str] = mapped_column(Text, default="")
    declared_by: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SaltRow(Base):
    """A movement of salt: a delivery to the depot (+), what vehicles spread (−), a count."""

    __tablename__ = "winter_salt"
    __table_args__ = (Index("ix_winter_salt_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # delivery | spread | count
    tonnes: Mapped[float] = mapped_column(Float)
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssignmentRow(Base):
    """Who drives a circuit during one shift: a vehicle and its driver (an agent).

    Outside the shifts that have one, a circuit keeps its standing vehicle
    (``winter_circuits.vehicle_id``).
    """

    __tablename__ = "winter_assignments"
    __table_args__ = (
        UniqueConstraint("circuit_id", "shift_start", name="uq_winter_assignments_circuit_shift"),
        Index("ix_winter_assignments_shift", "shift_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    circuit_id: Mapped[int] = mapped_column(ForeignKey("winter_circuits.id"))
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime)
    shift_end: Mapped[datetime] = mapped_column(UTCDateTime)
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_by: Mapped[int | None] = mapped_column(Integer)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
