"""Shared fixtures. Every test gets a fresh database on the backend under test.

SQLite is the default. With VIGIE_TEST_BACKEND=postgres the same tests run on
the PostgreSQL database named by VIGIE_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test); `make test` does both
runs when that variable is set. Tests that need PostgreSQL specifically are
marked ``postgres``.

Under pytest-xdist (`make test` runs `-n $(PYTEST_WORKERS)`) each worker has a
database of its own: SQLite files live in each test's temporary directory, and
on PostgreSQL worker ``gw0`` uses ``<database>_gw0``, created here through the
base URL when missing and migrated once per worker. Data that is slow to build
and only read (the demo fleet) lives in a second database per worker, fresh for
each module that asks for it (``module_vigie``): built at most once per module and
worker instead of once per test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from vigie.accounts.actions import do_add_user, do_create_api_key, do_create_login
from vigie.accounts.domain import Agent
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.migrate import upgrade
from vigie.models import metadata
from vigie.opendata.lab_worker import stop_lab
from vigie.runtime import Vigie
from vigie.settings import Settings

BACKEND = os.environ.get("VIGIE_TEST_BACKEND", "sqlite")
# xdist names its workers gw0, gw1, … in the environment before this file is imported.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def derived_database_url(base: str, *suffixes: str) -> str:
    """``base`` with its database name followed by the non-empty suffixes, joined by ``_``."""
    url = make_url(base)
    name = "_".join([url.database or "", *[s for s in suffixes if s]])
    return url.set(database=name).render_as_string(hide_password=False)


BASE_PG_URL = os.environ.get("VIGIE_TEST_DATABASE_URL", "") if BACKEND == "postgres" else ""
if BACKEND == "postgres" and not BASE_PG_URL:
    raise RuntimeError("VIGIE_TEST_BACKEND=postgres needs VIGIE_TEST_DATABASE_URL")
PG_URL = derived_database_url(BASE_PG_URL, WORKER) if BASE_PG_URL and WORKER else BASE_PG_URL
PASSWORD = "correct horse battery staple"


def pytest_report_header(config: pytest.Config) -> str:
    return f"vigie database backend: {'postgresql' if PG_URL else 'sqlite'}"


# The two ways a test receives the database under test: everything else (vigie, app, client,
# module-scoped platforms of the subfolders) is built on one of them.
BACKEND_FIXTURES = frozenset({"database_url", "module_vigie"})
# Names a test module imports from here to reach PostgreSQL by itself (the bus, two nodes, backups).
BACKEND_NAMES = ("PG_URL", "BASE_PG_URL", "BACKEND", "fresh_pg_schema", "ensure_pg_database")


def uses_backend(item: pytest.Item) -> bool:
    """Whether ``item`` can reach the backend under test: a fixture handing out its database,
    the ``postgres`` marker, or a module that imports this file's PostgreSQL URL."""
    if BACKEND_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if item.get_closest_marker("postgres") is not None:
        return True
    module = getattr(item, "module", None)
    return any(hasattr(module, name) for name in BACKEND_NAMES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run, no test without a database.

    `make test` runs the suite once per backend; a test given no database (a parser,
    a photo's checks, the data lab's DuckDB sandbox, a document's contents) runs the same code
    on both, so its second run checked nothing new: some 630 of the 1,840 tests, deselected
    here (CI's 30 minutes; docs/benchmarks.md, "Test suite time"). VIGIE_TEST_EVERY_TEST=1
    keeps them.
    """
    if PG_URL and os.environ.get("VIGIE_TEST_EVERY_TEST") != "1":
        kept = [item for item in items if uses_backend(item)]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if not uses_backend(item)])
            items[:] = kept


def ensure_pg_database(url: str) -> None:
    """Create the database of ``url`` when missing, through a connection to the base URL."""
    name = make_url(url).database
    if not name or name == make_url(BASE_PG_URL).database:
        return
    engine = create_engine(BASE_PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                return
            quoted = conn.dialect.identifier_preparer.quote(name)
            try:
                conn.execute(text(f"CREATE DATABASE {quoted}"))
            except ProgrammingError as exc:  # another run created it meanwhile
                if "already exists" not in str(exc):
                    raise
    finally:
        engine.dispose()


def fresh_pg_schema(url: str) -> None:
    ensure_pg_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "vigie.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_schema() -> str:
    fresh_pg_schema(PG_URL)
    return PG_URL


@pytest.fixture(scope="session")
def _pg_module_schema() -> str:
    url = derived_database_url(BASE_PG_URL, WORKER or "main", "module")
    fresh_pg_schema(url)
    return url


# A table holding at least this many rows after a test is truncated rather than deleted from.
LARGE_TABLE = 1000
_reset_engines: dict[str, Engine] = {}


def _reset_engine(url: str) -> Engine:
    """One engine per database for the whole run: the reset before each test reuses its connection."""
    if url not in _reset_engines:
        _reset_engines[url] = create_engine(url)
    return _reset_engines[url]


def _empty_pg(url: str) -> None:
    """Empty the tables a test wrote to, and restart every sequence it moved.

    Only the tables holding rows are emptied (most tests touch a handful), with DELETE, children
    before parents: TRUNCATE gives each table and index a new file, a median 850 ms per test at
    load 18 against 292 ms (bench/bench_test_reset.py; docs/benchmarks.md, "Issue 15 — the
    test suite's wall time"). TRUNCATE stays for the tables a DELETE would be slow on (LARGE_TABLE
    rows or more, e.g. a demo fleet) and for those whose triggers refuse a DELETE (the
    append-only operations log).
    """
    engine = _reset_engine(url)
    holding_rows = " UNION ALL ".join(
        f"SELECT '{t.name}', (SELECT count(*) FROM (SELECT 1 FROM {t.name} LIMIT {LARGE_TABLE}) AS s)"
        f" WHERE EXISTS (SELECT 1 FROM {t.name})"
        for t in metadata.sorted_tables
    )
    with engine.begin() as conn:
        rows: dict[str, int] = {name: n for name, n in conn.execute(text(holding_rows))}
        if rows:
            triggered = set(
                conn.execute(
                    text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
                ).scalars()
            )
            truncated = [t for t, n in rows.items() if n >= LARGE_TABLE or t in triggered]
            if truncated:
                conn.execute(text(f"TRUNCATE {', '.join(truncated)} RESTART IDENTITY CASCADE"))
            for table in reversed(metadata.sorted_tables):
                if table.name in rows and table.name not in truncated:
                    conn.execute(text(f"DELETE FROM {table.name}"))
        # A rolled-back insert moves a sequence and leaves its table empty.
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), min_value, false)"
                " FROM pg_sequences WHERE last_value IS NOT NULL"
            )
        )


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if PG_URL:
        url: str = request.getfixturevalue("_pg_schema")
        _empty_pg(url)
        return url
    template: Path = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "vigie.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def settings_for(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        public_base_url="http://testserver",
        anonymous_rate_limit=0,
        # The open data quotas are tested where they are meant (tests/reusers); elsewhere every
        # request of a test comes from the same address.
        quota_anonymous_per_minute=0,
        quota_anonymous_per_day=0,
    )


@pytest.fixture
def vigie_settings(tmp_path: Path, database_url: str) -> Settings:
    return settings_for(tmp_path / "data", database_url)


def _closing(v: Vigie) -> Iterator[Vigie]:
    yield v
    stop_lab(v)
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()


@pytest.fixture
def vigie(vigie_settings: Settings) -> Iterator[Vigie]:
    yield from _closing(build_vigie(vigie_settings))


@pytest.fixture(scope="module")
def module_vigie(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vigie]:
    """A platform on a database of its own, shared by the tests of one module.

    For data that is slow to build and that the tests only read (the demo fleet):
    built once per module instead of once per test. Tests that write use ``vigie``.
    """
    tmp = tmp_path_factory.mktemp("module")
    if PG_URL:
        url: str = request.getfixturevalue("_pg_module_schema")
        _empty_pg(url)
    else:
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copyfile(template, tmp / "vigie.db")
        url = f"sqlite:///{tmp / 'vigie.db'}"
    yield from _closing(build_vigie(settings_for(tmp / "data", url)))


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
