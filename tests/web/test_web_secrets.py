"""Secrets sent by a client (link codes, CSRF tokens) are compared as bytes: a non-ASCII one
is refused like any wrong one, never a 500 (found by schemathesis on the reusers' key link)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/donnees/cles/confirmer/0/%C3%B5",
        "/courriel/confirmer/0/%C3%A9t%C3%A9",
    ],
)
def test_secrets_non_ascii_link_code_is_a_plain_refusal(client, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])


def test_secrets_non_ascii_csrf_header_is_a_plain_refusal(client, make_agent):
    from tests.conftest import PASSWORD

    agent = make_agent("operator")
    assert (
        client.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD}).status_code
        == 200
    )
    # A state change with a CSRF token the server never gave, in Latin-1 (headers are bytes).
    r = client.post("/api/v1/reports/1/acknowledge", headers={"X-CSRF-Token": "été".encode("latin-1")})
    assert r.status_code == 403, (r.status_code, r.text[:200])
