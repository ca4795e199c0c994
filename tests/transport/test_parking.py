from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.transport.conftest import DIJON
from vigie.errors import ConfigurationError
from vigie.transport.parking import load_car_parks

PROFILE = Path(__file__).parents[2] / "src" / "vigie" / "city" / "profiles" / "dijon" / "car_parks.yaml"
RECORDING = DIJON / "opendata" / "diviapark_occupancy_timeseries.csv"


def test_parking_replays_the_recording_by_weekday_and_time(tmp_path: Path):
    parks = tmp_path / "parks.yaml"
    parks.write_text("car_parks:\n  - {id: A, name: Parc A, lat: 47.3, lon: 5.0, capacity: 200}\n")
    recording = tmp_path / "occupancy.csv"
    recording.write_text(
        "datetime,parking,pourcentage\n"
        "2023-06-19T08:00:00,A,10\n"  # a Monday
        "2023-06-19T12:00:00,A,80\n"
        "2023-06-20T08:00:00,A,-2\n"  # a Tuesday: sensors report below zero, shown as 0
        "2023-06-26T08:00:00,A,20\n",  # the next Monday replaces the first
    )
    loaded = load_car_parks(parks, recording)
    paris = ZoneInfo("Europe/Paris")
    assert loaded.occupancy("A", datetime(2026, 12, 7, 9, 0, tzinfo=paris)) == 20  # Monday 09:00
    assert loaded.occupancy("A", datetime(2026, 12, 7, 13, 0, tzinfo=paris)) == 80
    assert loaded.occupancy("A", datetime(2026, 12, 8, 9, 0, tzinfo=paris)) == 0
    assert loaded.occupancy("B", datetime(2026, 12, 8, 9, 0, tzinfo=paris)) is None


def test_parking_dijon_configuration_names_every_recorded_car_park():
    if not RECORDING.is_file():
        pytest.skip("the DiviaPark recording is not available")
    loaded = load_car_parks(PROFILE, RECORDING)
    assert {p.id for p in loaded.parks} == set(loaded.series) and len(loaded.parks) == 10
    assert all(p.capacity_source for p in loaded.parks if p.capacity is not None)


def test_parking_configuration_errors_are_named(tmp_path: Path):
    parks = tmp_path / "parks.yaml"
    parks.write_text("car_parks:\n  - {id: A, name: Parc A, lat: north, lon: 5.0}\n")
    with pytest.raises(ConfigurationError) as err:
        load_car_parks(parks, None)
    assert "car_parks[0]" in str(err.value.problems[0])
