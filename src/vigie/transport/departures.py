"""What residents ask of the timetable: stops near a point, the next departures at a stop.

Departures are read by stop and time on ``(stop_id, departure)`` for today's
services and yesterday's (trips that run past midnight), then given their live
delay from the real-time feed (:mod:`vigie.transport.realtime`): a departure is
shown while its expected time (timetable + delay) is still to come.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, select

from vigie.errors import NotFound
from vigie.runtime import Vigie
from vigie.transport.realtime import Delays, RealtimeFeed, http_fetch
from vigie.transport.replay import Replay
from vigie.transport.storage import (
    TransitFeedRow,
    TransitRouteRow,
    TransitServiceDayRow,
    TransitStopRow,
    TransitStopTimeRow,
    TransitTripRow,
)

EARTH_M = 6_371_000.0
LOOK_BACK = 30 * 60  # a departure this late may still be to come
HORIZON = 3 * 3600
_LOCK = threading.RLock()  # realtime_of makes the replay under it


@dataclass(frozen=True)
class StopInfo:
    id: str
    name: str
    lat: float
    lon: float
    wheelchair: bool | None
    lines: list[dict[str, str]]
    distance: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "wheelchair": self.wheelchair,
            "lines": self.lines,
        }
        if self.distance is not None:
            out["distance"] = round(self.distance)
        return out


@dataclass(frozen=True)
class Departure:
    trip_id: str
    route: dict[str, str]
    headsign: str
    scheduled: datetime
    delay: int | None  # seconds; None: no real-time information for this trip
    canceled: bool = False

    @property
    def expected(self) -> datetime:
        return self.scheduled + timedelta(seconds=self.delay or 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trip_id": self.trip_id,
            "line": self.route,
            "headsign": self.headsign,
            "scheduled": self.scheduled.isoformat(),
            "expected": self.expected.isoformat(),
            "delay": self.delay,
            "realtime": self.delay is not None,
            "canceled": self.canceled,
        }


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def _line(rid: str, name: str, kind: str, color: str) -> dict[str, str]:
    return {"id": rid, "name": name, "kind": kind, "color": color}


def _lines(raw: str) -> list[dict[str, str]]:
    return [_line(*r) for r in json.loads(raw or "[]")]


def _stop(row: Any, distance: float | None = None) -> StopInfo:
    return StopInfo(row.id, row.name, row.lat, row.lon, row.wheelchair, _lines(row.lines), distance)


def stops_near(v: Vigie, lat: float, lon: float, radius: float = 600, limit: int = 10) -> list[StopInfo]:
    """Served stops within ``radius`` metres, nearest first."""
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    stmt = select(TransitStopRow).where(
        TransitStopRow.served.is_(True),
        TransitStopRow.lat.between(lat - dlat, lat + dlat),
        TransitStopRow.lon.between(lon - dlon, lon + dlon),
    )
    with v.db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    found = [(distance_m(lat, lon, r.lat, r.lon), r) for r in rows]
    found = sorted(((d, r) for d, r in found if d <= radius), key=lambda x: (x[0], x[1].id))
    return [_stop(r, d) for d, r in found[:limit]]


_STOP = select(TransitStopRow).where(TransitStopRow.id == bindparam("stop"))


def get_stop(v: Vigie, stop_id: str) -> StopInfo:
    with v.db.engine.connect() as conn:
        row = conn.execute(_STOP, {"stop": stop_id}).first()
    if row is None:
        raise NotFound(f"no stop '{stop_id}' in the timetable", field="stop_id")
    return _stop(row)


def timetable_zone(v: Vigie) -> ZoneInfo:
    zone = v.caches.transit_timezone
    if zone is None:
        with v.db.session() as s:
            zone = s.scalar(select(TransitFeedRow.timezone)) or v.city.timezone.key
        v.caches.transit_timezone = zone
    return ZoneInfo(zone)


def realtime_of(v: Vigie) -> RealtimeFeed | None:
    """The configured real-time feed (or the demo's replay), made on first use."""
    s = v.settings
    found = v.caches.transit_realtime
    if found is None and not s.transport_realtime_url and not s.transport_replay:
        return None
    if found is None:
        with _LOCK:
            found = v.caches.transit_realtime
            if found is None:
                if s.transport_realtime_url:
                    fetch = http_fetch(s.transport_realtime_url)
                    name = s.transport_realtime_url
                else:
                    replay = replay_of(v)
                    assert replay is not None

                    def fetch() -> bytes:
                        return replay.feed(datetime.now().astimezone())

                    name = "replay"
                found = v.caches.transit_realtime = RealtimeFeed(fetch, s.transport_realtime_ttl, name)
    return found


def replay_of(v: Vigie) -> Replay | None:
    if not v.settings.transport_replay:
        return None
    found = v.caches.transit_replay
    if found is None:
        with _LOCK:
            found = v.caches.transit_replay
            if found is None:
                zone = timetable_zone(v).key
                found = v.caches.transit_replay = Replay(Path(v.settings.transport_replay).expanduser(), zone)
    return found


_DEPARTURES = (
    select(
        TransitStopTimeRow.departure,
        TransitStopTimeRow.stop_sequence,
        TransitStopTimeRow.trip_id,
        TransitTripRow.headsign,
        TransitRouteRow.id,
        TransitRouteRow.short_name,
        TransitRouteRow.long_name,
        TransitRouteRow.kind,
        TransitRouteRow.color,
    )
    .join(TransitTripRow, TransitTripRow.id == TransitStopTimeRow.trip_id)
    .join(
        TransitServiceDayRow,
        and_(
            TransitServiceDayRow.service_id == TransitTripRow.service_id,
            TransitServiceDayRow.day == bindparam("day"),
        ),
    )
    .join(TransitRouteRow, TransitRouteRow.id == TransitTripRow.route_id)
    .where(
        TransitStopTimeRow.stop_id == bindparam("stop"),
        TransitStopTimeRow.departure.between(bindparam("low"), bindparam("high")),
    )
    .order_by(TransitStopTimeRow.departure)
    .limit(bindparam("n"))
)


def stop_departures(
    v: Vigie, stop_id: str, now: datetime, limit: int = 8
) -> tuple[StopInfo, list[Departure]]:
    """The stop and its next ``limit`` departures after ``now`` (aware), live delays applied.

    One connection and Core statements: this is the busiest read of the residents' app.
    On PostgreSQL the connection is in autocommit (``one_statement_connection``): no
    BEGIN and ROLLBACK round trips around three reads that need no common snapshot
    (a board read during an import shows the old or the new timetable, stop by stop).
    """
    zone = timetable_zone(v)
    local = now.astimezone(zone)
    today = local.date()
    feed = realtime_of(v)
    delays = feed.current() if feed is not None else None
    out: list[Departure] = []
    with v.db.one_statement_connection() as conn:
        row = conn.execute(_STOP, {"stop": stop_id}).first()
        if row is None:
            raise NotFound(f"no stop '{stop_id}' in the timetable", field="stop_id")
        for day in (today - timedelta(days=1), today):
            midnight = datetime.combine(day, time(0), zone)
            clock = int((local - midnight).total_seconds())
            params = {
                "day": day,
                "stop": stop_id,
                "low": clock - LOOK_BACK,
                "high": clock + HORIZON,
                "n": limit * 3,
            }
            out.extend(
                _departure(r, stop_id, midnight, day, delays) for r in conn.execute(_DEPARTURES, params)
            )
    upcoming = sorted((d for d in out if d.expected >= now), key=lambda d: d.expected)
    return _stop(row), upcoming[:limit]


def next_departures(v: Vigie, stop_id: str, now: datetime, limit: int = 8) -> list[Departure]:
    """The next ``limit`` departures from the stop after ``now`` (aware), live delays applied."""
    return stop_departures(v, stop_id, now, limit)[1]


def _departure(row: Any, stop_id: str, midnight: datetime, day: date, delays: Delays | None) -> Departure:
    departure, seq, trip_id, headsign, rid, short, long, kind, color = row
    scheduled = (midnight + timedelta(seconds=departure)).astimezone(midnight.tzinfo)
    delay, canceled = None, False
    trip = delays.trips.get(trip_id) if delays is not None else None
    if trip is not None and trip.start_date in ("", f"{day:%Y%m%d}"):
        canceled = trip.canceled
        delay = trip.delay_at(seq, stop_id)
    route = _line(rid, short or long, kind, color)
    return Departure(trip_id, route, headsign, scheduled, delay, canceled)


__all__ = [
    "Departure",
    "StopInfo",
    "distance_m",
    "get_stop",
    "next_departures",
    "realtime_of",
    "replay_of",
    "stop_departures",
    "stops_near",
    "timetable_zone",
]
