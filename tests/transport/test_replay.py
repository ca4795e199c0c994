from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.transport.conftest import OBSERVED
from vigie.transport.gtfs import GtfsError, read_feed
from vigie.transport.realtime import parse_trip_updates
from vigie.transport.replay import Replay, read_observed, rebuild_day
from vigie.transport.schedule import read_schedule

PARIS = ZoneInfo("Europe/Paris")


def test_replay_rebuilds_the_recorded_day_as_a_valid_feed(divia_2023: Path, tmp_path: Path):
    out = tmp_path / "rebuilt"
    day, trips, stop_times = rebuild_day(divia_2023, OBSERVED, out, date(2026, 12, 7), days=30)
    assert day == date(2023, 10, 31)
    assert trips == 2527  # the recording's trips found in the October 2023 feed (shared data README)
    feed = read_feed(out)
    schedule = read_schedule(out, feed)
    assert len(schedule.stop_times) == stop_times > 60_000
    assert schedule.service_days["REPLAY"] == {date(2026, 12, d) for d in range(7, 32)} | {
        date(2027, 1, d) for d in range(1, 6)
    }
    # Scheduled = observed - delay, in local time of the recorded day: check one row by hand.
    with OBSERVED.open(encoding="utf-8") as f:
        row = next(
            r for r in csv.DictReader(f) if r["departure_time"] and r["trip_id"] in {t.id for t in feed.trips}
        )
    scheduled = datetime.fromtimestamp(int(row["departure_time"]) - int(row["departure_delay"]), PARIS)
    seconds = (scheduled - datetime.combine(day, time(0), PARIS)).seconds
    assert any(
        st.trip_id == row["trip_id"] and st.stop_id == row["stop_id"] and st.departure == seconds
        for st in schedule.stop_times
    )


def test_replay_feed_holds_trips_under_way_with_their_recorded_delays(divia_2023: Path):
    replay = Replay(OBSERVED, "Europe/Paris")
    now = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)
    delays = parse_trip_updates(replay.feed(now))
    assert 100 < len(delays.trips) < 1000
    clock = 10 * 3600
    for tid, trip in list(delays.trips.items())[:50]:
        recorded = replay.trips[tid]
        assert recorded[0].arrival - 15 * 60 <= clock <= recorded[-1].observed + 120
        assert trip.start_date == "20261207"
        first = recorded[0]
        assert trip.delay_at(first.stop_sequence, first.stop_id) == first.departure_delay
    night = parse_trip_updates(replay.feed(datetime(2026, 12, 7, 5, 0, tzinfo=PARIS)))
    assert len(night.trips) < len(delays.trips)


def test_replay_recording_without_its_columns_is_refused(tmp_path: Path):
    bad = tmp_path / "observed.csv"
    bad.write_text("trip_id,stop_id\nx,y\n", encoding="utf-8")
    with pytest.raises(GtfsError) as err:
        read_observed(bad, "Europe/Paris")
    assert "arrival_delay" in str(err.value.problems[0])
