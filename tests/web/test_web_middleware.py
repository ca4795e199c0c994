"""Security headers: on every answer (early refusals too), HSTS over https, a CSP on /docs,
and no caching of what an agent sees."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD
from tests.reports.helpers import report_body
from vigie.app import create_app
from vigie.settings import Settings


def https_client(vigie):  # type: ignore[no-untyped-def]
    settings = Settings(**{**vigie.settings.model_dump(), "public_base_url": "https://signalements.example"})
    vigie.settings = settings
    return TestClient(create_app(vigie=vigie))


def test_middleware_hsts_only_when_the_public_url_is_https(client, vigie):
    assert "strict-transport-security" not in client.get("/health").headers
    with https_client(vigie) as c:
        for path in ("/health", "/", "/api/v1/services", "/nope"):
            assert c.get(path).headers["strict-transport-security"] == "max-age=31536000", path


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"content-length": str(10**10), "content-type": "application/json"}, b"{}", 413),
        ({"content-length": "x", "content-type": "application/json"}, b"{}", 400),
        ({"content-type": "application/json"}, b'{"a": "\xff"}', 400),
    ],
)
def test_middleware_early_refusals_carry_the_security_headers(vigie, headers, body, status):
    with https_client(vigie) as c:
        r = c.post("/api/v1/reports", content=body, headers=headers)
    assert r.status_code == status
    for name in (
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "strict-transport-security",
    ):
        assert name in r.headers, name


def test_middleware_docs_page_has_its_own_csp(client):
    csp = client.get("/docs").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in csp
    page_csp = client.get("/").headers["content-security-policy"]
    assert "unsafe-inline" not in page_csp


def test_middleware_answers_with_reporters_contact_are_never_stored(client, auth, make_agent):
    created = client.post("/api/v1/reports", json=report_body(reporter_email="habitant@example.org"))
    rid = created.json()["id"]
    assert "cache-control" not in created.headers  # anonymous: the resident's own answer
    headers = auth("operator")
    for path in (f"/api/v1/reports/{rid}", "/api/v1/reports"):
        r = client.get(path, headers=headers)
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/api/v1/reports").headers.get("cache-control", "")
    agent = make_agent("operator")
    page = client.get("/connexion")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    login = client.post(
        "/connexion",
        data={"email": agent.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert login.status_code == 303
    for path in ("/pilotage", f"/pilotage/signalements/{rid}"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
