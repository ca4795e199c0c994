from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.transport.conftest import STOPS
from vigie.errors import ConfigurationError
from vigie.transport.gtfs import read_feed
from vigie.transport.layers import lines_collection, read_stop_lines, stop_key, stops_collection


def test_layers_one_line_per_route_simplified_and_rounded(divia: Path):
    feed = read_feed(divia)
    lines = lines_collection(feed)
    names = [f["properties"]["name"] for f in lines["features"]]
    assert len(names) == len(set(names)) == len(feed.shapes_by_route())
    assert names[-2:] == ["T1", "T2"]  # trams drawn over the buses
    t1 = lines["features"][-2]
    assert (
        t1["properties"]["kind"] == "tram"
        and t1["properties"]["long_name"] == "DIJON Gare <> QUETIGNY Centre"
    )
    coords = t1["geometry"]["coordinates"]
    flat = [c for part in coords for c in part] if t1["geometry"]["type"] == "MultiLineString" else coords
    assert all(round(x, 5) == x for pt in flat for x in pt)
    shape_points = sum(len(feed.shapes[s]) for s in feed.shapes_by_route()["4-T1"])
    assert len(flat) < shape_points / 2  # the union of both directions, simplified
    assert len(json.dumps(lines)) < 400_000


def test_layers_stops_take_their_lines_from_open_data(divia: Path):
    if not all(p.is_file() for p in STOPS):
        pytest.skip("Dijon's open-data stops are not available")
    stop_lines = read_stop_lines(STOPS)
    assert {"T1", "T2"} <= stop_lines[stop_key("Foch Gare")]
    stops = stops_collection(read_feed(divia), stop_lines)
    assert len(stops["features"]) == 1080
    foch = [f for f in stops["features"] if f["properties"]["name"] == "Foch Gare"]
    assert foch and all(
        f["properties"]["kind"] == "tram" and f["properties"]["lines"][:2] == ["T1", "T2"] for f in foch
    )
    with_lines = sum(1 for f in stops["features"] if f["properties"]["lines"])
    assert with_lines / len(stops["features"]) > 0.9


def test_layers_stop_key_ignores_accents_case_and_punctuation():
    assert stop_key("Préfecture") == stop_key("PREFECTURE") == "prefecture"
    assert stop_key("Place  Darcy - Gare") == stop_key("place darcy gare")


def test_layers_stop_files_errors_are_named(tmp_path: Path):
    bad = tmp_path / "stops.geojson"
    bad.write_text("{not json")
    with pytest.raises(ConfigurationError, match="is not JSON"):
        read_stop_lines([bad])
    bad.write_text('{"type": "Feature"}')
    with pytest.raises(ConfigurationError, match="is not a GeoJSON FeatureCollection"):
        read_stop_lines([bad])
    with pytest.raises(ConfigurationError, match="cannot be read"):
        read_stop_lines([tmp_path / "absent.geojson"])
