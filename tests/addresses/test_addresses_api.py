from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from vigie.runtime import Vigie

DIJON_CENTRE = {"lat": 47.3220, "lon": 5.0415}


def _labels(body: dict[str, Any]) -> list[str]:
    return [f["properties"]["label"] for f in body["features"]]


def test_addresses_search_number_and_words_as_typed(client: TestClient, dijon_gazetteer: Vigie) -> None:
    for q in ("12 liberte", "12 rue de la libe", "12 RUE DE LA LIBERTÉ", "12 r liberté"):
        r = client.get("/api/v1/addresses/search", params={"q": q, **DIJON_CENTRE})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["type"] == "FeatureCollection"
        first = body["features"][0]
        assert first["properties"]["label"] == "12 Rue de la Liberté 21000 Dijon", q
        props = first["properties"]
        assert (props["type"], props["housenumber"], props["street"]) == (
            "housenumber",
            "12",
            "Rue de la Liberté",
        )
        assert (props["postcode"], props["citycode"], props["city"]) == ("21000", "21231", "Dijon")
        assert props["id"] and 0 < props["score"] <= 1
        assert first["geometry"]["type"] == "Point"


def test_addresses_search_abbreviations(client: TestClient, dijon_gazetteer: Vigie) -> None:
    cases = {"av foch": "Avenue Maréchal Foch", "bd clemenceau": "Boulevard Georges Clémenceau"}
    for q, street in cases.items():
        body = client.get("/api/v1/addresses/search", params={"q": q}).json()
        assert body["features"][0]["properties"]["name"] == street, q
    body = client.get("/api/v1/addresses/search", params={"q": "pl st michel"}).json()
    assert "Place Saint-Michel 21000 Dijon" in _labels(body)


def test_addresses_search_tram_stop_by_name(client: TestClient, dijon_gazetteer: Vigie) -> None:
    body = client.get("/api/v1/addresses/search", params={"q": "foch gare"}).json()
    first = body["features"][0]["properties"]
    assert (first["type"], first["name"], first["category"]) == ("poi", "Foch Gare", "arrêt de tram")


def test_addresses_search_ranked_by_closeness(client: TestClient, ban_gazetteer: Vigie) -> None:
    near_chenove = {"lat": 47.2922, "lon": 5.0060}
    near_dijon = {"lat": 47.3231, "lon": 5.0302}
    for centre, city in ((near_chenove, "Chenôve"), (near_dijon, "Dijon")):
        body = client.get("/api/v1/addresses/search", params={"q": "1 rue de la gare", **centre}).json()
        assert [f["properties"]["city"] for f in body["features"]] == [
            city,
            ({"Dijon", "Chenôve"} - {city}).pop(),
        ]


def test_addresses_search_repetition_and_missing_number(client: TestClient, ban_gazetteer: Vigie) -> None:
    body = client.get(
        "/api/v1/addresses/search", params={"q": "3 bis gare", "lat": 47.3231, "lon": 5.0302}
    ).json()
    assert body["features"][0]["properties"]["id"] == "21231_1000_00003_bis"
    body = client.get("/api/v1/addresses/search", params={"q": "77 general de gaulle"}).json()
    first = body["features"][0]["properties"]
    assert (first["type"], first["name"]) == ("street", "Avenue du Général de Gaulle")


def test_addresses_search_short_or_unknown_gives_nothing(client: TestClient, ban_gazetteer: Vigie) -> None:
    for q in ("ga", "zzzz", "12"):
        r = client.get("/api/v1/addresses/search", params={"q": q})
        assert r.status_code == 200 and r.json()["features"] == [], q


def test_addresses_search_bad_input_is_4xx(client: TestClient, ban_gazetteer: Vigie) -> None:
    assert client.get("/api/v1/addresses/search").status_code == 422
    r = client.get("/api/v1/addresses/search", params={"q": "gare", "lat": 47.3})
    assert r.status_code == 422 and "lon" in r.text
    assert client.get("/api/v1/addresses/search", params={"q": "x" * 201}).status_code == 422
    assert client.get("/api/v1/addresses/search", params={"q": "gare", "limit": 0}).status_code == 422
    assert client.get("/api/v1/addresses/reverse", params={"lat": 95, "lon": 5}).status_code == 422


def test_addresses_reverse_address_street_zone(client: TestClient, ban_gazetteer: Vigie) -> None:
    # 10 m from 40 Avenue du Général de Gaulle (Quetigny).
    r = client.get("/api/v1/addresses/reverse", params={"lat": 47.31309, "lon": 5.1040})
    props = r.json()["features"][0]["properties"]
    assert (props["kind"], props["label"]) == ("address", "40 Avenue du Général de Gaulle 21800 Quetigny")
    assert props["distance"] <= 50
    # Between 2 and 40 (about 150 m from each), on the street's line.
    props = client.get("/api/v1/addresses/reverse", params={"lat": 47.3131, "lon": 5.1020}).json()
    props = props["features"][0]["properties"]
    assert (props["kind"], props["type"], props["name"]) == (
        "street",
        "street",
        "Avenue du Général de Gaulle",
    )
    # 500 m north of the avenue, still in Quetigny.
    props = client.get("/api/v1/addresses/reverse", params={"lat": 47.3175, "lon": 5.1020}).json()
    props = props["features"][0]["properties"]
    assert (props["kind"], props["city"], props["citycode"]) == ("zone", "Quetigny", "21515")
    # Outside the city's zones.
    assert (
        client.get("/api/v1/addresses/reverse", params={"lat": 48.85, "lon": 2.35}).json()["features"] == []
    )
