"""The data lab: read-only SQL over published releases only, with limits; saved queries and permalinks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.opendata.helpers import carpark_dataset, committee, create
from tests.opendata.test_opendata_explore import STOPS_COLUMNS
from vigie.errors import BadRequest
from vigie.opendata.actions import do_release
from vigie.opendata.explore_engine import run, sandbox
from vigie.settings import Settings


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    return vigie_settings.model_copy(update={"lab_rows": 50, "lab_seconds": 2.0})


@pytest.fixture
def published(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=200)
    do_release(vigie, publisher, "parkings")
    return publisher


def _query(client, sql):
    return client.post("/api/v1/lab/query", json={"sql": sql})


def test_opendata_lab_queries_published_releases(client, published):
    r = _query(client, "SELECT parking, count(*) AS n FROM parkings GROUP BY parking ORDER BY n DESC")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["name"] for c in body["columns"]] == ["parking", "n"]
    assert sum(row[1] for row in body["rows"]) == 200 and body["truncated"] is False
    cut = _query(client, "SELECT * FROM parkings").json()
    assert len(cut["rows"]) == 50 and cut["truncated"] is True  # the settings' row limit


def test_opendata_lab_reaches_nothing_unpublished(client, vigie, make_agent, published):
    create(vigie, make_agent("supervisor"), "brouillon", columns=STOPS_COLUMNS, rules={})
    assert "brouillon" in _query(client, "SELECT 1 FROM brouillon").json()["detail"]
    assert _query(client, "SELECT 1 FROM brouillon").status_code == 400


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('/tmp/*.parquet')",
        "COPY (SELECT 1) TO '/tmp/lab-out.csv'",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "ATTACH '/tmp/lab.db' AS x",
        "CREATE TABLE t AS SELECT 1",
        "SELECT 1; SELECT 2",
        "SELECT * FROM read_json('http://example.org/x.json')",
        "SELECT getenv('HOME')",
        "",
    ],
)
def test_opendata_lab_refuses_anything_but_reading_the_releases(client, published, sql):
    r = _query(client, sql)
    assert r.status_code in (400, 422), r.text
    assert r.json()["detail"]


def test_opendata_lab_stops_a_query_past_its_time(client, published):
    r = _query(
        client, "SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range % 7 = b.range"
    )
    assert r.status_code == 503 and "stopped" in r.json()["detail"]


def test_opendata_lab_saved_query_has_a_permalink(client, published):
    r = client.post(
        "/api/v1/lab/queries",
        json={"title": "Taux moyen", "sql": "SELECT avg(pourcentage) AS t FROM parkings"},
    )
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["url"].endswith(f"/labo/{saved['id']}")
    assert client.get(f"/api/v1/lab/queries/{saved['id']}").json()["sql"].startswith("SELECT avg")
    result = client.get(f"/api/v1/lab/queries/{saved['id']}/result").json()
    assert result["columns"][0]["name"] == "t" and len(result["rows"]) == 1
    page = client.get(f"/labo/{saved['id']}")
    assert page.status_code == 200 and "Taux moyen" in page.text and "SELECT avg" in page.text
    assert client.get("/labo").status_code == 200
    assert client.get("/labo/nope").status_code == 404
    bad = client.post("/api/v1/lab/queries", json={"title": "x", "sql": "DROP TABLE parkings"})
    assert bad.status_code == 400
    assert client.post("/api/v1/lab/queries", json={"title": "", "sql": "SELECT 1"}).status_code == 422


def test_opendata_lab_refuses_an_answer_too_large_for_the_server(client, published):
    """Within the row limit, one value can be a hundred megabytes (the server's memory grew by
    500 MB for one anonymous request): the answer's size is limited too."""
    for sql in ("SELECT repeat('x', 20000000) AS s", "SELECT repeat('y', 3000000) AS s FROM range(5)"):
        r = _query(client, sql)
        assert r.status_code == 400, (sql, r.status_code, r.text[:200])
        assert "larger than" in r.json()["detail"]


def test_opendata_lab_sandbox_writes_nothing_to_disk(tmp_path, monkeypatch):
    """Past its memory a query is refused; DuckDB's default spilled it under ``.tmp`` in the
    server's working directory."""
    monkeypatch.chdir(tmp_path)
    sql = "SELECT count(*) FROM (SELECT md5(range::VARCHAR) AS h FROM range(2000000) ORDER BY h)"
    with sandbox({}, memory_mb=16) as conn, pytest.raises(BadRequest, match="more memory"):
        run(conn, sql, seconds=60)
    assert list(Path(tmp_path).iterdir()) == []


def test_opendata_lab_saved_queries_carry_no_contact_data(client, published):
    """Saved queries are public (the lab's page lists the latest): an anonymous caller could
    publish someone's e-mail address or phone number on the city's site through one."""
    for title, sql in (
        ("Appelez Jean au 06 12 34 56 78", "SELECT 1"),
        ("Contact", "SELECT 'jean.dupont@example.org' AS contact"),
    ):
        r = client.post("/api/v1/lab/queries", json={"title": title, "sql": sql})
        assert r.status_code == 422, r.text
        assert "saved queries are public" in r.json()["detail"]
    assert "06 12 34" not in client.get("/labo").text
