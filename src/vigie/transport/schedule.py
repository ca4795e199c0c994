"""Timetables of a GTFS feed: ``stop_times.txt``, ``calendar.txt`` and ``calendar_dates.txt``.

Read with the same checks as the rest of the feed (:mod:`vigie.transport.gtfs`):
every problem names the file, the line and the field. Times are kept as seconds
after the service day's midnight (GTFS lets them pass 24:00:00 for trips that
run after midnight); calendars are expanded into the days each service runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from vigie.transport.gtfs import Feed, GtfsError, _Problems, _Source

_TIME = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$")
DAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_SERVICE_DAYS = 3 * 366  # a calendar spanning more is a typo (20240101-20421231), not a timetable


@dataclass(frozen=True)
class StopTime:
    trip_id: str
    stop_sequence: int
    stop_id: str
    arrival: int  # seconds after the service day's midnight
    departure: int


@dataclass
class Schedule:
    stop_times: list[StopTime]
    service_days: dict[str, set[date]]
    untimed: int = 0  # stop times with neither arrival nor departure (not timepoints): not loaded


def parse_time(value: str) -> int | None:
    """Seconds of a GTFS time ("8:05:00", "25:10:00"), None when it is not one."""
    m = _TIME.match(value)
    if m is None:
        return None
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def format_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _date(value: str) -> date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def read_schedule(path: str | Path, feed: Feed) -> Schedule:
    """The timetables of the feed at ``path``, checked against ``feed`` (its trips and stops)."""
    path = Path(path).expanduser()
    source = _Source(path)
    problems = _Problems(str(path))
    try:
        if not source.has("stop_times.txt"):
            problems.add("stop_times.txt", None, "file", "required file missing (departures need timetables)")
        if not source.has("calendar.txt") and not source.has("calendar_dates.txt"):
            problems.add("calendar.txt", None, "file", "calendar.txt or calendar_dates.txt is required")
        problems.raise_if_any()
        days: dict[str, set[date]] = {}
        if source.has("calendar.txt"):
            _calendar(source, problems, days)
        if source.has("calendar_dates.txt"):
            _calendar_dates(source, problems, days)
        for trip in feed.trips:
            if trip.service_id not in days and not problems.full:
                problems.add(
                    "trips.txt",
                    None,
                    "service_id",
                    f"{trip.service_id!r} (trip {trip.id!r}) is in no calendar",
                )
        stop_times, untimed = _stop_times(source, problems, feed)
    finally:
        source.close()
    problems.raise_if_any()
    return Schedule(stop_times, days, untimed)


def _calendar(source: _Source, problems: _Problems, days: dict[str, set[date]]) -> None:
    required = ("service_id", *DAY_COLUMNS, "start_date", "end_date")
    for line, row in source.rows("calendar.txt", problems, required):
        sid = row["service_id"]
        flags = [row[d] for d in DAY_COLUMNS]
        start, end = _date(row["start_date"]), _date(row["end_date"])
        bad_flag = next((d for d, f in zip(DAY_COLUMNS, flags, strict=True) if f not in ("0", "1")), None)
        if not sid:
            problems.add("calendar.txt", line, "service_id", "empty")
        elif sid in days:
            problems.add("calendar.txt", line, "service_id", f"{sid!r} already defined")
        elif bad_flag:
            problems.add("calendar.txt", line, bad_flag, f"{row[bad_flag]!r} is neither 0 nor 1")
        elif start is None:
            problems.add("calendar.txt", line, "start_date", f"{row['start_date']!r} is not a YYYYMMDD date")
        elif end is None:
            problems.add("calendar.txt", line, "end_date", f"{row['end_date']!r} is not a YYYYMMDD date")
        elif end < start:
            problems.add("calendar.txt", line, "end_date", "is before start_date")
        elif (end - start).days > MAX_SERVICE_DAYS:
            problems.add(
                "calendar.txt", line, "end_date", f"more than {MAX_SERVICE_DAYS} days after start_date"
            )
        else:
            runs = {i for i, f in enumerate(flags) if f == "1"}
            n = (end - start).days + 1
            days[sid] = {d for d in (start + timedelta(i) for i in range(n)) if d.weekday() in runs}
        if problems.full:
            return


def _calendar_dates(source: _Source, problems: _Problems, days: dict[str, set[date]]) -> None:
    for line, row in source.rows("calendar_dates.txt", problems, ("service_id", "date", "exception_type")):
        sid, day, kind = row["service_id"], _date(row["date"]), row["exception_type"]
        if not sid:
            problems.add("calendar_dates.txt", line, "service_id", "empty")
        elif day is None:
            problems.add("calendar_dates.txt", line, "date", f"{row['date']!r} is not a YYYYMMDD date")
        elif kind == "1":
            days.setdefault(sid, set()).add(day)
        elif kind == "2":
            days.setdefault(sid, set()).discard(day)
        else:
            problems.add(
                "calendar_dates.txt", line, "exception_type", f"{kind!r} is neither 1 (added) nor 2 (removed)"
            )
        if problems.full:
            return


def _stop_times(source: _Source, problems: _Problems, feed: Feed) -> tuple[list[StopTime], int]:
    trips = {t.id for t in feed.trips}
    out: list[StopTime] = []
    seen: set[tuple[str, int]] = set()
    untimed = 0
    name = "stop_times.txt"
    required = ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence")
    for line, row in source.rows(name, problems, required):
        tid, sid = row["trip_id"], row["stop_id"]
        seq = _int(row["stop_sequence"])
        arr_text, dep_text = row["arrival_time"], row["departure_time"]
        arrival = parse_time(arr_text) if arr_text else None
        departure = parse_time(dep_text) if dep_text else None
        if tid not in trips:
            problems.add(name, line, "trip_id", f"{tid!r} is not a trip of trips.txt")
        elif sid not in feed.stops:
            problems.add(name, line, "stop_id", f"{sid!r} is not a stop of stops.txt")
        elif seq is None or seq < 0:
            problems.add(name, line, "stop_sequence", f"{row['stop_sequence']!r} is not a sequence number")
        elif (tid, seq) in seen:
            problems.add(name, line, "stop_sequence", f"{seq} already given for trip {tid!r}")
        elif arr_text and arrival is None:
            problems.add(name, line, "arrival_time", f"{arr_text!r} is not a time (HH:MM:SS)")
        elif dep_text and departure is None:
            problems.add(name, line, "departure_time", f"{dep_text!r} is not a time (HH:MM:SS)")
        elif arrival is not None and departure is not None and departure < arrival:
            problems.add(name, line, "departure_time", f"{dep_text} is before the arrival {arr_text}")
        else:
            seen.add((tid, seq))
            if arrival is None and departure is None:
                untimed += 1
            else:
                arr = arrival if arrival is not None else departure
                dep = departure if departure is not None else arrival
                out.append(StopTime(tid, seq, sid, arr, dep))  # type: ignore[arg-type]
        if problems.full:
            break
    _check_order(out, problems)
    return out, untimed


def _check_order(stop_times: list[StopTime], problems: _Problems) -> None:
    """Within a trip, times never go back as the sequence goes on."""
    by_trip: dict[str, list[StopTime]] = {}
    for st in stop_times:
        by_trip.setdefault(st.trip_id, []).append(st)
    for tid, items in by_trip.items():
        items.sort(key=lambda st: st.stop_sequence)
        for before, after in zip(items, items[1:], strict=False):
            if after.arrival < before.departure:
                problems.add(
                    "stop_times.txt",
                    None,
                    "arrival_time",
                    f"trip {tid!r}: stop {after.stop_sequence} at {format_time(after.arrival)} "
                    f"is before stop {before.stop_sequence} at {format_time(before.departure)}",
                )
                break
        if problems.full:
            return


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


__all__ = ["GtfsError", "Schedule", "StopTime", "format_time", "parse_time", "read_schedule"]
