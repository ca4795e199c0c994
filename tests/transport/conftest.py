"""Fixtures of the transport tests: Divia's real GTFS feed and small feeds cut from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.addresses.conftest import OPEN_DATA

DIJON = OPEN_DATA / "dijon"
DIVIA = DIJON / "divia_gtfs"
STOPS = [DIJON / "opendata" / "arrets-tram.geojson", DIJON / "opendata" / "arrets_bus_divia.geojson"]


@pytest.fixture(scope="session")
def divia() -> Path:
    if not (DIVIA / "routes.txt").is_file():
        pytest.skip(f"{DIVIA} is not available (Divia's GTFS, see the shared data README)")
    return DIVIA


@pytest.fixture
def small_feed(divia: Path, tmp_path: Path) -> Path:
    """The two tram lines of the real feed: their routes, trips, shapes, and every stop."""
    out = tmp_path / "gtfs"
    out.mkdir()
    for name in ("agency.txt", "stops.txt"):
        shutil.copy(divia / name, out / name)
    routes = (divia / "routes.txt").read_text(encoding="utf-8").splitlines()
    (out / "routes.txt").write_text(
        "\n".join([routes[0], *[r for r in routes[1:] if r.startswith("4-T")]]) + "\n"
    )
    trips = (divia / "trips.txt").read_text(encoding="utf-8").splitlines()
    tram_trips = [t for t in trips[1:] if t.startswith("4-T")]
    (out / "trips.txt").write_text("\n".join([trips[0], *tram_trips]) + "\n")
    shape_ids = {t.split(",")[2] for t in tram_trips}
    shapes = (divia / "shapes.txt").read_text(encoding="utf-8").splitlines()
    (out / "shapes.txt").write_text(
        "\n".join([shapes[0], *[s for s in shapes[1:] if s.split(",")[0] in shape_ids]]) + "\n"
    )
    return out


DIVIA_2023 = DIJON / "divia_gtfs_2023-10"
OBSERVED = DIVIA_2023 / "observed_stop_times_2023-10-31_gtfsrt.csv"


@pytest.fixture(scope="session")
def divia_2023() -> Path:
    if not OBSERVED.is_file():
        pytest.skip(f"{OBSERVED} is not available (Divia's recorded day, see the shared data README)")
    return DIVIA_2023


TIMETABLE = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Réseau,https://example.org,Europe/Paris\n",
    "routes.txt": "route_id,route_short_name,route_long_name,route_type,route_color\n"
    "T1,T1,Gare <> Quetigny,0,C00A2D\nL5,L5,Université <> Toison,3,\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,wheelchair_boarding\n"
    "S1,Darcy,47.3225,5.0333,1\nS2,République,47.3268,5.0443,0\nS3,Loin,47.40,5.20,0\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign,direction_id\n"
    "T1,WEEK,t1,Quetigny,0\nT1,WEEK,t2,Quetigny,0\nL5,WEEK,l1,Toison,1\nT1,NIGHT,n1,Quetigny,0\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "t1,08:00:00,08:00:30,S1,1\nt1,08:05:00,08:05:00,S2,2\n"
    "t2,08:10:00,08:10:00,S1,1\nt2,08:15:00,08:15:00,S2,2\n"
    "l1,08:02:00,08:02:00,S1,1\nl1,08:09:00,08:09:00,S2,2\n"
    "n1,24:30:00,24:30:00,S1,1\nn1,24:35:00,24:35:00,S2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\n"
    "WEEK,1,1,1,1,1,0,0,20261201,20261231\nNIGHT,1,1,1,1,1,1,1,20261201,20261231\n",
    "calendar_dates.txt": "service_id,date,exception_type\nWEEK,20261225,2\nWEEK,20261226,1\n",
}


@pytest.fixture
def timetable(tmp_path: Path) -> Path:
    """A small valid feed with timetables: two lines, three stops (one served by nobody)."""
    out = tmp_path / "timetable"
    out.mkdir()
    for name, text in TIMETABLE.items():
        (out / name).write_text(text, encoding="utf-8")
    return out
