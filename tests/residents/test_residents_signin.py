"""Signing in by a one-time e-mail link: single use, short-lived, hashed, limited, no enumeration."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.residents.conftest import last_link, outbox, sign_in
from vigie.db import utcnow
from vigie.errors import NotFound
from vigie.residents import signin
from vigie.residents.storage import ResidentRow, ResidentSessionRow, SignInLinkRow
from vigie.runtime import Vigie


def test_residents_signin_link_is_single_use_and_kept_as_a_hash(vigie: Vigie):
    signin.do_request_link(vigie, " Habitante@Example.org ", "fr", "198.51.100.1")
    (mail,) = outbox(vigie, "signin")
    assert mail.recipient == "habitante@example.org" and mail.token.startswith("si-")
    token = last_link(vigie, "habitante@example.org").rsplit("/", 1)[1]
    with vigie.db.session() as s:
        (row,) = s.scalars(select(SignInLinkRow))
    assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64
    assert timedelta(minutes=14) < row.expires_at - row.created_at <= timedelta(minutes=15)
    assert signin.link_state(vigie, token) == signin.VALID
    signed = signin.do_sign_in(vigie, token)
    assert signed.created and signed.email == "habitante@example.org"
    assert signin.link_state(vigie, token) == signin.USED
    with pytest.raises(NotFound):
        signin.do_sign_in(vigie, token)
    with vigie.db.session() as s:
        assert s.scalar(select(SignInLinkRow.email)) == ""  # the address left the used link
        assert s.scalar(select(ResidentSessionRow.token_hash)) != signed.session
    assert signin.current(vigie, signed.session).email == "habitante@example.org"
    assert signin.link_state(vigie, "no-such-link") == signin.INVALID


def test_residents_signin_expired_link_is_refused(vigie: Vigie):
    signin.do_request_link(vigie, "tard@example.org", "fr", "198.51.100.1")
    token = last_link(vigie, "tard@example.org").rsplit("/", 1)[1]
    with vigie.db.session(write=True) as s:
        s.execute(update(SignInLinkRow).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert signin.link_state(vigie, token) == signin.EXPIRED
    with pytest.raises(NotFound):
        signin.do_sign_in(vigie, token)
    with vigie.db.session() as s:
        assert s.scalar(select(ResidentRow.id)) is None


def test_residents_signin_expired_links_and_sessions_go_with_retention(vigie: Vigie):
    from vigie.retention import run_retention

    signin.do_request_link(vigie, "ancien@example.org", "fr", "198.51.100.1")
    token = last_link(vigie, "ancien@example.org").rsplit("/", 1)[1]
    signed = signin.do_sign_in(vigie, token)
    signin.do_request_link(vigie, "ancien@example.org", "fr", "198.51.100.1")  # never used
    assert run_retention(vigie)["resident_sign_ins"] == {"links": 0, "sessions": 0}
    past = utcnow() - timedelta(seconds=1)
    with vigie.db.session(write=True) as s:
        s.execute(update(SignInLinkRow).values(expires_at=past))
        s.execute(update(ResidentSessionRow).values(expires_at=past))
        s.commit()
    assert signin.current(vigie, signed.session) is None
    assert run_retention(vigie)["resident_sign_ins"] == {"links": 2, "sessions": 1}
    with vigie.db.session() as s:
        assert s.scalar(select(ResidentRow.email)) == "ancien@example.org"  # the account stays


def test_residents_signin_request_answers_the_same_whether_the_account_exists(
    client: TestClient, vigie: Vigie
):
    sign_in(client, vigie, "connue@example.org")
    client.cookies.clear()
    known = client.post("/compte/connexion", data={"email": "connue@example.org"})
    unknown = client.post("/compte/connexion", data={"email": "inconnue@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.text == unknown.text
    mails = {r.recipient: r for r in outbox(vigie, "signin")}
    assert mails["connue@example.org"].subject == mails["inconnue@example.org"].subject
    bad = client.post("/compte/connexion", data={"email": "pas-une-adresse"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text


def test_residents_signin_links_are_limited_per_address_and_per_client(client: TestClient, vigie: Vigie):
    vigie.settings.resident_links_per_hour = 2
    for _ in range(4):
        assert client.post("/compte/connexion", data={"email": "flood@example.org"}).status_code == 202
    assert len([r for r in outbox(vigie, "signin") if r.recipient == "flood@example.org"]) == 2
    answers = [
        client.post("/compte/connexion", data={"email": f"autre{i}@example.org"}).status_code
        for i in range(20)
    ]
    assert answers.count(429) > 0 and 429 not in answers[:15]  # 20 an hour per client, 4 used above


def test_residents_signin_link_page_uses_nothing_and_its_button_signs_in(client: TestClient, vigie: Vigie):
    client.post("/compte/connexion", data={"email": "bouton@example.org"})
    path = last_link(vigie, "bouton@example.org")
    for _ in range(3):  # a mail scanner opening the link
        page = client.get(path)
        assert page.status_code == 200 and f'action="{path}"' in page.text and 'method="post"' in page.text
    assert page.headers["cache-control"] == "no-store"
    r = client.post(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/compte?bienvenue=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("vigie_resident=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "bouton@example.org" in client.get("/compte").text
    again = client.post(path, follow_redirects=False)
    assert again.status_code == 410
    assert client.get("/compte/lien/not-a-link").status_code == 404


def test_residents_signin_session_cookie_is_secure_behind_https(vigie: Vigie):
    from vigie.app import create_app

    vigie.settings.public_base_url = "https://vigie.example"
    signin.do_request_link(vigie, "tls@example.org", "fr", "198.51.100.1")
    mail = outbox(vigie, "signin")[-1]
    token = mail.body_text.split("https://vigie.example/compte/lien/")[1].split()[0]
    with TestClient(create_app(vigie=vigie), base_url="https://vigie.example") as c:
        r = c.post(
            f"/compte/lien/{token}", follow_redirects=False, headers={"origin": "https://vigie.example"}
        )
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_residents_signin_from_another_site_is_refused(client: TestClient, vigie: Vigie):
    client.post("/compte/connexion", data={"email": "csrf@example.org"})
    path = last_link(vigie, "csrf@example.org")
    r = client.post(path, headers={"origin": "https://attaquant.example"}, follow_redirects=False)
    assert r.status_code == 403 and "vigie_resident" not in r.headers.get("set-cookie", "")
    assert signin.link_state(vigie, path.rsplit("/", 1)[1]) == signin.VALID


def test_residents_signin_state_changes_need_the_csrf_token(client: TestClient, vigie: Vigie):
    csrf = sign_in(client, vigie, "jeton@example.org")
    body = {"reports": [], "favourites": []}
    assert client.post("/api/v1/resident/merge", json=body).status_code == 403
    wrong = client.post("/api/v1/resident/merge", json=body, headers={"X-CSRF-Token": "faux"})
    assert wrong.status_code == 403
    assert client.post("/api/v1/resident/merge", json=body, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/compte/deconnexion", data={}).status_code == 403
    assert client.get("/api/v1/resident").status_code == 200


def test_residents_signin_sign_out_here_or_everywhere(client: TestClient, vigie: Vigie, app):  # type: ignore[no-untyped-def]
    csrf = sign_in(client, vigie, "partout@example.org")
    with TestClient(app) as other:
        other_csrf = sign_in(other, vigie, "partout@example.org")
        third = TestClient(app)
        sign_in(third, vigie, "partout@example.org")
        r = third.post(
            "/compte/deconnexion", data={"csrf_token": client.get("/api/v1/resident").json()["csrf_token"]}
        )
        assert r.status_code == 403  # another session's token
        r = other.post("/compte/deconnexion", data={"csrf_token": other_csrf}, follow_redirects=False)
        assert r.status_code == 303 and other.get("/api/v1/resident").status_code == 401
        assert client.get("/api/v1/resident").status_code == 200
        r = client.post(
            "/compte/deconnexion", data={"csrf_token": csrf, "partout": "1"}, follow_redirects=False
        )
        assert r.status_code == 303
        assert client.get("/api/v1/resident").status_code == 401
        assert third.get("/api/v1/resident").status_code == 401
    with vigie.db.session() as s:
        assert s.scalar(select(ResidentSessionRow.id)) is None


def test_residents_signin_logs_never_hold_the_address_or_the_link(client: TestClient, vigie: Vigie, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client, vigie, "discrete@example.org")
    token = last_link(vigie, "discrete@example.org").rsplit("/", 1)[1]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("vigie"))
    assert "signed in" in ours  # the server's own lines were captured
    assert "discrete@example.org" not in ours and token not in ours
