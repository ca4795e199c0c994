from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from vigie.errors import NotFound
from vigie.runtime import Vigie
from vigie.transport.departures import next_departures, stops_near
from vigie.transport.gtfs import GtfsError
from vigie.transport.importer import do_import_gtfs
from vigie.transport.realtime import RealtimeFeed
from vigie.transport.storage import TransitStopTimeRow

PARIS = ZoneInfo("Europe/Paris")


def trip_updates(*trips: tuple[str, str, list[tuple[int, int]]], canceled: str = "") -> bytes:
    from google.transit import gtfs_realtime_pb2 as rt

    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = 1
    for tid, start_date, stops in trips:
        entity = message.entity.add()
        entity.id = tid
        entity.trip_update.trip.trip_id = tid
        entity.trip_update.trip.start_date = start_date
        if tid == canceled:
            entity.trip_update.trip.schedule_relationship = rt.TripDescriptor.CANCELED
        for seq, delay in stops:
            u = entity.trip_update.stop_time_update.add()
            u.stop_sequence = seq
            u.departure.delay = delay
    return bytes(message.SerializeToString())


def _at(hour: int, minute: int, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)  # 7 December 2026 is a Monday


def test_departures_import_then_next_departures_by_time(vigie: Vigie, timetable: Path):
    result = do_import_gtfs(vigie, timetable)
    assert (result.routes, result.stops, result.served_stops, result.trips, result.stop_times) == (
        2,
        3,
        2,
        4,
        8,
    )
    found = next_departures(vigie, "S1", _at(7, 55))
    assert [(d.trip_id, d.scheduled.strftime("%H:%M:%S"), d.route["name"]) for d in found] == [
        ("t1", "08:00:30", "T1"),
        ("l1", "08:02:00", "L5"),
        ("t2", "08:10:00", "T1"),
    ]
    assert all(d.delay is None for d in found)  # no real-time feed configured
    assert [d.trip_id for d in next_departures(vigie, "S1", _at(8, 5))] == ["t2"]
    assert next_departures(vigie, "S1", _at(7, 55, day=12)) == []  # Saturday: WEEK does not run


def test_departures_after_midnight_come_from_yesterdays_service(vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    found = next_departures(vigie, "S1", _at(0, 20, day=8))
    assert [(d.trip_id, d.scheduled.isoformat()) for d in found] == [("n1", "2026-12-08T00:30:00+01:00")]


def test_departures_take_live_delays_propagated_and_cancellations(vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    feed = trip_updates(
        ("t1", "20261207", [(1, 240)]), ("l1", "20261207", [(1, -60)]), ("t2", "20261206", [(1, 900)])
    )
    vigie.caches.transit_realtime = RealtimeFeed(lambda: feed, 30, "test")
    found = {d.trip_id: d for d in next_departures(vigie, "S1", _at(7, 55))}
    assert found["t1"].delay == 240 and found["t1"].expected.strftime("%H:%M:%S") == "08:04:30"
    assert found["l1"].delay == -60
    assert found["t2"].delay is None  # an update for another day's run of the trip is not this one's
    later = next_departures(vigie, "S2", _at(8, 4))
    # No update at stop 2: stop 1's delay goes on; l1 (08:09 - 1 min) now leaves before t1 (08:05 + 4 min).
    assert [(d.trip_id, d.delay) for d in later][:2] == [("l1", -60), ("t1", 240)]
    # A departure already due but running late is still to come.
    assert "t1" in {d.trip_id for d in next_departures(vigie, "S1", _at(8, 3))}
    cancel = trip_updates(("t1", "", [(1, 0)]), canceled="t1")
    vigie.caches.transit_realtime = RealtimeFeed(lambda: cancel, 30, "test")
    assert next(d for d in next_departures(vigie, "S1", _at(7, 55)) if d.trip_id == "t1").canceled


def test_departures_of_an_unknown_stop_is_not_found(vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    with pytest.raises(NotFound):
        next_departures(vigie, "nope", _at(8, 0))


def test_departures_stops_near_skip_stops_nobody_serves(vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    found = stops_near(vigie, 47.3230, 5.0350, radius=1500)
    assert [s.id for s in found] == ["S1", "S2"]
    assert found[0].distance is not None and found[0].distance < found[1].distance
    assert [line["name"] for line in found[0].lines] == ["T1", "L5"]  # trams first
    assert stops_near(vigie, 47.40, 5.20, radius=300) == []  # S3 is there, but no trip calls


def test_departures_import_of_a_bad_feed_keeps_the_previous_timetable(vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    (timetable / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,soon,08:00:00,S1,1\n", encoding="utf-8"
    )
    with pytest.raises(GtfsError):
        do_import_gtfs(vigie, timetable)
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(TransitStopTimeRow)) == 8


@pytest.mark.slow  # rebuilds and imports Divia's recorded day (about 60,000 stop times)
def test_departures_dijon_demo_has_the_next_tram_with_its_recorded_delay(vigie: Vigie, divia_2023: Path):
    from vigie.transport.demo import load_demo_timetable
    from vigie.transport.replay import Replay

    vigie.settings.open_data_dir = divia_2023.parents[1]
    lines = load_demo_timetable(vigie)
    assert "2527 trips" in lines[0]
    replay = Replay(divia_2023 / "observed_stop_times_2023-10-31_gtfsrt.csv", "Europe/Paris")
    today = datetime.now(PARIS).date()
    ten = datetime(today.year, today.month, today.day, 10, 0, tzinfo=PARIS)
    vigie.caches.transit_realtime = RealtimeFeed(lambda: replay.feed(ten), 30, "replay")
    tram_stop = next(
        s for s in stops_near(vigie, 47.3232, 5.0297, 400) if any(x["kind"] == "tram" for x in s.lines)
    )
    found = next_departures(vigie, tram_stop.id, ten)
    assert found and any(d.route["kind"] == "tram" for d in found)
    assert any(d.delay is not None for d in found)  # trips under way at 10:00 carry their recorded delay
