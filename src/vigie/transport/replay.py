"""A recorded day of GTFS-Realtime observations, rebuilt into a timetable and replayed.

Divia's feed of October 2023 has no ``stop_times.txt``; what exists is a
recording of its GTFS-Realtime TripUpdates on 31 October 2023: for each trip and
stop the observed arrival and departure (Unix time) and their delay. The
scheduled time is the observed time minus the delay, so that day's timetable can
be rebuilt (:func:`rebuild_day`) as a GTFS feed of its own, whose one service
runs every day from a chosen day on: the recorded day, shifted to today.

:class:`Replay` plays the recorded delays back as a TripUpdates feed (protobuf)
for the same shifted day: at a given moment, every trip under way has the
updates of the stops it has passed and of the next one, as the live feed had.
What is real and what is derived is said in docs/transport.md.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from vigie.errors import ConfigProblem
from vigie.transport.gtfs import GtfsError, read_feed
from vigie.transport.schedule import format_time

OBSERVED_COLUMNS = (
    "trip_id",
    "stop_id",
    "arrival_delay",
    "arrival_time",
    "departure_delay",
    "departure_time",
)
REPLAY_SERVICE = "REPLAY"
COPIED = ("agency.txt", "routes.txt", "stops.txt", "shapes.txt")
LEAD = 15 * 60  # a trip is in the feed from this long before its first stop


@dataclass(frozen=True)
class Observed:
    """One stop of a recorded trip: scheduled seconds after the recorded day's midnight, delays."""

    stop_sequence: int
    stop_id: str
    arrival: int
    departure: int
    arrival_delay: int
    departure_delay: int

    @property
    def observed(self) -> int:
        """When the vehicle left the stop (seconds after midnight)."""
        return self.departure + self.departure_delay


def _int(value: str) -> int | None:
    try:
        return int(float(value)) if value.strip() else None
    except ValueError:
        return None


def read_observed(path: Path, timezone: str) -> tuple[date, dict[str, list[Observed]]]:
    """The recorded day and its trips, stops in the order the vehicle served them.

    Rows with neither an arrival nor a departure time are left out (the recording
    has some); the day is the local date most observations fall on.
    """
    zone = ZoneInfo(timezone)
    rows: list[tuple[str, str, int, int, int, int]] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in OBSERVED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise GtfsError([ConfigProblem(str(path), 1, ", ".join(missing), "required column missing")])
        for line, row in enumerate(reader, start=2):
            arr_t, dep_t = _int(row["arrival_time"]), _int(row["departure_time"])
            arr_d, dep_d = _int(row["arrival_delay"]) or 0, _int(row["departure_delay"]) or 0
            if arr_t is None and dep_t is None:
                continue
            if not row["trip_id"] or not row["stop_id"]:
                raise GtfsError(
                    [ConfigProblem(str(path), line, "trip_id", "a row needs a trip_id and a stop_id")]
                )
            arr_s = (arr_t - arr_d) if arr_t is not None else None
            dep_s = (dep_t - dep_d) if dep_t is not None else None
            arr_s = arr_s if arr_s is not None else dep_s
            dep_s = dep_s if dep_s is not None else arr_s
            assert arr_s is not None and dep_s is not None
            rows.append((row["trip_id"], row["stop_id"], arr_s, max(dep_s, arr_s), arr_d, dep_d))
    if not rows:
        raise GtfsError([ConfigProblem(str(path), None, "arrival_time", "no row has a time")])
    days: dict[date, int] = {}
    for r in rows:
        d = datetime.fromtimestamp(r[2], zone).date()
        days[d] = days.get(d, 0) + 1
    day = max(days, key=lambda d: days[d])
    midnight = int(datetime.combine(day, time(0), zone).timestamp())
    # Per trip: (scheduled arrival, order in the file, stop, scheduled departure, delays).
    trips: dict[str, list[tuple[int, int, str, int, int, int]]] = {}
    for order, (tid, sid, arr, dep, arr_d, dep_d) in enumerate(rows):
        trips.setdefault(tid, []).append((arr - midnight, order, sid, dep - midnight, arr_d, dep_d))
    out: dict[str, list[Observed]] = {}
    for tid, stops in trips.items():
        stops.sort()
        seq: list[Observed] = []
        last = 0
        for i, (arr, _order, sid, dep, arr_d, dep_d) in enumerate(stops, start=1):
            # Rounding in the recording can put a stop a second before the previous one.
            arr = max(arr, last)
            dep = max(dep, arr)
            last = dep
            seq.append(Observed(i, str(sid), arr, dep, arr_d, dep_d))
        out[tid] = seq
    return day, out


def rebuild_day(
    feed_dir: Path, observed: Path, out: Path, first_day: date, days: int = 366, shift: int = 0
) -> tuple[date, int, int]:
    """Write to ``out`` a GTFS feed of the recorded day's trips that runs every day from ``first_day``.

    Routes, stops, shapes and agency are the feed's own; trips are those of the
    recording found in the feed; stop times are the scheduled times rebuilt from
    it, moved by ``shift`` seconds (benchmarks: the recorded morning at any hour; a trip
    that would start before midnight moves to the end of the day). Returns (recorded day,
    trips, stop times).
    """
    feed = read_feed(feed_dir)
    timezone = feed.timezone or "Europe/Paris"
    day, trips = read_observed(observed, timezone)
    known = {t.id: t for t in feed.trips}
    kept = {
        tid: stops
        for tid, stops in trips.items()
        if tid in known and all(s.stop_id in feed.stops for s in stops)
    }
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (feed_dir / name).is_file():
            shutil.copyfile(feed_dir / name, out / name)
    with (out / "trips.txt").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "shape_id"])
        for tid in kept:
            t = known[tid]
            w.writerow(
                [
                    t.route_id,
                    REPLAY_SERVICE,
                    tid,
                    t.headsign,
                    "" if t.direction_id is None else t.direction_id,
                    t.shape_id or "",
                ]
            )
    n = 0
    with (out / "stop_times.txt").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"])
        for tid, stops in kept.items():
            moved = shift + (86400 if stops[0].arrival + shift < 0 else 0)
            for s in stops:
                arr, dep = s.arrival + moved, s.departure + moved
                w.writerow([tid, format_time(arr), format_time(dep), s.stop_id, s.stop_sequence])
                n += 1
    last = first_day + timedelta(days=days - 1)
    (out / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        f"{REPLAY_SERVICE},1,1,1,1,1,1,1,{first_day:%Y%m%d},{last:%Y%m%d}\n",
        encoding="utf-8",
    )
    (out / "README.txt").write_text(
        f"Derived by Vigie from {feed_dir.name} and {observed.name}: the trips recorded on {day} "
        f"with their scheduled times (observed time - delay), running every day from {first_day} "
        f"to {last}. Routes, stops and shapes are the feed's own.\n",
        encoding="utf-8",
    )
    return day, len(kept), n


class Replay:
    """The recorded delays as a GTFS-Realtime TripUpdates feed, the recorded day shifted to ``now``'s."""

    def __init__(self, observed: Path, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.day, self.trips = read_observed(observed, timezone)
        self.spans = {tid: (stops[0].arrival, stops[-1].observed) for tid, stops in self.trips.items()}

    def feed(self, now: datetime) -> bytes:
        from google.transit import gtfs_realtime_pb2 as rt

        local = now.astimezone(self.zone)
        midnight = datetime.combine(local.date(), time(0), self.zone)
        clock = int((local - midnight).total_seconds())
        base = int(midnight.timestamp())
        message = rt.FeedMessage()
        message.header.gtfs_realtime_version = "2.0"
        message.header.incrementality = rt.FeedHeader.FULL_DATASET
        message.header.timestamp = int(now.timestamp())
        for tid, (start, end) in self.spans.items():
            if not start - LEAD <= clock <= end + 120:
                continue
            entity = message.entity.add()
            entity.id = tid
            update = entity.trip_update
            update.trip.trip_id = tid
            update.trip.start_date = f"{local.date():%Y%m%d}"
            update.timestamp = int(now.timestamp())
            for stop in self.trips[tid]:
                u = update.stop_time_update.add()
                u.stop_sequence = stop.stop_sequence
                u.stop_id = stop.stop_id
                u.arrival.delay = stop.arrival_delay
                u.arrival.time = base + stop.arrival + stop.arrival_delay
                u.departure.delay = stop.departure_delay
                u.departure.time = base + stop.departure + stop.departure_delay
                if stop.observed > clock:
                    break  # the next stop: what the live feed predicted; later ones follow it
        return bytes(message.SerializeToString())


__all__ = ["Observed", "REPLAY_SERVICE", "Replay", "read_observed", "rebuild_day"]
