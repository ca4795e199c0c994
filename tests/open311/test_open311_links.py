"""Absolute links come from VIGIE_PUBLIC_BASE_URL only, never from the request's headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from vigie.notifications.storage import OutboxRow
from vigie.open311.params import DEFAULT_PAGE_SIZE, Params, parse_page
from vigie.runtime import Vigie
from vigie.settings import Settings

from .helpers import CENTRE, POTHOLE, V2

BASE = "http://testserver"  # the tests' VIGIE_PUBLIC_BASE_URL
FORGED = {
    "host": "evil.example",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "https",
    "x-forwarded-port": "4443",
    "forwarded": "host=evil.example;proto=https",
}


def test_open311_links_discovery_ignores_a_forged_host(client: TestClient) -> None:
    r = client.get("/open311/discovery.json", headers=FORGED)
    assert r.status_code == 200
    assert r.json()["endpoints"][0]["url"] == f"{BASE}{V2}"
    assert "evil" not in r.text


def test_open311_links_paging_link_ignores_a_forged_host(
    client: TestClient, new_report: Callable[..., str]
) -> None:
    new_report()
    new_report()
    r = client.get(f"{V2}/requests.json", params={"page_size": "1"}, headers=FORGED)
    assert r.headers["link"].startswith(f"<{BASE}{V2}/requests.json?")
    assert "evil" not in r.headers["link"]


def test_open311_links_email_ignores_a_forged_host(
    client: TestClient, vigie: Vigie, auth: Callable[..., dict[str, str]], post: Callable[..., Any]
) -> None:
    rid = post(service_code=POTHOLE, email="alice@example.org", **CENTRE, headers=FORGED).json()[0][
        "service_request_id"
    ]
    r = client.post(f"/api/v1/reports/{rid}/acknowledge", headers={**auth("operator"), **FORGED})
    assert r.status_code == 200, r.text
    with vigie.db.session() as s:
        mails = list(s.scalars(select(OutboxRow)))
    assert mails, "the acknowledgement is e-mailed to the reporter"
    for mail in mails:
        assert f"{BASE}/suivi/" in mail.body_text
        assert "evil" not in mail.body_text + (mail.body_html or "")


def test_open311_links_page_holds_the_specs_first_thousand() -> None:
    assert DEFAULT_PAGE_SIZE == 1000
    assert parse_page(Params([])) == (1, 1000)
    assert parse_page(Params([("page", "2"), ("page_size", "1000")])) == (2, 1000)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("127.0.0.1", 9123, "http://127.0.0.1:9123"),
        ("0.0.0.0", 8080, "http://127.0.0.1:8080"),  # noqa: S104 - a setting's value
        ("vigie.local", 80, "http://vigie.local:80"),
        ("::1", 8001, "http://[::1]:8001"),
    ],
)
def test_settings_public_base_url_follows_the_served_address(host: str, port: int, expected: str) -> None:
    assert Settings(host=host, port=port, public_base_url="").public_base_url == expected


def test_settings_public_base_url_given_is_kept() -> None:
    s = Settings(port=9000, public_base_url="https://signalements.example")
    assert s.public_base_url == "https://signalements.example"


def test_cli_serve_port_reaches_the_app_and_proxies_are_trusted_only_when_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from vigie.cli import app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    # serve writes these two: set through monkeypatch so that they are restored after.
    monkeypatch.setenv("VIGIE_PORT", "8000")
    monkeypatch.setenv("VIGIE_HOST", "127.0.0.1")
    for name in ("VIGIE_PUBLIC_BASE_URL", "VIGIE_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["serve", "--port", "9124"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["port"] == 9124
    assert calls[-1]["proxy_headers"] is False
    # The app factory reads the environment: its default public URL names the same port.
    assert Settings().public_base_url == "http://127.0.0.1:9124"
    monkeypatch.setenv("VIGIE_TRUSTED_PROXIES", "10.1.2.3, 10.1.2.4")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["proxy_headers"] is True
    assert calls[-1]["forwarded_allow_ips"] == ["10.1.2.3", "10.1.2.4"]
