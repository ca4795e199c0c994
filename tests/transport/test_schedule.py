from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from vigie.transport.gtfs import GtfsError, read_feed
from vigie.transport.schedule import format_time, parse_time, read_schedule


def _problems(path: Path) -> list[str]:
    with pytest.raises(GtfsError) as err:
        read_schedule(path, read_feed(path))
    return [str(p).removeprefix(f"{path}/") for p in err.value.problems]


def test_schedule_reads_times_past_midnight_and_calendars(timetable: Path):
    schedule = read_schedule(timetable, read_feed(timetable))
    night = [st for st in schedule.stop_times if st.trip_id == "n1"]
    assert [st.departure for st in night] == [24 * 3600 + 30 * 60, 24 * 3600 + 35 * 60]
    t1 = next(st for st in schedule.stop_times if st.trip_id == "t1" and st.stop_sequence == 1)
    assert (t1.arrival, t1.departure) == (8 * 3600, 8 * 3600 + 30)
    week = schedule.service_days["WEEK"]
    assert date(2026, 12, 7) in week and date(2026, 12, 12) not in week  # a Monday, a Saturday
    assert date(2026, 12, 25) not in week and date(2026, 12, 26) in week  # calendar_dates both ways


def test_schedule_times_are_parsed_strictly():
    assert parse_time("8:05:00") == 8 * 3600 + 300 and parse_time("25:10:09") == 25 * 3600 + 609
    assert parse_time("8h05") is None and parse_time("08:60:00") is None
    assert format_time(25 * 3600 + 609) == "25:10:09"


def test_schedule_problems_name_file_line_and_field(timetable: Path):
    (timetable / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "t1,08:00:00,08:00:00,S1,1\n"
        "t1,07:00:00,07:00:00,S2,2\n"
        "t2,8h10,08:10:00,S1,1\n"
        "t2,08:15:00,08:14:00,S2,2\n"
        "zz,08:15:00,08:15:00,S2,1\n"
        "l1,08:02:00,08:02:00,NOPE,1\n"
        "l1,08:02:00,08:02:00,S1,x\n",
        encoding="utf-8",
    )
    assert _problems(timetable) == [
        "stop_times.txt:4: arrival_time: '8h10' is not a time (HH:MM:SS)",
        "stop_times.txt:5: departure_time: 08:14:00 is before the arrival 08:15:00",
        "stop_times.txt:6: trip_id: 'zz' is not a trip of trips.txt",
        "stop_times.txt:7: stop_id: 'NOPE' is not a stop of stops.txt",
        "stop_times.txt:8: stop_sequence: 'x' is not a sequence number",
        "stop_times.txt: arrival_time: trip 't1': stop 2 at 07:00:00 is before stop 1 at 08:00:00",
    ]


def test_schedule_needs_stop_times_and_a_calendar(timetable: Path):
    (timetable / "stop_times.txt").unlink()
    (timetable / "calendar.txt").unlink()
    (timetable / "calendar_dates.txt").unlink()
    assert _problems(timetable) == [
        "stop_times.txt: file: required file missing (departures need timetables)",
        "calendar.txt: file: calendar.txt or calendar_dates.txt is required",
    ]


def test_schedule_calendar_problems_and_services_without_calendar(timetable: Path):
    (timetable / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "WEEK,1,1,1,1,yes,0,0,20261201,20261231\n"
        "NIGHT,1,1,1,1,1,1,1,20261231,20261201\n",
        encoding="utf-8",
    )
    (timetable / "calendar_dates.txt").write_text("service_id,date,exception_type\nOTHER,2026-12-25,2\n")
    problems = _problems(timetable)
    assert problems[:3] == [
        "calendar.txt:2: friday: 'yes' is neither 0 nor 1",
        "calendar.txt:3: end_date: is before start_date",
        "calendar_dates.txt:2: date: '2026-12-25' is not a YYYYMMDD date",
    ]
    assert "trips.txt: service_id: 'WEEK' (trip 't1') is in no calendar" in problems
