"""An agent's own sessions page: see their sessions and tokens, close one or all the others,
change their password (which closes them all); forms from this site only."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD
from vigie.accounts.actions import do_create_login
from vigie.web.deps import SESSION_COOKIE

PAGE = "/pilotage/sessions"


def sign_in(client, vigie, agent):  # type: ignore[no-untyped-def]
    token, csrf = do_create_login(vigie.db, agent, "session", 1)
    client.cookies.set(SESSION_COOKIE, token)
    return csrf


def test_pilotage_sessions_page_lists_and_closes_the_agents_own_logins(client, vigie, make_agent):
    agent = make_agent("field_agent")
    token, _ = do_create_login(vigie.db, agent, "bearer", 1)
    bearer = {"Authorization": f"Bearer {token}"}
    csrf = sign_in(client, vigie, agent)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Jeton d&#39;API" in page.text and "Navigateur (celle-ci)" in page.text
    ids = {int(i) for i in re.findall(r'action="/pilotage/sessions/(\d+)/revoquer"', page.text)}
    listed = client.get("/api/v1/auth/sessions").json()["sessions"]
    assert ids == {s["id"] for s in listed}
    bearer_id = next(s["id"] for s in listed if s["kind"] == "bearer")
    # Another site's form, or one without the session's token, closes nothing.
    foreign = client.post(
        f"{PAGE}/{bearer_id}/revoquer", data={"csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert client.post(f"{PAGE}/{bearer_id}/revoquer", data={}).status_code == 403
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    done = client.post(f"{PAGE}/{bearer_id}/revoquer", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == PAGE + "?done=revoked"
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert "La session a été fermée." in client.get(done.headers["location"]).text
    assert "My sessions and password" in client.get(PAGE, params={"lang": "en"}).text


def test_pilotage_sessions_close_the_others_then_change_the_password(client, vigie, make_agent):
    agent = make_agent("operator")
    others = [do_create_login(vigie.db, agent, "bearer", 1)[0] for _ in range(2)]
    csrf = sign_in(client, vigie, agent)
    session = client.cookies[SESSION_COOKIE]
    r = client.post(f"{PAGE}/revoquer-autres", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    for token in others:
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get(PAGE).status_code == 200  # this session stays
    form = {"csrf_token": csrf, "current_password": "not-the-password"}
    new = {"new_password": "a-new-long-password", "confirm_password": "a-new-long-password"}
    wrong = client.post("/pilotage/mot-de-passe", data={**form, **new})
    assert wrong.status_code == 422 and "Le mot de passe actuel est incorrect." in wrong.text
    mismatch = {**form, "current_password": PASSWORD, **new, "confirm_password": "another-password"}
    assert client.post("/pilotage/mot-de-passe", data=mismatch).status_code == 422
    short = {**form, "current_password": PASSWORD, "new_password": "court", "confirm_password": "court"}
    assert "au moins 10 caractères" in client.post("/pilotage/mot-de-passe", data=short).text
    changed = client.post(
        "/pilotage/mot-de-passe", data={**form, "current_password": PASSWORD, **new}, follow_redirects=False
    )
    assert changed.status_code == 303 and changed.headers["location"].startswith("/connexion")
    assert 'vigie_session=""' in changed.headers["set-cookie"]  # the browser forgets it
    client.cookies.set(SESSION_COOKIE, session)  # and it would not work any more
    assert client.get(PAGE, follow_redirects=False).headers["location"].startswith("/connexion")
    r = client.post("/api/v1/auth/token", data={"username": agent.email, "password": "a-new-long-password"})
    assert r.status_code == 200
