"""House numbers of the gazetteer for a street-level view."""

from __future__ import annotations

import pytest

from tests.addresses.conftest import commerces, dijon_gazetteer  # noqa: F401 (fixtures)

URL = "/api/v1/map/layers/addresses.geojson"
LIBERTE = "5.0350,47.3222,5.0366,47.3232"  # around 12 rue de la Liberté, Dijon


def test_maps_addresses_in_a_view_are_numbers_with_their_street(client, dijon_gazetteer):  # noqa: F811
    r = client.get(URL, params={"bbox": LIBERTE})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    assert r.headers["cache-control"] == "public, max-age=300"
    features = r.json()["features"]
    assert 0 < len(features) == int(r.headers["x-feature-count"])
    twelve = [f for f in features if f["properties"] == {"number": "12", "street": "Rue de la Liberté"}]
    assert len(twelve) == 1
    lon, lat = twelve[0]["geometry"]["coordinates"]
    assert 5.0350 <= lon <= 5.0366 and 47.3222 <= lat <= 47.3232
    assert all(5.0350 <= f["geometry"]["coordinates"][0] <= 5.0366 for f in features)
    assert r.json()["truncated"] is False


def test_maps_addresses_empty_where_there_is_none(client, dijon_gazetteer):  # noqa: F811
    assert client.get(URL, params={"bbox": "4.90,47.20,4.91,47.21"}).json()["features"] == []


@pytest.mark.parametrize(
    ("bbox", "detail"),
    [
        ("5.0,47.3,5.1", "four numbers"),
        ("a,b,c,d", "four numbers"),
        ("5.1,47.3,5.0,47.4", "min before max"),
        ("5.0,47.3,5.2,47.31", "at most 0.03°"),
        ("nan,47.3,5.0,47.31", "min before max"),
    ],
)
def test_maps_addresses_bad_bbox_is_422_naming_it(client, bbox: str, detail: str):
    r = client.get(URL, params={"bbox": bbox})
    assert r.status_code == 422
    assert r.json()["field"] == "bbox" and detail in r.json()["detail"]
    assert client.get(URL).status_code == 422  # bbox is required
