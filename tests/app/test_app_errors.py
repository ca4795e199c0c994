"""Errors turned into answers: a database too busy to serve in time is a 503 to retry, not a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi import APIRouter
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from vigie.app import create_app


def locked_error(tmp_path: Path) -> OperationalError:
    """SQLite's own refusal while another connection holds the write lock."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        return exc
    finally:
        holder.close()
        engine.dispose()
    raise AssertionError("the write lock was not held")


def other_error(tmp_path: Path) -> OperationalError:
    engine = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


@pytest.fixture
def raising_client(vigie, tmp_path):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    errors = {"locked": locked_error(tmp_path), "other": other_error(tmp_path)}
    app = create_app(vigie=vigie)
    router = APIRouter()

    @router.get("/api/v1/raise/{kind}")
    @router.get("/open311/v2/raise/{kind}.json")
    def raise_it(kind: str) -> None:
        raise errors[kind]

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_errors_database_locked_is_a_503_to_retry(raising_client, caplog):
    r = raising_client.get("/api/v1/raise/locked")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "5"
    assert r.json()["detail"] == "the database is busy: send the request again in a few seconds"
    o = raising_client.get("/open311/v2/raise/locked.json")
    assert o.status_code == 503 and o.headers["retry-after"] == "5"
    assert o.json()[0]["description"] == "the database is busy: send the request again in a few seconds"
    assert "BEGIN IMMEDIATE" not in caplog.text  # the statement is not logged


def test_errors_other_database_faults_stay_500(raising_client):
    r = raising_client.get("/api/v1/raise/other")
    assert r.status_code == 500
    assert r.json()["detail"] == "internal error"


def test_errors_log_the_route_template_not_the_path(raising_client, caplog):
    # A path may hold a secret (/suivi/{token}, an e-mail link's code): the log names the route.
    raising_client.get("/api/v1/raise/other")
    raising_client.get("/open311/v2/raise/locked.json")
    assert "unhandled error on GET /api/v1/raise/{kind}" in caplog.text
    assert "database busy on GET /open311/v2/raise/{kind}.json" in caplog.text
    assert "raise/other" not in caplog.text and "raise/locked" not in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/explore",
        "/api/explore/v2.0/catalog/datasets",
        "/api/explore/v2.1/catalog/datasets/parkings/facets",
        "/api/explore/v2.1/catalog/exports/csv",
    ],
)
def test_errors_unknown_paths_under_explore_answer_opendatasofts_shape(client, path):
    r = client.get(path)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error_code": "NotFound", "message": f"no such path: {path}"}


@pytest.mark.parametrize("path", ["/api/ogc/nope", "/api/ogc/collections/x/items/1/more"])
def test_errors_unknown_paths_under_ogc_answer_the_ogc_exception_shape(client, path):
    r = client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"code": "NotFound", "description": f"no such path: {path}"}
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404 and f"no such path: {path}" in page.text


def test_errors_a_method_the_open_data_apis_do_not_take_is_their_405(client):
    r = client.post("/api/explore/v2.1/catalog/datasets")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    assert r.json()["error_code"] == "MethodNotAllowed" and "POST" in r.json()["message"]
    o = client.delete("/api/ogc/collections", headers={"Accept": "application/json"})
    assert o.status_code == 405 and o.json()["code"] == "MethodNotAllowed"


def test_errors_other_unknown_api_paths_stay_problem_json(client):
    r = client.get("/api/explorer")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
