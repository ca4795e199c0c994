"""Table of the places (points of interest) imported from the city's files.

``id`` is ``<source>.<external id>`` (or a digest of name and position when the
file has no ids): stable across imports, so that a resident's favourite places
(issue 19, §3) can point at it. ``search`` holds the folded words of the name,
category and address, matched with ``LIKE``. Importing a source again replaces
its rows in one transaction.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base


class PlaceRow(Base):
    __tablename__ = "places"
    __table_args__ = (
        Index("ix_places_theme_name", "theme", "name"),
        Index("ix_places_lat_lon", "lat", "lon"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    theme: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(300), default="")
    commune: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    search: Mapped[str] = mapped_column(Text, default="")


__all__ = ["PlaceRow"]
