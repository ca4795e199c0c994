"""Tables of the assets context: the registry of remotely managed city equipment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class AssetRow(Base):
    """One piece of equipment. Attribute names follow FIWARE Smart Data Models."""

    __tablename__ = "assets"

    # Stable, human-readable id used on MQTT topics: vigie/telemetry/{id}.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    zone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(24), default="in_service")
    group: Mapped[str] = mapped_column(String(64), default="")
    installed_on: Mapped[date | None] = mapped_column(Date)
    # Typed attributes per asset type (lampTechnology, powerRating, …) plus free ones.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Links to other assets by relation name, e.g. {"refStreetlightControlCabinet": "CAB-0042"}.
    links: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    parent_id: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_assets_type_zone", "type", "zone"),
        Index("ix_assets_type_status", "type", "status"),
        Index("ix_assets_lat_long", "lat", "long"),
        Index("ix_assets_group", "group"),
        Index("ix_assets_parent", "parent_id"),
        # max(updated_at) is half of the data version that keys cached map layers.
        Index("ix_assets_updated_at", "updated_at"),
    )


class LampChangeRow(Base):
    """One dated change of a light point's lamp: its installation, a conversion, a relamp.

    The point's state on a day is its latest change on or before that day; the
    registry's attributes hold today's. ``source`` says where the change is
    known from: ``agent`` (recorded in Vigie), ``import`` (a city's file of past
    conversions) or ``demo`` (the Dijon demo's history, illustrative).
    """

    __tablename__ = "asset_lamp_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(String(64))
    changed_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # installed | conversion | relamp
    lamp_technology: Mapped[str] = mapped_column(String(8))
    power_rating: Mapped[float | None] = mapped_column(Float)
    color_temperature: Mapped[float | None] = mapped_column(Float)
    upward_light_ratio: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="agent")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One change of a kind per point and day: an import run twice adds nothing.
        UniqueConstraint("asset_id", "changed_on", "kind", name="uq_asset_lamp_changes_day"),
        Index("ix_asset_lamp_changes_day", "changed_on"),
    )
