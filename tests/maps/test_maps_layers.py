"""Context layers over HTTP: built once at start-up, gzipped, cached with an ETag."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.errors import ConfigurationError

LINES = "/api/v1/map/layers/transport-lines.geojson"
STOPS = "/api/v1/map/layers/transport-stops.geojson"


@pytest.fixture
def with_transport(vigie_settings, small_feed: Path) -> Iterator[TestClient]:
    v = build_vigie(
        vigie_settings.model_copy(
            update={
                "transport_gtfs": str(small_feed),
                "transport_attribution": "Divia mobilités / Dijon Métropole",
            }
        )
    )
    try:
        with TestClient(create_app(vigie=v)) as c:
            yield c
    finally:
        v.db.dispose()


def test_maps_layers_lines_and_stops_are_geojson_with_validators(with_transport):
    r = with_transport.get(LINES, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    lines = r.json()
    assert [f["properties"]["name"] for f in lines["features"]] == ["T1", "T2"]
    assert r.headers["x-feature-count"] == "2"
    assert r.headers["cache-control"] == "public, max-age=3600" and r.headers["etag"]
    stops = with_transport.get(STOPS).json()
    assert len(stops["features"]) == 1080
    assert {"name", "lines", "kind", "wheelchair", "stop_id"} == set(stops["features"][0]["properties"])


def test_maps_layers_gzip_once_and_304(with_transport):
    r = with_transport.get(LINES, headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    raw = with_transport.get(LINES, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.json() == r.json()  # the client undid the gzip
    again = with_transport.get(LINES, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_maps_layers_pages_name_them_with_their_credit(with_transport):
    page = with_transport.get("/carte").text
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', page, re.S).group(1))
    layers = {layer["name"]: layer for layer in config["layers"]}
    assert layers["transport-lines"]["url"] == LINES
    assert layers["transport-lines"]["attribution"] == "Divia mobilités / Dijon Métropole"
    assert layers["transport-stops"]["min_zoom"] == 15


def test_maps_layers_unknown_name_is_404(with_transport, client):
    r = with_transport.get("/api/v1/map/layers/metro.geojson")
    assert r.status_code == 404 and "transport-lines" in r.json()["detail"]
    assert "none is configured" in client.get(LINES).json()["detail"]
    page = client.get("/carte").text
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', page, re.S).group(1))
    assert [layer["name"] for layer in config["layers"]] == ["addresses"]  # the gazetteer's numbers only


def test_maps_layers_broken_feed_stops_start_up(vigie_settings, small_feed: Path):
    (small_feed / "routes.txt").write_text("route_id,route_type\n4-T1,tram\n")
    v = build_vigie(vigie_settings.model_copy(update={"transport_gtfs": str(small_feed)}))
    try:
        with (
            pytest.raises(
                ConfigurationError, match=r"routes.txt:2: route_type: 'tram' is not a GTFS route type"
            ),
            TestClient(create_app(vigie=v)),
        ):
            pass
    finally:
        v.db.dispose()
