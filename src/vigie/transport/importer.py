"""``vigie import gtfs DIR|ZIP``: a checked GTFS feed becomes the platform's timetable.

The feed is read and checked whole first (:func:`~vigie.transport.gtfs.read_feed`,
:func:`~vigie.transport.schedule.read_schedule`: every problem with its file,
line and field); only a valid feed is written, in one transaction that replaces
the timetable imported before: a failed import leaves the previous one intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, delete, insert

from vigie.db import utcnow
from vigie.errors import ConfigProblem
from vigie.runtime import Vigie
from vigie.sources.reading import progress_bar
from vigie.transport.gtfs import Feed, GtfsError, read_feed
from vigie.transport.schedule import Schedule, read_schedule
from vigie.transport.storage import (
    TransitFeedRow,
    TransitRouteRow,
    TransitServiceDayRow,
    TransitStopRow,
    TransitStopTimeRow,
    TransitTripRow,
)

_CHUNK = 5_000
TABLES: list[Any] = [
    TransitStopTimeRow,
    TransitServiceDayRow,
    TransitTripRow,
    TransitStopRow,
    TransitRouteRow,
    TransitFeedRow,
]


@dataclass(frozen=True)
class GtfsImportResult:
    source: str
    routes: int
    stops: int
    served_stops: int
    trips: int
    stop_times: int
    untimed: int
    first_day: date | None
    last_day: date | None

    def summary(self) -> str:
        span = f", service {self.first_day} to {self.last_day}" if self.first_day else ""
        return (
            f"{self.source}: {self.routes} routes, {self.stops} stops ({self.served_stops} served), "
            f"{self.trips} trips, {self.stop_times} stop times{span}"
            + (f"; {self.untimed} stop times without a time left out" if self.untimed else "")
        )


def check_feed(path: Path, fallback_timezone: str) -> tuple[Feed, Schedule, str]:
    """Read and check the feed; its time zone (agency_timezone, else the city's) must exist."""
    feed = read_feed(path)
    schedule = read_schedule(path, feed)
    zone = feed.timezone or fallback_timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise GtfsError(
            [ConfigProblem(f"{path}/agency.txt", None, "agency_timezone", f"{zone!r} is not a time zone")]
        ) from None
    return feed, schedule, zone


def _stop_lines(feed: Feed, schedule: Schedule) -> dict[str, list[list[str]]]:
    """The lines that call at each stop, by name (trams first)."""
    route_of = {t.id: t.route_id for t in feed.trips}
    routes_at: dict[str, set[str]] = {}
    for st in schedule.stop_times:
        routes_at.setdefault(st.stop_id, set()).add(route_of[st.trip_id])
    out: dict[str, list[list[str]]] = {}
    for stop_id, rids in routes_at.items():
        routes = sorted((feed.routes[r] for r in rids), key=lambda r: (r.kind != "tram", len(r.name), r.name))
        out[stop_id] = [[r.id, r.name, r.kind, r.color or ""] for r in routes]
    return out


def _chunks(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(
    conn: Connection, model: Any, rows: Iterable[dict[str, Any]], advance: Callable[[int], None]
) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(model), chunk)
        advance(len(chunk))


def do_import_gtfs(v: Vigie, path: str | Path, *, progress: bool = False) -> GtfsImportResult:
    path = Path(path).expanduser()
    feed, schedule, zone = check_feed(path, v.city.timezone.key)
    lines = _stop_lines(feed, schedule)
    days = sorted({d for ds in schedule.service_days.values() for d in ds})
    used = {t.service_id for t in feed.trips}
    total = len(feed.routes) + len(feed.stops) + len(feed.trips) + len(schedule.stop_times)
    with progress_bar(progress, total, path.name) as advance, v.db.write_engine.begin() as conn:
        for model in TABLES:
            conn.execute(delete(model))
        conn.execute(
            insert(TransitFeedRow),
            [
                {
                    "id": 1,
                    "source": str(path)[:500],
                    "agencies": " / ".join(feed.agencies)[:500],
                    "timezone": zone,
                    "imported_at": utcnow(),
                    "first_day": days[0] if days else None,
                    "last_day": days[-1] if days else None,
                }
            ],
        )
        _write(
            conn,
            TransitRouteRow,
            (
                {
                    "id": r.id,
                    "short_name": r.short_name,
                    "long_name": r.long_name,
                    "kind": r.kind,
                    "color": r.color or "",
                }
                for r in feed.routes.values()
            ),
            advance,
        )
        _write(
            conn,
            TransitStopRow,
            (
                {
                    "id": s.id,
                    "name": s.name,
                    "lat": s.lat,
                    "lon": s.lon,
                    "wheelchair": s.wheelchair,
                    "served": s.id in lines,
                    "lines": json.dumps(lines.get(s.id, []), ensure_ascii=False),
                }
                for s in feed.stops.values()
            ),
            advance,
        )
        _write(
            conn,
            TransitTripRow,
            (
                {
                    "id": t.id,
                    "route_id": t.route_id,
                    "service_id": t.service_id,
                    "headsign": t.headsign,
                    "direction_id": t.direction_id,
                }
                for t in feed.trips
            ),
            advance,
        )
        _write(
            conn,
            TransitServiceDayRow,
            (
                {"service_id": sid, "day": d}
                for sid, ds in schedule.service_days.items()
                if sid in used
                for d in ds
            ),
            lambda _n: None,
        )
        _write(
            conn,
            TransitStopTimeRow,
            (
                {
                    "trip_id": st.trip_id,
                    "stop_sequence": st.stop_sequence,
                    "stop_id": st.stop_id,
                    "arrival": st.arrival,
                    "departure": st.departure,
                }
                for st in schedule.stop_times
            ),
            advance,
        )
    v.caches.transit_timezone = None
    return GtfsImportResult(
        str(path),
        len(feed.routes),
        len(feed.stops),
        len(lines),
        len(feed.trips),
        len(schedule.stop_times),
        schedule.untimed,
        days[0] if days else None,
        days[-1] if days else None,
    )


__all__ = ["GtfsImportResult", "check_feed", "do_import_gtfs"]
