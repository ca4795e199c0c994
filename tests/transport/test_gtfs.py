from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from vigie.transport.gtfs import MAX_PROBLEMS, GtfsError, read_feed


def test_gtfs_reads_the_real_divia_feed(divia: Path):
    feed = read_feed(divia)
    assert len(feed.routes) == 57 and len(feed.stops) == 1080 and len(feed.trips) == 10968
    assert feed.agencies == ["KEOLIS DIJON"]
    kinds = {r.name: r.kind for r in feed.routes.values()}
    assert kinds["T1"] == kinds["T2"] == "tram" and kinds["L5"] == "bus"
    by_route = feed.shapes_by_route()
    assert set(by_route) <= set(feed.routes)
    assert all(len(feed.shapes[s]) >= 2 for shapes in by_route.values() for s in shapes)
    lon, lat = feed.shapes[sorted(by_route["4-T1"])[0]][0]
    assert 4.9 < lon < 5.2 and 47.2 < lat < 47.4


def test_gtfs_reads_a_zip_as_a_directory(small_feed: Path, tmp_path: Path):
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in small_feed.iterdir():
            z.write(f, f.name)
    assert read_feed(archive).routes == read_feed(small_feed).routes


def _problems(path: Path) -> list[str]:
    with pytest.raises(GtfsError) as err:
        read_feed(path)
    return [str(p) for p in err.value.problems]


def test_gtfs_missing_file_and_column_are_named(small_feed: Path):
    (small_feed / "trips.txt").unlink()
    assert _problems(small_feed) == [f"{small_feed}/trips.txt: file: required file missing"]
    (small_feed / "trips.txt").write_text("route_id,shape_id\n4-T1,x\n")
    assert _problems(small_feed) == [f"{small_feed}/trips.txt:1: trip_id: required column missing"]


def test_gtfs_bad_values_name_file_line_and_field(small_feed: Path):
    routes = (small_feed / "routes.txt").read_text().splitlines()
    routes.append("4-X,KD,X,Somewhere,99")
    routes.append("4-T1,KD,T1,again,0")
    (small_feed / "routes.txt").write_text("\n".join(routes) + "\n")
    with (small_feed / "stops.txt").open("a") as f:
        f.write("9-1,1,Nowhere,91.5,5.0,0\n")
    with (small_feed / "trips.txt").open("a") as f:
        f.write("4-NOPE,20_LAV,,t-1,x,,0\n4-T1,20_LAV,no-such-shape,t-2,x,,0\n")
    problems = _problems(small_feed)
    n = len(routes)
    assert f"{small_feed}/routes.txt:{n - 1}: route_type: '99' is not a GTFS route type" in problems
    assert f"{small_feed}/routes.txt:{n}: route_id: '4-T1' already defined" in problems
    assert any(p.startswith(f"{small_feed}/stops.txt:1082: stop_lat: '91.5'") for p in problems)
    assert any("trips.txt" in p and "route_id: '4-NOPE' is not a route of routes.txt" in p for p in problems)
    assert any(
        "trips.txt" in p and "shape_id: 'no-such-shape' is not a shape of shapes.txt" in p for p in problems
    )


def test_gtfs_problems_are_capped(small_feed: Path):
    with (small_feed / "shapes.txt").open("a") as f:
        for i in range(100):
            f.write(f"s{i},north,5.0,{i}\n")
    assert len(_problems(small_feed)) == MAX_PROBLEMS


def test_gtfs_not_a_feed(tmp_path: Path):
    assert "no such directory or zip archive" in _problems(tmp_path / "absent")[0]
    bad = tmp_path / "feed.zip"
    bad.write_bytes(b"not a zip")
    assert "is neither a directory nor a zip archive" in _problems(bad)[0]


def test_gtfs_encoding_and_ragged_rows(small_feed: Path):
    (small_feed / "stops.txt").write_bytes(
        "stop_id,stop_name,stop_lat,stop_lon\n1,Caf\xe9,47.3,5.0\n".encode("latin-1")
    )
    assert "stops.txt: encoding: is not UTF-8" in _problems(small_feed)[0]
    (small_feed / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\n1,A,47.3,5.0,extra\n")
    assert _problems(small_feed) == [f"{small_feed}/stops.txt:2: (row): 5 values for 4 columns"]
