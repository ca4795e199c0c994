"""A GTFS static feed reader (https://gtfs.org/documentation/schedule/reference/).

Reads what Vigie draws — routes, trips (which shape belongs to which
route, their service and headsign), shapes and stops — from a directory or a ``.zip``, and checks it as it
reads: required files and columns, numbers and coordinates, identifiers that are
unique and that point at something. Every problem names the file, the line and
the field (:class:`GtfsError`, a :class:`~vigie.errors.ConfigurationError`), up
to :data:`MAX_PROBLEMS` of them, so a city fixes its feed in one pass.
Timetables (``stop_times.txt``, calendars) are read by :mod:`vigie.transport.schedule`
with the same checks.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vigie.errors import ConfigProblem, ConfigurationError

MAX_PROBLEMS = 20
# Basic route types and the extended ones (100-1799) of the GTFS reference.
BASIC_ROUTE_TYPES = {
    0: "tram",
    1: "metro",
    2: "rail",
    3: "bus",
    4: "ferry",
    5: "cable_tram",
    6: "aerial_lift",
    7: "funicular",
    11: "trolleybus",
    12: "monorail",
}


class GtfsError(ConfigurationError):
    """The feed cannot be read: each problem names file, line and field."""


@dataclass(frozen=True)
class Route:
    id: str
    short_name: str
    long_name: str
    type: int
    color: str | None  # "#RRGGBB" when the feed gives one

    @property
    def kind(self) -> str:
        if self.type in BASIC_ROUTE_TYPES:
            return BASIC_ROUTE_TYPES[self.type]
        if 900 <= self.type < 1000:
            return "tram"
        if 700 <= self.type < 800:
            return "bus"
        return "other"

    @property
    def name(self) -> str:
        return self.short_name or self.long_name


@dataclass(frozen=True)
class Stop:
    id: str
    name: str
    lat: float
    lon: float
    wheelchair: bool | None  # wheelchair_boarding 1 / 2; None when unknown (0 or absent)
    location_type: int


@dataclass(frozen=True)
class Trip:
    id: str
    route_id: str
    shape_id: str | None
    direction_id: int | None
    service_id: str = ""
    headsign: str = ""


@dataclass
class Feed:
    routes: dict[str, Route]
    stops: dict[str, Stop]
    trips: list[Trip]
    shapes: dict[str, list[tuple[float, float]]]  # shape_id -> (lon, lat) in sequence order
    agencies: list[str] = field(default_factory=list)
    timezone: str = ""  # agency_timezone of the first agency

    def shapes_by_route(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for trip in self.trips:
            if trip.shape_id:
                out.setdefault(trip.route_id, set()).add(trip.shape_id)
        return out


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[ConfigProblem] = []

    def add(self, file: str, line: int | None, fieldname: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(ConfigProblem(f"{self.source}/{file}", line, fieldname, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise GtfsError(self.items)

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS


class _Source:
    """The feed's files, from a directory or a zip archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                raise GtfsError(
                    [ConfigProblem(str(path), None, "GTFS", "is neither a directory nor a zip archive")]
                ) from None
        elif not path.is_dir():
            raise GtfsError([ConfigProblem(str(path), None, "GTFS", "no such directory or zip archive")])

    def has(self, name: str) -> bool:
        if self.zip is not None:
            return name in self.zip.namelist()
        return (self.path / name).is_file()

    def rows(
        self, name: str, problems: _Problems, required: tuple[str, ...]
    ) -> Iterator[tuple[int, dict[str, str]]]:
        raw = self.zip.read(name) if self.zip is not None else (self.path / name).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.add(name, None, "encoding", f"is not UTF-8 (byte {exc.start})")
            return
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = [c.strip() for c in (reader.fieldnames or [])]
        reader.fieldnames = columns
        missing = [c for c in required if c not in columns]
        if missing:
            problems.add(name, 1, ", ".join(missing), "required column missing")
            return
        for number, row in enumerate(reader, start=2):
            if None in row:
                problems.add(
                    name,
                    number,
                    "(row)",
                    f"{len(columns) + len(row[None])} values for {len(columns)} columns",
                )  # type: ignore[index]
                continue
            yield number, {k: (v or "").strip() for k, v in row.items()}

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _float(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def read_feed(path: str | Path) -> Feed:
    """The feed at ``path`` (directory or zip), checked; :class:`GtfsError` lists what is wrong."""
    path = Path(path).expanduser()
    source = _Source(path)
    problems = _Problems(str(path))
    try:
        for name in ("routes.txt", "trips.txt", "stops.txt"):
            if not source.has(name):
                problems.add(name, None, "file", "required file missing")
        problems.raise_if_any()
        agencies, zones = [], []
        if source.has("agency.txt"):
            for _, row in source.rows("agency.txt", problems, ("agency_name",)):
                agencies.append(row.get("agency_name", ""))
                zones.append(row.get("agency_timezone", ""))
        routes = _routes(source, problems)
        shapes = _shapes(source, problems) if source.has("shapes.txt") else {}
        trips = _trips(source, problems, routes, shapes)
        stops = _stops(source, problems)
    finally:
        source.close()
    problems.raise_if_any()
    return Feed(routes, stops, trips, shapes, [a for a in agencies if a], next((z for z in zones if z), ""))


def _routes(source: _Source, problems: _Problems) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for line, row in source.rows("routes.txt", problems, ("route_id", "route_type")):
        rid = row["route_id"]
        if not rid:
            problems.add("routes.txt", line, "route_id", "empty")
            continue
        if rid in routes:
            problems.add("routes.txt", line, "route_id", f"{rid!r} already defined")
            continue
        rtype = _int(row["route_type"])
        if rtype is None or not (rtype in BASIC_ROUTE_TYPES or 100 <= rtype <= 1799):
            problems.add("routes.txt", line, "route_type", f"{row['route_type']!r} is not a GTFS route type")
            continue
        short, long = row.get("route_short_name", ""), row.get("route_long_name", "")
        if not short and not long:
            problems.add("routes.txt", line, "route_short_name", "a route needs a short or a long name")
            continue
        color = row.get("route_color", "")
        if color and (len(color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in color)):
            problems.add(
                "routes.txt", line, "route_color", f"{color!r} is not a six-digit hexadecimal colour"
            )
            continue
        routes[rid] = Route(rid, short, long, rtype, f"#{color.lower()}" if color else None)
    return routes


def _shapes(source: _Source, problems: _Problems) -> dict[str, list[tuple[float, float]]]:
    points: dict[str, list[tuple[int, float, float]]] = {}
    for line, row in source.rows(
        "shapes.txt", problems, ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence")
    ):
        lat = _float(row["shape_pt_lat"], -90, 90)
        lon = _float(row["shape_pt_lon"], -180, 180)
        seq = _int(row["shape_pt_sequence"])
        if not row["shape_id"]:
            problems.add("shapes.txt", line, "shape_id", "empty")
        elif lat is None:
            problems.add("shapes.txt", line, "shape_pt_lat", f"{row['shape_pt_lat']!r} is not a latitude")
        elif lon is None:
            problems.add("shapes.txt", line, "shape_pt_lon", f"{row['shape_pt_lon']!r} is not a longitude")
        elif seq is None or seq < 0:
            problems.add(
                "shapes.txt",
                line,
                "shape_pt_sequence",
                f"{row['shape_pt_sequence']!r} is not a sequence number",
            )
        else:
            points.setdefault(row["shape_id"], []).append((seq, lon, lat))
        if problems.full:
            break
    return {sid: [(lon, lat) for _, lon, lat in sorted(pts)] for sid, pts in points.items()}


def _trips(
    source: _Source,
    problems: _Problems,
    routes: dict[str, Route],
    shapes: dict[str, list[tuple[float, float]]],
) -> list[Trip]:
    trips: list[Trip] = []
    seen: set[str] = set()
    for line, row in source.rows("trips.txt", problems, ("route_id", "trip_id")):
        tid, rid, sid = row["trip_id"], row["route_id"], row.get("shape_id", "")
        if not tid:
            problems.add("trips.txt", line, "trip_id", "empty")
        elif tid in seen:
            problems.add("trips.txt", line, "trip_id", f"{tid!r} already defined")
        elif rid not in routes:
            problems.add("trips.txt", line, "route_id", f"{rid!r} is not a route of routes.txt")
        elif sid and sid not in shapes:
            problems.add("trips.txt", line, "shape_id", f"{sid!r} is not a shape of shapes.txt")
        else:
            seen.add(tid)
            direction = _int(row.get("direction_id", ""))
            trips.append(
                Trip(
                    tid, rid, sid or None, direction, row.get("service_id", ""), row.get("trip_headsign", "")
                )
            )
        if problems.full:
            break
    return trips


def _stops(source: _Source, problems: _Problems) -> dict[str, Stop]:
    stops: dict[str, Stop] = {}
    for line, row in source.rows("stops.txt", problems, ("stop_id",)):
        sid = row["stop_id"]
        location_type = _int(row.get("location_type", "") or "0")
        if not sid:
            problems.add("stops.txt", line, "stop_id", "empty")
            continue
        if sid in stops:
            problems.add("stops.txt", line, "stop_id", f"{sid!r} already defined")
            continue
        if location_type is None or not 0 <= location_type <= 4:
            problems.add("stops.txt", line, "location_type", f"{row.get('location_type')!r} is not 0 to 4")
            continue
        if location_type in (3, 4) and not row.get("stop_lat"):
            continue  # generic nodes and boarding areas may have no position
        lat = _float(row.get("stop_lat", ""), -90, 90)
        lon = _float(row.get("stop_lon", ""), -180, 180)
        if lat is None:
            problems.add("stops.txt", line, "stop_lat", f"{row.get('stop_lat')!r} is not a latitude")
            continue
        if lon is None:
            problems.add("stops.txt", line, "stop_lon", f"{row.get('stop_lon')!r} is not a longitude")
            continue
        wheelchair = {"1": True, "2": False}.get(row.get("wheelchair_boarding", ""))
        stops[sid] = Stop(sid, row.get("stop_name", ""), lat, lon, wheelchair, location_type)
        if problems.full:
            break
    return stops
