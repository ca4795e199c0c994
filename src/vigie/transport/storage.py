"""Tables of the imported timetable (one feed at a time: importing replaces it whole).

- ``transit_feed``: what was imported, when, and the feed's time zone;
- ``transit_routes``, ``transit_stops`` (with the lines that call there and whether
  any trip does: stops nobody serves are left out of "near me"), ``transit_trips``;
- ``transit_stop_times``: seconds after the service day's midnight, read by
  stop and time (the next departures);
- ``transit_service_days``: the days each service runs, calendars expanded.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class TransitFeedRow(Base):
    __tablename__ = "transit_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    source: Mapped[str] = mapped_column(String(500))
    agencies: Mapped[str] = mapped_column(String(500), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_day: Mapped[date | None] = mapped_column(Date, nullable=True)


class TransitRouteRow(Base):
    __tablename__ = "transit_routes"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    short_name: Mapped[str] = mapped_column(String(64), default="")
    long_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))  # tram | bus | metro | rail | … | other
    color: Mapped[str] = mapped_column(String(7), default="")


class TransitStopRow(Base):
    __tablename__ = "transit_stops"
    __table_args__ = (Index("ix_transit_stops_lat_lon", "lat", "lon"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    wheelchair: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    served: Mapped[bool] = mapped_column(Boolean, default=False)
    lines: Mapped[str] = mapped_column(Text, default="")  # JSON [[route_id, name, kind, colour], …]


class TransitTripRow(Base):
    __tablename__ = "transit_trips"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    route_id: Mapped[str] = mapped_column(String(128))
    service_id: Mapped[str] = mapped_column(String(128))
    headsign: Mapped[str] = mapped_column(String(200), default="")
    direction_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TransitStopTimeRow(Base):
    __tablename__ = "transit_stop_times"
    __table_args__ = (Index("ix_transit_stop_times_stop_departure", "stop_id", "departure"),)

    trip_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    stop_sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stop_id: Mapped[str] = mapped_column(String(128))
    arrival: Mapped[int] = mapped_column(Integer)
    departure: Mapped[int] = mapped_column(Integer)


class TransitServiceDayRow(Base):
    __tablename__ = "transit_service_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(128), primary_key=True)


__all__ = [
    "TransitFeedRow",
    "TransitRouteRow",
    "TransitServiceDayRow",
    "TransitStopRow",
    "TransitStopTimeRow",
    "TransitTripRow",
]
