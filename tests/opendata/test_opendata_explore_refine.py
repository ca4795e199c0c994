"""Date refines of the records API and exports, read in the asked time zone as Opendatasoft's."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from tests.opendata.helpers import CARPARK_COLUMNS, approve, committee, create
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.explore_odsql import Columns, build

BASE = "/api/explore/v2.1/catalog/datasets"
# Naive moments are UTC. 23:30 UTC on 31 May is 01:30 on 1 June in Paris (UTC+2 in summer); 23:30 UTC on
# 31 December is 00:30 on 1 January in Paris (UTC+1 in winter).
MOMENTS = (
    b"datetime,parking,pourcentage\n"
    b"2024-05-31T23:30:00,A,10\n"
    b"2024-05-31T12:00:00,B,20\n"
    b"2024-06-01T10:00:00,C,30\n"
    b"2024-12-31T23:30:00,D,40\n"
)


@pytest.fixture
def published(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "moments", columns=CARPARK_COLUMNS, rules={})
    do_upload(vigie, publisher, "moments", MOMENTS, "csv")
    approve(vigie, members, "moments")
    do_release(vigie, publisher, "moments")
    return publisher


def _codes(client, **params):
    r = client.get(f"{BASE}/moments/records", params={**params, "order_by": "parking"})
    assert r.status_code == 200, r.text
    return [x["parking"] for x in r.json()["results"]]


@pytest.mark.parametrize(
    ("refine", "utc", "paris"),
    [
        ("datetime:2024/05/31", ["A", "B"], ["B"]),
        ("datetime:2024/06/01", ["C"], ["A", "C"]),
        ("datetime:2024/05", ["A", "B"], ["B"]),
        ("datetime:2024-06", ["C"], ["A", "C"]),
        ("datetime:2024", ["A", "B", "C", "D"], ["A", "B", "C"]),
        ("datetime:2025", [], ["D"]),
        ("datetime:2024/06/01 01", [], ["A"]),
        ("datetime:2024-05-31 23:30", ["A"], []),
        ('datetime:"2024/06/01"', ["C"], ["A", "C"]),
    ],
)
def test_opendata_explore_records_date_refines_read_in_the_asked_time_zone(
    client, published, refine, utc, paris
):
    assert _codes(client, refine=refine) == utc
    assert _codes(client, refine=refine, timezone="UTC") == utc
    assert _codes(client, refine=refine, timezone="Europe/Paris") == paris


def test_opendata_explore_records_date_excludes_read_in_the_asked_time_zone(client, published):
    assert _codes(client, exclude="datetime:2024/05/31") == ["C", "D"]
    assert _codes(client, exclude="datetime:2024/05/31", timezone="Europe/Paris") == ["A", "C", "D"]


def test_opendata_exports_date_refines_read_in_the_asked_time_zone(client, published):
    params = {"refine": "datetime:2024/06/01", "timezone": "Europe/Paris", "order_by": "parking"}
    rows = client.get(f"{BASE}/moments/exports/json", params=params).json()
    assert [x["parking"] for x in rows] == ["A", "C"]
    assert rows[0]["datetime"] == "2024-06-01T01:30:00+02:00"


@pytest.mark.parametrize("value", ["2024/13", "2024-05-32", "yesterday", "2024-05-1x", "99999"])
def test_opendata_explore_records_refuse_a_date_refine_that_is_no_date(client, published, value):
    r = client.get(f"{BASE}/moments/records", params={"refine": f"datetime:{value}"})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "InvalidRESTParameterError" and "refine" in r.json()["message"]


def test_opendata_explore_odsql_a_date_refine_is_the_same_whatever_the_sessions_time_zone():
    """Exports run in a DuckDB whose time zone is the server's: a refine's bounds are instants,
    not local times that a session in Paris would read two hours off."""
    import duckdb

    cols = Columns({"datetime": "time", "parking": "text"}, frozenset({"datetime"}))
    q = build("t", cols, refine=["datetime:2024/06/01"], tz=ZoneInfo("Europe/Paris"), order_by="parking")
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (datetime TIMESTAMPTZ, parking VARCHAR)")
    conn.execute(
        "INSERT INTO t VALUES ('2024-05-31 23:30:00+00', 'A'), ('2024-05-31 21:30:00+00', 'B'),"
        " ('2024-06-01 21:30:00+00', 'C'), ('2024-06-01 22:30:00+00', 'D')"
    )
    for zone in ("UTC", "Europe/Paris", "America/New_York"):
        conn.execute(f"SET TimeZone = '{zone}'")
        assert [r[1] for r in conn.execute(q.sql, q.params).fetchall()] == ["A", "C"], zone
