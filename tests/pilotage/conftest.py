"""Pilotage tests: the control room routers are included if app.py does not include them yet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD
from vigie.accounts.domain import Agent
from vigie.app import create_app
from vigie.runtime import Vigie


@pytest.fixture
def app(vigie: Vigie) -> FastAPI:
    return create_app(vigie=vigie)


@pytest.fixture
def session_client(app: FastAPI) -> Iterator[Callable[[Agent], TestClient]]:
    """session_client(agent) -> a client with a browser session (cookie) and its CSRF header."""
    clients: list[TestClient] = []

    def make(agent: Agent) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        r = c.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def submit(client: TestClient, **over: Any) -> dict[str, Any]:
    from tests.reports.helpers import report_body

    r = client.post("/api/v1/reports", json=report_body(**over))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]
