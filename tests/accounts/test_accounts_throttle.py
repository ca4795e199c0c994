"""Sign-in throttling: growing delays per account and per address, audited, no lock-out for good."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import PASSWORD
from vigie.accounts import throttle
from vigie.accounts.domain import Agent, Role
from vigie.accounts.storage import AuditRow
from vigie.errors import TooManyRequests, Unauthorized

WRONG = "not the password"


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    now = [1_900_000_000.0]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    return now


@pytest.fixture
def fast_passwords(monkeypatch):  # type: ignore[no-untyped-def]
    """Password checks without argon2's cost (these tests make hundreds of attempts)."""

    known: dict[str, Agent] = {}

    def check(db, email, password):  # type: ignore[no-untyped-def]
        if password != PASSWORD:
            raise Unauthorized("wrong e-mail or password")
        return known.get(email) or Agent(1, email, "", Role.OPERATOR, "")

    monkeypatch.setattr(throttle, "authenticate", check)
    return known


def attempt(vigie, email: str, password: str, client: str) -> str:  # type: ignore[no-untyped-def]
    try:
        throttle.do_sign_in(vigie, email, password, client)
    except Unauthorized:
        return "wrong"
    except TooManyRequests as exc:
        return f"wait {exc.retry_after}"
    return "ok"


def test_throttle_delays_grow_after_the_free_failures(vigie, make_agent, clock, fast_passwords):
    agent = make_agent("operator")
    outcomes = [attempt(vigie, agent.email, WRONG, "10.0.0.1") for _ in range(throttle.FREE_PER_PAIR)]
    assert outcomes == ["wrong"] * throttle.FREE_PER_PAIR
    waits = []
    for _ in range(6):
        assert attempt(vigie, agent.email, WRONG, "10.0.0.1") == "wrong"
        # During the delay even the right password is not checked.
        refused = attempt(vigie, agent.email, PASSWORD, "10.0.0.1")
        assert refused.startswith("wait ")
        waits.append(int(refused.split()[1]))
        clock[0] += waits[-1]
    assert waits == [1, 2, 4, 8, 16, 32]
    assert attempt(vigie, agent.email, PASSWORD, "10.0.0.1") == "ok"
    # A success forgets that address's failures on this account.
    assert attempt(vigie, agent.email, WRONG, "10.0.0.1") == "wrong"
    assert attempt(vigie, agent.email, PASSWORD, "10.0.0.1") == "ok"


def test_throttle_delay_stops_growing_and_failures_are_forgotten(vigie, make_agent, clock, fast_passwords):
    agent = make_agent("operator")
    for _ in range(40):
        attempt(vigie, agent.email, WRONG, "10.0.0.2")
        clock[0] += vigie.settings.login_max_delay_seconds
    assert attempt(vigie, agent.email, WRONG, "10.0.0.2") == "wrong"
    refused = attempt(vigie, agent.email, PASSWORD, "10.0.0.2")
    assert refused == f"wait {vigie.settings.login_max_delay_seconds}"
    clock[0] += vigie.settings.login_max_delay_seconds
    assert attempt(vigie, agent.email, PASSWORD, "10.0.0.2") == "ok"
    assert attempt(vigie, agent.email, WRONG, "10.0.0.2") == "wrong"
    clock[0] += throttle.FORGET_SECONDS + 1
    assert throttle.wait_before_attempt(vigie, throttle.Keys.of(agent.email, "10.0.0.2")) == 0


def test_throttle_one_address_trying_many_accounts_is_slowed(vigie, clock, fast_passwords):
    emails = [f"agent{i}@agents.example" for i in range(throttle.FREE_PER_CLIENT + 1)]
    for email in emails:  # one try per account: password spraying
        assert attempt(vigie, email, WRONG, "10.0.0.3") == "wrong"
    assert attempt(vigie, emails[0], PASSWORD, "10.0.0.3") == "wait 1"
    assert attempt(vigie, "fresh@agents.example", PASSWORD, "10.0.0.3") == "wait 1"
    # Another address is not concerned.
    assert attempt(vigie, emails[0], PASSWORD, "10.0.0.4") == "ok"


def test_throttle_attack_from_many_addresses_never_locks_the_owner_out(
    vigie, make_agent, clock, fast_passwords
):
    agent = make_agent("supervisor")
    assert attempt(vigie, agent.email, PASSWORD, "192.0.2.10") == "ok"  # the owner's usual address
    for i in range(throttle.FREE_PER_ACCOUNT + 30):  # a botnet: a few tries from each address
        attempt(vigie, agent.email, WRONG, f"198.51.100.{i // 4}")
    # A stranger's new address now waits…
    stranger = attempt(vigie, agent.email, PASSWORD, "203.0.113.7")
    assert stranger.startswith("wait ")
    assert int(stranger.split()[1]) <= vigie.settings.login_max_delay_seconds
    # …but the owner, from an address where the account signed in before, is not delayed.
    assert attempt(vigie, agent.email, PASSWORD, "192.0.2.10") == "ok"
    # And from a new address, once the (capped) delay has passed, the right password works.
    clock[0] += vigie.settings.login_max_delay_seconds
    assert attempt(vigie, agent.email, PASSWORD, "203.0.113.7") == "ok"


def test_throttle_failures_are_audited(vigie, make_agent, clock, fast_passwords):
    agent = make_agent("operator")
    for _ in range(throttle.FREE_PER_PAIR + 1):
        attempt(vigie, agent.email, WRONG, "10.0.0.5")
    attempt(vigie, "nobody@agents.example", WRONG, "10.0.0.5")
    with vigie.db.session() as s:
        rows = list(
            s.scalars(select(AuditRow).where(AuditRow.action == "auth.login_failed").order_by(AuditRow.id))
        )
    assert [(r.target_type, r.target_id) for r in rows] == [("user", str(agent.id))] * (
        throttle.FREE_PER_PAIR + 1
    ) + [("login", "unknown account")]
    assert rows[0].detail == {"client": "10.0.0.5", "failures": 1, "delay_seconds": 0}
    assert rows[throttle.FREE_PER_PAIR].detail["delay_seconds"] == 1
    assert "nobody" not in str(rows[-1].detail)


def csrf_of(client: TestClient) -> str:
    page = client.get("/connexion")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_throttle_guards_every_sign_in_endpoint(app, make_agent, clock, fast_passwords):
    agent = make_agent("operator")
    fast_passwords[agent.email] = agent
    endpoints = {
        "token": lambda c, pw: c.post("/api/v1/auth/token", data={"username": agent.email, "password": pw}),
        "login": lambda c, pw: c.post("/api/v1/auth/login", json={"email": agent.email, "password": pw}),
        "page": lambda c, pw: c.post(
            "/connexion",
            data={"email": agent.email, "password": pw, "csrf_token": csrf_of(c)},
            follow_redirects=False,
        ),
    }
    for n, (name, send) in enumerate(endpoints.items()):
        with TestClient(app, client=(f"10.0.1.{n}", 5000)) as c:
            for _ in range(throttle.FREE_PER_PAIR + 1):
                assert send(c, WRONG).status_code == 401, name
            r = send(c, PASSWORD)
            assert r.status_code == 429, name
            assert r.headers["retry-after"] == "1", name
            if name == "page":
                assert "réessayez dans 1 s" in r.text
            else:
                assert r.json()["detail"] == "too many failed sign-ins; try again in 1 s"
            clock[0] += 1
            assert send(c, PASSWORD).status_code in (200, 303), name
