"""The basemap archive over HTTP: range requests as PMTiles clients make them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vigie.app import create_app
from vigie.bootstrap import build_vigie

URL = "/api/v1/map/basemap.pmtiles"


@pytest.fixture
def served(vigie_settings, pmtiles_archive: Path) -> Iterator[tuple[TestClient, bytes]]:
    v = build_vigie(vigie_settings.model_copy(update={"basemap": str(pmtiles_archive)}))
    try:
        with TestClient(create_app(vigie=v)) as c:
            yield c, pmtiles_archive.read_bytes()
    finally:
        v.db.dispose()


def test_maps_web_whole_archive_with_validators_and_cache_policy(served):
    client, data = served
    r = client.get(URL)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "application/vnd.pmtiles"
    assert r.headers["accept-ranges"] == "bytes"
    assert re.fullmatch(r'"[0-9a-f]{32}"', r.headers["etag"])
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert "last-modified" in r.headers


def test_maps_web_first_request_of_a_pmtiles_client_gets_206(served):
    client, data = served
    # What the PMTiles JavaScript client asks first: the header and root directory.
    r = client.get(URL, headers={"Range": "bytes=0-16383", "Accept-Encoding": "gzip"})
    assert r.status_code == 206
    size = len(data)
    end = min(16383, size - 1)
    assert r.headers["content-range"] == f"bytes 0-{end}/{size}"
    assert r.content == data[: end + 1]
    assert "content-encoding" not in r.headers  # never gzipped: the bytes are the file's
    assert r.headers["etag"] and r.headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("bytes=100-199", (100, 200)), ("bytes=-50", (-50, None)), ("bytes=200-", (200, None))],
)
def test_maps_web_range_forms(served, header: str, expected: tuple[int, int | None]):
    client, data = served
    r = client.get(URL, headers={"Range": header})
    assert r.status_code == 206
    assert r.content == data[expected[0] : expected[1]]


def test_maps_web_several_ranges_are_multipart(served):
    client, data = served
    r = client.get(URL, headers={"Range": "bytes=0-9,100-109"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges")
    assert data[0:10] in r.content and data[100:110] in r.content


def test_maps_web_range_past_the_end_is_416_with_the_size(served):
    client, data = served
    r = client.get(URL, headers={"Range": f"bytes={len(data)}-{len(data) + 100}"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(data)}"
    body = r.json()
    assert body["status"] == 416 and "past the end" in body["detail"] and body["field"] == "Range"


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("items=0-10", "only byte ranges"),
        ("bytes=abc", "is not a byte range"),
        ("bytes=20-10", "ends before it starts"),
        ("bytes=" + ",".join(["0-1"] * 17), "at most 16 ranges"),
    ],
)
def test_maps_web_bad_range_is_400_naming_it(served, header: str, detail: str):
    client, _ = served
    r = client.get(URL, headers={"Range": header})
    assert r.status_code == 400
    assert detail in r.json()["detail"]


def test_maps_web_if_none_match_and_if_range(served):
    client, data = served
    etag = client.get(URL, headers={"Range": "bytes=0-0"}).headers["etag"]
    r = client.get(URL, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    # If-Range with another version: the whole (new) file, not a piece of it.
    r = client.get(URL, headers={"Range": "bytes=0-9", "If-Range": '"00000000000000000000000000000000"'})
    assert r.status_code == 200 and len(r.content) == len(data)
    r = client.get(URL, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206 and r.content == data[:10]


def test_maps_web_head_gives_the_size_without_the_body(served):
    client, data = served
    r = client.head(URL)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(len(data))


def test_maps_web_pages_get_the_basemap_and_no_third_party_origin(served):
    client, _ = served
    r = client.get("/carte")
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', r.text, re.S).group(1))
    assert config["basemap"]["kind"] == "pmtiles"
    assert config["basemap"]["url"] == URL
    assert config["basemap"]["script"].startswith("/static/vendor/protomaps-leaflet/protomaps-leaflet.js")
    csp = r.headers["content-security-policy"]
    assert "img-src 'self' data: blob:;" in csp and "connect-src 'self';" in csp


def test_maps_web_without_basemap_the_archive_is_404(client):
    r = client.get(URL)
    assert r.status_code == 404
    assert "VIGIE_BASEMAP" in r.json()["detail"]
    page = client.get("/carte").text
    assert '"basemap": {"kind": "none"}' in page or '"basemap":{"kind":"none"}' in page


def test_maps_web_raster_basemap_origin_is_allowed_for_images_only(vigie_settings):
    v = build_vigie(
        vigie_settings.model_copy(update={"basemap": "https://tiles.example.org/{z}/{x}/{y}.png"})
    )
    try:
        with TestClient(create_app(vigie=v)) as c:
            csp = c.get("/carte").headers["content-security-policy"]
    finally:
        v.db.dispose()
    assert "img-src 'self' https://tiles.example.org data: blob:" in csp
    assert "connect-src 'self';" in csp
