"""Shared fixtures. Every test gets a fresh database on the backend under test.

SQLite is the default. With VIGIE_TEST_BACKEND=postgres the same tests run on
the PostgreSQL database named by VIGIE_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test); `make test` does both
runs when that variable is set. Tests that need PostgreSQL specifically are
marked ``postgres``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from vigie.accounts.actions import do_add_user, do_create_api_key, do_create_login
from vigie.accounts.domain import Agent
from vigie.app import create_app
from vigie.migrate import upgrade
from vigie.models import metadata
from vigie.runtime import Vigie, build_vigie
from vigie.settings import Settings

BACKEND = os.environ.get("VIGIE_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("VIGIE_TEST_DATABASE_URL", "") if BACKEND == "postgres" else ""
if BACKEND == "postgres" and not PG_URL:
    raise RuntimeError("VIGIE_TEST_BACKEND=postgres needs VIGIE_TEST_DATABASE_URL")
PASSWORD = "correct horse battery staple"


def pytest_report_header(config: pytest.Config) -> str:
    return f"vigie database backend: {'postgresql' if PG_URL else 'sqlite'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "vigie.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(PG_URL)
    yield PG_URL


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if PG_URL:
        url: str = request.getfixturevalue("_pg_schema")
        _truncate_pg(url)
        return url
    template: Path = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "vigie.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def vigie_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_base_url="http://testserver",
        anonymous_rate_limit=0,
    )


@pytest.fixture
def vigie(vigie_settings: Settings) -> Iterator[Vigie]:
    v = build_vigie(vigie_settings)
    yield v
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()


@pytest.fixture
def app(vigie: Vigie):  # type: ignore[no-untyped-def]
    return create_app(vigie=vigie)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def api_key(vigie: Vigie) -> str:
    return do_create_api_key(vigie.db, "test client")


@pytest.fixture
def make_agent(vigie: Vigie) -> Callable[..., Agent]:
    counter = iter(range(1, 10_000))

    def make(role: str = "operator", team: str = "") -> Agent:
        n = next(counter)
        return do_add_user(
            vigie.db, f"{role}{n}@agents.example", role, PASSWORD, name=f"{role} {n}", team=team
        )

    return make


@pytest.fixture
def agent_token(vigie: Vigie, make_agent: Callable[..., Agent]) -> Callable[..., str]:
    """agent_token("operator") -> a bearer token for a new agent with that role."""

    def make(role: str = "operator", team: str = "") -> str:
        agent = make_agent(role, team)
        token, _ = do_create_login(vigie.db, agent, "bearer", 1)
        return token

    return make


@pytest.fixture
def auth(agent_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def make(role: str = "operator", team: str = "") -> dict[str, str]:
        return {"Authorization": f"Bearer {agent_token(role, team)}"}

    return make


DIJON = {"lat": 47.3220, "long": 5.0415}
