"""Logins revoked: sign-out revokes the bearer token used, an agent lists and revokes their own
sessions, a disabled account or a changed or reset password revokes them all; at once, on every
worker (a second app over the same database stands for another worker), and audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import PASSWORD
from vigie.accounts.domain import Agent
from vigie.accounts.storage import AuditRow
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.runtime import Vigie

NEW_PASSWORD = "another-long-password"


@pytest.fixture
def other_worker(vigie: Vigie) -> Iterator[TestClient]:
    """A second platform on the same database: what another worker process sees."""
    second = build_vigie(vigie.settings)
    try:
        with TestClient(create_app(vigie=second)) as c:
            yield c
    finally:
        second.db.dispose()


def bearer(client: TestClient, agent: Agent, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": agent.email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def audited(vigie: Vigie, action: str) -> list[AuditRow]:
    with vigie.db.session() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.action == action)))


def test_sessions_logout_revokes_the_bearer_token_on_every_worker(vigie, client, other_worker, make_agent):
    agent = make_agent("operator")
    headers = bearer(client, agent)
    assert other_worker.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert other_worker.get("/api/v1/auth/me", headers=headers).status_code == 401
    (entry,) = audited(vigie, "auth.logout")
    assert entry.user_id == agent.id and entry.detail == {"kind": "bearer"}


def test_sessions_an_agent_lists_and_revokes_their_own_logins(vigie, client, other_worker, make_agent):
    agent, stranger = make_agent("field_agent"), make_agent("admin")
    first, second = bearer(client, agent), bearer(client, agent)
    bearer(client, stranger)
    listed = client.get("/api/v1/auth/sessions", headers=first).json()["sessions"]
    assert len(listed) == 2 and [s["current"] for s in listed] == [False, True]
    assert {s["kind"] for s in listed} == {"bearer"}
    other_id = listed[0]["id"]
    # Another agent's login is not theirs to see or revoke.
    theirs = client.get("/api/v1/auth/sessions", headers=bearer(client, stranger)).json()["sessions"]
    assert client.delete(f"/api/v1/auth/sessions/{theirs[0]['id']}", headers=first).status_code == 404
    assert client.delete(f"/api/v1/auth/sessions/{other_id}", headers=first).status_code == 200
    assert other_worker.get("/api/v1/auth/me", headers=second).status_code == 401
    assert other_worker.get("/api/v1/auth/me", headers=first).status_code == 200
    assert client.delete(f"/api/v1/auth/sessions/{other_id}", headers=first).status_code == 404
    (entry,) = audited(vigie, "auth.revoke")
    assert entry.user_id == agent.id and entry.detail["login"] == other_id


def test_sessions_revoking_the_others_keeps_the_current_one(vigie, client, make_agent):
    agent = make_agent("operator")
    others = [bearer(client, agent) for _ in range(3)]
    mine = bearer(client, agent)
    r = client.delete("/api/v1/auth/sessions", headers=mine)
    assert r.json()["revoked"] == 3
    assert [client.get("/api/v1/auth/me", headers=h).status_code for h in others] == [401] * 3
    assert client.get("/api/v1/auth/me", headers=mine).status_code == 200


def test_sessions_a_password_change_revokes_every_login(vigie, client, other_worker, make_agent):
    agent = make_agent("operator")
    headers = [bearer(client, agent) for _ in range(2)]
    wrong = {"current_password": "not-the-password", "new_password": NEW_PASSWORD}
    r = client.post("/api/v1/auth/password", json=wrong, headers=headers[0])
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    assert other_worker.get("/api/v1/auth/me", headers=headers[1]).status_code == 200
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    r = client.post("/api/v1/auth/password", json=right, headers=headers[0])
    assert r.status_code == 200 and r.json()["revoked"] == 2
    assert [other_worker.get("/api/v1/auth/me", headers=h).status_code for h in headers] == [401, 401]
    refused = client.post("/api/v1/auth/token", data={"username": agent.email, "password": PASSWORD})
    assert refused.status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(client, agent, NEW_PASSWORD)).status_code == 200
    (entry,) = audited(vigie, "auth.revoke_all")
    assert entry.detail == {"reason": "password_changed", "count": 2}


def test_sessions_an_administrator_disabling_or_resetting_revokes_every_login(
    vigie, client, other_worker, make_agent
):
    admin, agent, operator = make_agent("admin"), make_agent("field_agent"), make_agent("operator")
    boss = bearer(client, admin)
    victim = bearer(client, agent)
    # Only users.manage may do it.
    r = client.patch(f"/api/v1/users/{agent.id}", json={"active": False}, headers=bearer(client, operator))
    assert r.status_code == 403
    r = client.patch(f"/api/v1/users/{agent.id}", json={"active": False}, headers=boss)
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert other_worker.get("/api/v1/auth/me", headers=victim).status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": agent.email, "password": PASSWORD})
    assert r.status_code == 401
    listed = {u["id"]: u for u in client.get("/api/v1/users", headers=boss).json()["users"]}
    assert listed[agent.id]["active"] is False and listed[agent.id]["logins"] == 0
    assert client.patch(f"/api/v1/users/{agent.id}", json={"active": True}, headers=boss).status_code == 200
    again = bearer(client, agent)
    r = client.post(f"/api/v1/users/{agent.id}/password", json={"new_password": NEW_PASSWORD}, headers=boss)
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert other_worker.get("/api/v1/auth/me", headers=again).status_code == 401
    bearer(client, agent, NEW_PASSWORD)
    reasons = [e.detail["reason"] for e in audited(vigie, "auth.revoke_all")]
    assert reasons == ["disabled", "password_reset"]
    assert [e.action for e in audited(vigie, "user.disable")] == ["user.disable"]
    # An administrator cannot lock themself out; unknown accounts and short passwords are refused.
    assert client.patch(f"/api/v1/users/{admin.id}", json={"active": False}, headers=boss).status_code == 409
    assert client.patch("/api/v1/users/999999", json={"active": False}, headers=boss).status_code == 404
    short = client.post(f"/api/v1/users/{agent.id}/password", json={"new_password": "short"}, headers=boss)
    assert short.status_code == 422


def test_sessions_cookie_sign_out_is_audited_and_the_session_stops(vigie, client, make_agent):
    agent = make_agent("operator")
    r = client.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    listed = client.get("/api/v1/auth/sessions").json()["sessions"]
    assert [(s["kind"], s["current"]) for s in listed] == [("session", True)]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/auth/sessions").status_code == 401
    assert [e.detail for e in audited(vigie, "auth.logout")] == [{"kind": "session"}]
