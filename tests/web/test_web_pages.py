"""Agents' sign-in and sign-out pages: browser flows work, other sites cannot use them (login CSRF)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from vigie.web.deps import SESSION_COOKIE

EVIL = "https://evil.example"


def form_token(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/connexion?next=/pilotage")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the sign-in form carries a CSRF token"
    return found.group(1)


def sign_in(client, email: str, token: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/connexion",
        data={"email": email, "password": PASSWORD, "next": "/pilotage", "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )


def test_pages_sign_in_form_still_signs_in(client, make_agent):
    agent = make_agent("operator")
    token = form_token(client)
    r = sign_in(client, agent.email, token, origin="http://testserver")
    assert r.status_code == 303 and r.headers["location"] == "/pilotage"
    assert SESSION_COOKIE in r.cookies
    assert client.get("/pilotage").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{"origin": EVIL}, {"origin": "null"}, {"referer": EVIL + "/login-trap"}],
)
def test_pages_sign_in_from_another_site_is_refused(client, make_agent, headers):
    agent = make_agent("operator")
    token = form_token(client)  # even with the victim's own form token
    r = sign_in(client, agent.email, token, **headers)
    assert r.status_code == 403
    assert SESSION_COOKIE not in r.cookies
    assert "un autre site" in r.text


def test_pages_sign_in_without_the_form_token_is_refused(client, make_agent):
    agent = make_agent("operator")
    r = sign_in(client, agent.email, "")
    assert r.status_code == 403 and SESSION_COOKIE not in r.cookies
    r = sign_in(client, agent.email, "forged-token-forged-token-forged")
    assert r.status_code == 403 and SESSION_COOKIE not in r.cookies


def test_pages_sign_in_api_refuses_another_site(client, make_agent):
    agent = make_agent("operator")
    body = {"email": agent.email, "password": PASSWORD}
    r = client.post("/api/v1/auth/login", json=body, headers={"origin": EVIL})
    assert r.status_code == 403 and SESSION_COOKIE not in r.cookies
    assert (
        client.post("/api/v1/auth/login", json=body, headers={"origin": "http://testserver"}).status_code
        == 200
    )


def test_pages_sign_out_needs_the_session_token_and_this_site(client, make_agent):
    agent = make_agent("operator")
    assert sign_in(client, agent.email, form_token(client)).status_code == 303
    page = client.get("/pilotage")
    token = re.search(r'action="/deconnexion".*?name="csrf_token" value="([^"]+)"', page.text, re.S)
    assert token, "the sign-out form carries the session's CSRF token"
    for data, headers in (({}, {}), ({"csrf_token": token.group(1)}, {"origin": EVIL})):
        r = client.post("/deconnexion", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403
        assert client.get("/pilotage", follow_redirects=False).status_code == 200  # still signed in
    r = client.post(
        "/deconnexion",
        data={"csrf_token": token.group(1)},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/pilotage", follow_redirects=False).status_code == 303  # signed out
