from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.transport.conftest import DIJON
from vigie.errors import ConfigurationError, NotFound
from vigie.places.importer import do_import_places
from vigie.places.mapping import load_place_mapping
from vigie.places.queries import PlaceQuery, find_places, get_place, theme_counts
from vigie.runtime import Vigie

OPEN = DIJON / "opendata"


def _geojson(tmp_path: Path, features: list[dict]) -> Path:
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _feature(lon: float, lat: float, **props: object) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


MAPPING = """
format: geojson
external_id: {column: ref}
fields:
  name: {column: nom}
  theme: {column: kind, value_map: {wc: toilets, musee: tourism}}
  website: {column: site}
"""


def test_places_import_maps_checks_and_replaces_a_source(vigie: Vigie, tmp_path: Path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = _geojson(
        tmp_path,
        [
            _feature(5.04, 47.32, ref="1", nom="Toilettes Darcy", kind="wc"),
            _feature(
                5.03, 47.33, ref="2", nom="Musée des Beaux-Arts", kind="musee", site="https://mba.example"
            ),
            _feature(5.03, 47.33, ref="3", nom="", kind="wc"),
            _feature(5.03, 47.33, ref="4", nom="Kiosque", kind="kiosque"),
            _feature(5.03, 47.33, ref="5", nom="Site", kind="wc", site="javascript:alert(1)"),
        ],
    )
    result = do_import_places(vigie, path, mapping, "test")
    assert result.imported == 2
    assert [(p, r.split(":")[0]) for p, r in result.skipped] == [(2, "name"), (3, "theme"), (4, "website")]
    assert get_place(vigie, "test.2")["website"] == "https://mba.example"
    # Again with one place fewer: the source is replaced, not added to.
    path = _geojson(tmp_path, [_feature(5.04, 47.32, ref="1", nom="Toilettes Darcy", kind="wc")])
    assert do_import_places(vigie, path, mapping, "test").imported == 1
    with pytest.raises(NotFound):
        get_place(vigie, "test.2")
    assert theme_counts(vigie) == {"toilets": 1}


def test_places_mapping_with_an_unknown_theme_is_refused_with_its_line(tmp_path: Path):
    with pytest.raises(ConfigurationError) as err:
        load_place_mapping(tmp_path / "m.yaml", "fields:\n  name: {column: nom}\n  theme: {value: zoo}\n")
    assert "line 3" in str(err.value) or ":3:" in str(err.value)
    assert "'zoo' is not a theme" in str(err.value)


def test_places_search_by_words_theme_and_nearness(vigie: Vigie):
    if not (OPEN / "equipements-enseignements.geojson").is_file():
        pytest.skip("Dijon open data not available")
    do_import_places(vigie, OPEN / "equipements-enseignements.geojson", "dijon_schools")
    do_import_places(vigie, OPEN / "caracteristiques_stations_velodi.geojson", "dijon_velodi")
    colleges, _ = find_places(vigie, PlaceQuery(q="college malraux"))
    assert [p["name"] for p in colleges] == ["Collège André Malraux"]
    bikes, more = find_places(vigie, PlaceQuery(theme="bike"))
    assert len(bikes) == 40 and not more
    near, _ = find_places(vigie, PlaceQuery(theme="bike", near=(47.3185714, 5.0518107), radius=800))
    assert near[0]["id"] == "dijon-velodi.2" and near[0]["distance"] == 0
    assert all(a["distance"] <= b["distance"] <= 800 for a, b in zip(near, near[1:], strict=False))


def test_places_web_api_and_pages(client, vigie: Vigie, tmp_path: Path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    do_import_places(
        vigie,
        _geojson(tmp_path, [_feature(5.04, 47.32, ref="1", nom="Toilettes Darcy", kind="wc")]),
        mapping,
        "test",
    )
    r = client.get("/api/v1/places", params={"theme": "toilets", "lat": 47.32, "lon": 5.04})
    assert r.status_code == 200 and r.json()["places"][0]["id"] == "test.1"
    assert client.get("/api/v1/places", params={"theme": "zoo"}).status_code == 422
    assert client.get("/api/v1/places", params={"lat": 47.3}).status_code == 422
    assert client.get("/api/v1/places/nope").status_code == 404
    page = client.get("/lieux", params={"theme": "toilets"})
    assert page.status_code == 200 and 'href="/lieux/test.1"' in page.text
    assert "Public toilets" in client.get("/lieux/test.1?lang=en").text
    assert client.get("/lieux/nope").status_code == 404
