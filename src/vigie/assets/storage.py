"""Tables of the assets context: the registry of remotely managed city equipment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, Index, String
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
