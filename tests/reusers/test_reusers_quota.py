"""The open data APIs' quotas: anonymous within limits, keys raise them, 429 with RateLimit headers."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.reusers.actions import do_issue_key, do_revoke_key, do_set_quota
from vigie.reusers.domain import Count, Window, state_header
from vigie.settings import Settings

CATALOG = "/api/explore/v2.1/catalog/datasets"


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    return vigie_settings.model_copy(update={"quota_anonymous_per_minute": 3, "quota_anonymous_per_day": 100})


def test_reusers_quota_anonymous_per_minute_answers_429_naming_the_limit(client):
    for n in range(3):
        r = client.get(CATALOG)
        assert r.status_code == 200
        assert r.headers["ratelimit-policy"] == '"minute";q=3;w=60, "day";q=100;w=86400'
        assert r.headers["ratelimit"].startswith(f'"minute";r={2 - n};t=')
    r = client.get(CATALOG)
    assert r.status_code == 429
    assert r.json()["error_code"] == "TooManyRequests" and "3 requests per minute" in r.json()["message"]
    assert r.headers["retry-after"] == "59"  # the clock is held 1 s into a minute (conftest)
    assert r.headers["ratelimit"] == '"minute";r=0;t=59'


def test_reusers_quota_per_day(client, vigie):
    vigie.settings = vigie.settings.model_copy(
        update={"quota_anonymous_per_minute": 0, "quota_anonymous_per_day": 2}
    )
    assert [client.get(CATALOG).status_code for _ in range(3)] == [200, 200, 429]
    r = client.get(CATALOG)
    assert r.headers["ratelimit"].startswith('"day";r=0;t=') and "per day" in r.json()["message"]
    assert r.headers["retry-after"] == str(86_400 - 80_041)  # to the end of the UTC day


def test_reusers_quota_is_shared_by_the_open_data_apis(client):
    assert client.get(CATALOG).status_code == 200
    assert client.post("/api/v1/lab/query", json={"sql": "SELECT 1 AS x"}).status_code == 200
    ogc = client.get("/api/ogc", params={"f": "json"})
    assert ogc.status_code == 200 and ogc.headers["ratelimit"].startswith('"minute";r=0')
    lab = client.post("/api/v1/lab/query", json={"sql": "SELECT 1 AS x"})
    assert lab.status_code == 429 and lab.headers["retry-after"] == "59"
    assert lab.json()["status"] == 429 and lab.headers["ratelimit"].startswith('"minute";r=0')
    assert client.get("/api/ogc/collections").status_code == 429
    assert client.get(CATALOG + "/nothing/exports/csv").status_code == 429


def test_reusers_quota_key_raises_it_and_is_counted_apart(client, vigie, make_agent):
    staff = make_agent("supervisor")
    key_id, key = do_issue_key(vigie, staff, "dev@startup.example", "Carte des parkings", 5, 1000)
    head = {"Authorization": f"Apikey {key}"}
    for _ in range(3):
        assert client.get(CATALOG).status_code == 200  # the anonymous quota, used up
    assert client.get(CATALOG).status_code == 429
    answers = [client.get(CATALOG, headers=head).status_code for _ in range(4)]
    answers.append(client.get(CATALOG, params={"apikey": key}).status_code)  # Opendatasoft's other way
    assert answers == [200] * 5
    r = client.get(CATALOG, headers=head)
    assert r.status_code == 429 and "this key's quota of 5 requests per minute" in r.json()["message"]
    me = client.get("/api/v1/reuser-keys/me", headers=head).json()
    assert me["id"] == key_id and me["per_minute"] == 5 and me["this_minute"] == 6
    assert me["days"][0]["requests"] == 5  # the refused request is not counted in the day
    do_set_quota(vigie, staff, key_id, 0, 0)  # no limit
    assert client.get(CATALOG, headers=head).status_code == 200
    assert "ratelimit" not in client.get(CATALOG, headers=head).headers


def test_reusers_quota_unknown_or_revoked_key_is_401(client, vigie, make_agent):
    r = client.get(CATALOG, headers={"Authorization": "Apikey vk_not-a-key-of-this-city-at-all"})
    assert r.status_code == 401 and r.json()["error_code"] == "InvalidAPIKey"
    assert client.get(CATALOG, params={"apikey": "x"}).status_code == 401
    staff = make_agent("admin")
    key_id, key = do_issue_key(vigie, staff, "dev@startup.example", "Tableau de bord")
    assert client.get(CATALOG, headers={"Authorization": f"Apikey {key}"}).status_code == 200
    do_revoke_key(vigie, staff, key_id, "abus")
    assert client.get(CATALOG, headers={"Authorization": f"Apikey {key}"}).status_code == 401
    lab = client.post(
        "/api/v1/lab/query", json={"sql": "SELECT 1"}, headers={"Authorization": f"Apikey {key}"}
    )
    assert lab.status_code == 401


def test_reusers_quota_is_counted_across_workers(vigie, tmp_path):
    """Two processes' platforms on one database count together (the limits seam)."""
    other = build_vigie(vigie.settings)
    try:
        with TestClient(create_app(vigie=vigie)) as one, TestClient(create_app(vigie=other)) as two:
            answers = [c.get(CATALOG).status_code for c in (one, two, one, two)]
    finally:
        if other.limits is not None:
            other.limits.close()
        other.db.dispose()
    assert answers == [200, 200, 200, 429]


def test_reusers_quota_keys_and_addresses_never_logged(client, vigie, make_agent, caplog):
    staff = make_agent("admin")
    _, key = do_issue_key(vigie, staff, "dev@startup.example", "Projet")
    with caplog.at_level(logging.DEBUG):
        client.get(CATALOG, headers={"Authorization": f"Apikey {key}"})
        client.get(CATALOG, params={"apikey": key})
        client.post("/api/v1/reuser-keys/requests", json={"email": "autre@startup.example", "project": "x"})
    # The server's lines (httpx's are the test client's own, client side).
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "queued an API key confirmation" in text
    assert key not in text and "startup.example" not in text


def test_reusers_quota_rate_limit_header_names_the_tightest_window():
    minute, day = Window("minute", 60, 10), Window("day", 86_400, 100)
    assert state_header([Count(minute, 2), Count(day, 95)], 0).startswith('"day";r=5;')
    assert state_header([Count(minute, 11), Count(day, 11)], 30) == '"minute";r=0;t=30'


def test_reusers_quota_ogc_refusals_are_in_the_ogc_error_shape(client):
    """GIS clients (GDAL, OWSLib, QGIS) read OGC API errors as ``code`` and ``description``;
    the quota's 429 and an unknown key's 401 were the native API's problem JSON."""
    for _ in range(3):
        assert client.get("/api/ogc", params={"f": "json"}).status_code == 200
    r = client.get("/api/ogc/collections", params={"f": "json"})
    assert r.status_code == 429 and r.headers["retry-after"] == "59"
    assert r.json()["code"] == "TooManyRequests" and "3 requests per minute" in r.json()["description"]
    assert r.headers["content-type"] == "application/json"
    assert r.headers["ratelimit"].startswith('"minute";r=0')
    page = client.get("/api/ogc/collections", params={"f": "html"})
    assert page.status_code == 429 and "3 requests per minute" in page.text
    assert page.headers["content-type"].startswith("text/html")
    r = client.get("/api/ogc", params={"apikey": "vk_not-a-key-of-this-city-at-all"})
    assert r.status_code == 401 and r.json()["code"] == "InvalidAPIKey"
