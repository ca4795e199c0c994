"""OGC API – Features over published releases, through a real server: JSON, GeoJSON, HTML, errors.

One platform and one server per module: Dijon's shops (a position and a time
column), its tram stops (a position) and the car parks' occupancy (no position:
not a collection) are published once through the charter, then only read.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from owslib.ogcapi.features import Features

from tests.conftest import PASSWORD
from tests.opendata.helpers import CARPARK_COLUMNS, CARPARKS, METADATA, carpark_csv
from tests.web.live import LiveServer
from vigie.accounts.actions import do_add_user
from vigie.opendata.actions import do_create_dataset, do_release, do_upload
from vigie.opendata.review import do_add_member, do_decide, do_vote, proposals
from vigie.runtime import Vigie

SHOPS = CARPARKS / "commerces-de-dijon.geojson"
TRAM = CARPARKS / "arrets-tram.geojson"
SHOP_COLUMNS = [
    {"name": "nom_enseigne", "type": "string", "kind": "category", "fr": "Enseigne", "en": "Shop name"},
    {"name": "rubrique", "type": "string", "kind": "category", "fr": "Rubrique", "en": "Category"},
    {"name": "nom_quartier", "type": "string", "kind": "category", "fr": "Quartier", "en": "District"},
    {"name": "date_maj", "type": "timestamp", "kind": "time", "fr": "Mise à jour", "en": "Updated"},
    {"name": "lat", "type": "float", "kind": "latitude", "fr": "Latitude", "en": "Latitude"},
    {"name": "lon", "type": "float", "kind": "longitude", "fr": "Longitude", "en": "Longitude"},
]
TRAM_COLUMNS = [
    {"name": "nom", "type": "string", "kind": "category", "fr": "Nom", "en": "Name"},
    {"name": "lignes", "type": "string", "kind": "category", "fr": "Lignes", "en": "Lines"},
    {"name": "population", "type": "int", "kind": "measure", "fr": "Population", "en": "Population"},
    {"name": "lat", "type": "float", "kind": "latitude", "fr": "Latitude", "en": "Latitude"},
    {"name": "lon", "type": "float", "kind": "longitude", "fr": "Longitude", "en": "Longitude"},
]
OGC = "/api/ogc"
SPEC = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
SHOP_COUNT = 2901  # the shops of the real file that have a point (one has none)
CENTRE = "5.03,47.31,5.05,47.33"  # central Dijon


def _publish(
    v: Vigie,
    publisher: Any,
    members: list[Any],
    dataset_id: str,
    columns: Any,
    content: bytes,
    fmt: str,
    **rules: Any,
) -> None:
    meta = {**METADATA, "title_fr": f"Jeu {dataset_id}", "title_en": f"Dataset {dataset_id}"}
    body = {"id": dataset_id, "metadata": meta, "source": "upload", "columns": columns, "rules": rules}
    do_create_dataset(v, publisher, body)
    do_upload(v, publisher, dataset_id, content, fmt)
    proposal = next(p for p in proposals(v, dataset_id) if p.status == "open")
    for m in members:
        do_vote(v, m, proposal.id, "approve")
    do_decide(v, members[0], proposal.id, "Données publiques de la Métropole.")
    do_release(v, publisher, dataset_id)


def _located(path: Path) -> bytes:
    """The file's features that have a point (a few shops of the real file have no geometry)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if (f.get("geometry") or {}).get("type") == "Point"]
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def server(module_vigie: Vigie) -> Iterator[str]:
    v = module_vigie
    admin = do_add_user(v.db, "admin@ogc.example", "admin", PASSWORD, name="Admin")
    members = [do_add_user(v.db, f"s{i}@ogc.example", "supervisor", PASSWORD, name=f"S {i}") for i in (1, 2)]
    for m in members:
        do_add_member(v, admin, m.id)
    publisher = members[0]
    # The committee's rules leave the district out: the API serves the release, so it never shows.
    _publish(
        v, publisher, members, "commerces", SHOP_COLUMNS, _located(SHOPS), "geojson", drop=["nom_quartier"]
    )
    _publish(v, publisher, members, "arrets-tram", TRAM_COLUMNS, TRAM.read_bytes(), "geojson")
    _publish(v, publisher, members, "parkings", CARPARK_COLUMNS, carpark_csv(50), "csv")
    live = LiveServer(v)
    # Links are written from the settings' public address (as in production), so the pages'
    # links reach this server when that address is its own.
    v.settings.public_base_url = live.url
    with live:
        yield live.url + OGC


@functools.cache
def _http() -> httpx.Client:
    """One client for the module (building an SSL context per request is slow), made on first use."""
    return httpx.Client(timeout=30)


def _get(url: str, **params: Any) -> httpx.Response:
    return _http().get(url, params=params or None)  # empty params would drop the URL's own query


def test_opendata_ogc_landing_conformance_and_api(server: str) -> None:
    landing = _get(server).json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    conf = _get(server + "/conformance").json()["conformsTo"]
    assert {c.rsplit("/", 1)[1] for c in conf} == {"core", "oas30", "html", "geojson"}
    r = _get(rels["service-desc"]["href"])
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    validate(doc)  # a valid OpenAPI 3.0 document
    assert doc["openapi"].startswith("3.0")
    items = doc["paths"]["/collections/commerces/items"]["get"]["parameters"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in items}
    assert {"bbox", "limit", "offset", "datetime", "rubrique"} <= names
    tram = doc["paths"]["/collections/arrets-tram/items"]["get"]["parameters"]
    assert "datetime" not in {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in tram}
    assert "/collections/parkings/items" not in doc["paths"]


def test_opendata_ogc_collections_have_the_release_extent(server: str) -> None:
    body = _get(server + "/collections").json()
    assert [c["id"] for c in body["collections"]] == [
        "arrets-tram",
        "commerces",
    ]  # no position: no collection
    shops = _get(server + "/collections/commerces").json()
    west, south, east, north = shops["extent"]["spatial"]["bbox"][0]
    assert 4.9 < west < east < 5.2 and 47.2 < south < north < 47.4
    start, end = shops["extent"]["temporal"]["interval"][0]
    assert start < end and start.endswith("Z")
    assert "temporal" not in _get(server + "/collections/arrets-tram").json()["extent"]
    assert {link["rel"] for link in shops["links"]} >= {"self", "items", "license"}


def test_opendata_ogc_items_bbox_paging_and_filters(server: str) -> None:
    items = server + "/collections/commerces/items"
    first = _get(items)
    assert first.headers["content-type"] == "application/geo+json"
    body = first.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 10  # ten by default
    assert body["numberMatched"] == SHOP_COUNT  # every shop of the file made it through the charter
    assert set(body["features"][0]["properties"]) == {"nom_enseigne", "rubrique", "date_maj"}  # no district
    page = _get(items, bbox=CENTRE, limit=100).json()
    west, south, east, north = (float(x) for x in CENTRE.split(","))
    assert 0 < page["numberMatched"] < SHOP_COUNT and page["numberReturned"] == min(
        100, page["numberMatched"]
    )
    for f in page["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert west <= lon <= east and south <= lat <= north
    # Following next links walks every match once, in the release's order.
    seen: list[int] = []
    url: str | None = items + f"?bbox={CENTRE}&limit=500"
    while url:
        body = _get(url).json()
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert seen == sorted(set(seen)) and len(seen) == page["numberMatched"]
    prev = _get(items, bbox=CENTRE, limit=100, offset=100).json()
    assert any(link["rel"] == "prev" and "offset=0" in link["href"] for link in prev["links"])
    # A property filter, and datetime on the time column.
    rubrique = page["features"][0]["properties"]["rubrique"]
    same = _get(items, rubrique=rubrique, limit=1000).json()
    assert same["numberMatched"] > 0 and {f["properties"]["rubrique"] for f in same["features"]} == {rubrique}
    every = [f["properties"]["date_maj"] for f in _get(items, limit=10000).json()["features"]]
    middle = sorted(every)[len(every) // 2]
    after = _get(items, datetime=f"{middle}/..", limit=1).json()["numberMatched"]
    before = _get(items, datetime=f"../{middle}", limit=1).json()["numberMatched"]
    instant = _get(items, datetime=middle, limit=1).json()["numberMatched"]
    assert after + before - instant == SHOP_COUNT and instant >= 1
    day = middle[:10]
    that_day = _get(items, datetime=day, limit=1000).json()["features"]
    assert that_day and all(f["properties"]["date_maj"].startswith(day) for f in that_day)
    assert all(datetime.fromisoformat(x.replace("Z", "+00:00")) for x in every[:5])


@pytest.mark.parametrize("limit", ["10001", "50000", "99999999999999999999999"])
def test_opendata_ogc_items_a_limit_above_the_maximum_is_the_maximum(server: str, limit: str) -> None:
    """OGC 17-069r4, /req/core/fc-limit-response-1: a larger limit SHALL NOT be an error."""
    r = _get(server + "/collections/commerces/items", limit=limit, offset=1)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["numberReturned"] == SHOP_COUNT - 1 and body["numberMatched"] == SHOP_COUNT
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "limit=10000" in links["self"] and "limit=10000" in links["prev"] and "offset=0" in links["prev"]


def test_opendata_ogc_items_number_filter_past_bigint_matches_nothing(server: str) -> None:
    """1e300 is a whole number Python made an int too large for DuckDB (a 500)."""
    for value in ("1e300", "-1e300", "1e30"):
        r = _get(server + "/collections/arrets-tram/items", population=value)
        assert r.status_code == 200, (value, r.text[:200])
        assert r.json()["numberMatched"] == 0


def test_opendata_ogc_item_by_id(server: str) -> None:
    feature = _get(server + "/collections/arrets-tram/items/3").json()
    assert feature["type"] == "Feature" and feature["id"] == 3
    listed = _get(server + "/collections/arrets-tram/items", limit=3).json()["features"][2]
    assert listed["properties"] == feature["properties"] and listed["geometry"] == feature["geometry"]
    assert {link["rel"] for link in feature["links"]} >= {"self", "alternate", "collection"}


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/collections/commerces/items", {"bbox": "5,47,5.1"}, 400, "bbox must be 4 numbers"),
        ("/collections/commerces/items", {"bbox": "5,47,x,48"}, 400, "numbers"),
        ("/collections/commerces/items", {"bbox": "5,48,5.1,47"}, 400, "minimum latitude"),
        ("/collections/commerces/items", {"bbox": "5,47,5.1,95"}, 400, "latitudes"),
        ("/collections/commerces/items", {"limit": "0"}, 400, "limit must be between 1 and 10000"),
        ("/collections/commerces/items", {"limit": "-5"}, 400, "limit must be between 1 and 10000"),
        ("/collections/commerces/items", {"limit": "ten"}, 400, "limit must be a whole number"),
        ("/collections/commerces/items", {"offset": "-1"}, 400, "offset"),
        ("/collections/commerces/items", {"offset": "99999999999999999999"}, 400, "offset must be"),
        ("/collections/commerces/items", {"datetime": "yesterday"}, 400, "RFC 3339"),
        ("/collections/commerces/items", {"datetime": "2024-01-01/2023-01-01"}, 400, "before it starts"),
        ("/collections/arrets-tram/items", {"datetime": "2024-01-01"}, 400, "no time column"),
        ("/collections/commerces/items", {"sortby": "nom"}, 400, "unknown parameter 'sortby'"),
        ("/collections/arrets-tram/items", {"population": "many"}, 400, "is a number"),
        ("/collections/commerces/items", {"f": "xml"}, 400, "f must be one of"),
        ("/collections", {"limit": "5"}, 400, "unknown parameter 'limit'"),
        ("/collections/nope", {}, 404, "unknown collection 'nope'"),
        ("/collections/nope/items", {}, 404, "unknown collection"),
        ("/collections/parkings/items", {}, 404, "has no position"),
        ("/collections/arrets-tram/items/99999", {}, 404, "no feature"),
        ("/collections/arrets-tram/items/abc", {}, 404, "no feature"),
        # str.isdigit takes these for digits, int refuses them: they were a 500
        ("/collections/arrets-tram/items/\u00b2", {}, 404, "no feature"),
        ("/collections/arrets-tram/items/\u2460", {}, 404, "no feature"),
        ("/collections/arrets-tram/items/\u0665", {}, 404, "no feature"),
        ("/collections/commerces/items", {"limit": "1_0"}, 400, "limit must be a whole number"),
        ("/collections/commerces/items", {"offset": "\u0665"}, 400, "offset must be a whole number"),
    ],
)
def test_opendata_ogc_refuses_clearly(
    server: str, path: str, params: dict[str, str], status: int, words: str
) -> None:
    r = _get(server + path, **params)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] in ("InvalidParameterValue", "NotFound") and words in body["description"]


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/conformance",
        "/api",
        "/collections",
        "/collections/commerces",
        "/collections/commerces/items",
        "/collections/commerces/items/1",
    ],
)
def test_opendata_ogc_html_by_f_or_accept(server: str, path: str) -> None:
    by_f = _get(server + path, f="html", lang="en")
    assert by_f.status_code == 200 and by_f.headers["content-type"].startswith("text/html")
    assert '<html lang="en"' in by_f.text
    browser = _http().get(server + path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html") and 'lang="fr"' in browser.text
    assert (
        "json" in _http().get(server + path, headers={"Accept": "application/json"}).headers["content-type"]
    )


def test_opendata_ogc_html_items_page_links_pages_and_features(server: str) -> None:
    page = _get(server + "/collections/commerces/items", f="html", bbox=CENTRE, limit=5, offset=5).text
    assert 'rel="next"' in page and 'rel="prev"' in page
    assert "/collections/commerces/items/" in page and "dataset-map" in page
    error = _get(server + "/collections/commerces/items", f="html", limit=0)
    assert error.status_code == 400 and "limit must be between" in error.text


# -- the reusers' clients ---------------------------------------------------------------------


def test_opendata_ogc_read_by_owslib(server: str) -> None:
    w = Features(server)
    assert f"{SPEC}core" in w.conformance()["conformsTo"]
    assert w.api()["openapi"].startswith("3.0")  # found through the landing page's service-desc link
    assert sorted(w.feature_collections()) == ["arrets-tram", "commerces"]
    assert w.collection("commerces")["extent"]["spatial"]["crs"].endswith("CRS84")
    west, south, east, north = (float(x) for x in CENTRE.split(","))
    page = w.collection_items("commerces", bbox=[west, south, east, north], limit=100)
    assert page["numberReturned"] == len(page["features"]) == min(100, page["numberMatched"])
    assert all(west <= f["geometry"]["coordinates"][0] <= east for f in page["features"])
    one = w.collection_item("arrets-tram", "5")
    assert one["id"] == 5 and one["geometry"]["type"] == "Point"
    with pytest.raises(RuntimeError, match="unknown collection"):  # OWSLib raises the server's message
        w.collection_items("nope")


def _ogrinfo(*args: str) -> str:
    """GDAL's ogrinfo (Debian gdal-bin, installed by .ci/run)."""
    done = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_opendata_ogc_read_by_gdal(server: str) -> None:
    layers = _ogrinfo(f"OAPIF:{server}")
    assert "arrets-tram (title: Jeu arrets-tram) (Point)" in layers
    assert "commerces (title: Jeu commerces) (Point)" in layers and "parkings" not in layers
    summary = _ogrinfo("-so", "-al", f"OAPIF:{server}", "arrets-tram")
    assert "Feature Count: 71" in summary and "nom: String" in summary and "population: Integer" in summary
    west, south, east, north = CENTRE.split(",")
    # GDAL pages through the features (next links) and sends the spatial filter as bbox.
    found = _ogrinfo("-al", "-q", "-spat", west, south, east, north, f"OAPIF:{server}", "commerces")
    expected = _get(server + "/collections/commerces/items", bbox=CENTRE, limit=1).json()["numberMatched"]
    assert found.count("OGRFeature(commerces)") == expected


def test_opendata_ogc_links_ignore_a_forged_host(server: str) -> None:
    """Links were built from the request's Host header: a forged Host (a shared cache keyed on
    the path, a misrouted proxy) put another site in every link of the OGC API, contrary to
    VIGIE_PUBLIC_BASE_URL's rule (outside review, 2026-12-07)."""
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    for path in (
        "",
        "/collections",
        "/collections/commerces",
        "/collections/commerces/items?limit=1",
        "/collections/commerces/items/1",
        "/api",
        "/conformance?f=html",
        "/collections?f=html",
    ):
        r = _http().get(server + path, headers=forged)
        assert r.status_code == 200, (path, r.text[:200])
        assert "evil.example" not in r.text, path
    links = _get(server).json()["links"]
    assert all(link["href"].startswith(server) for link in links)
