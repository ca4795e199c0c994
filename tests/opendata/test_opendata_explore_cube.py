"""A group_by count answered from the release's rows counted by the fields it reads."""

from __future__ import annotations

import pytest

from tests.opendata.test_opendata_explore import BASE, published  # noqa: F401 - the fixture
from vigie.opendata import explore_cube, explore_records
from vigie.opendata.explore_cube import cube_of
from vigie.opendata.explore_odsql import Columns, build
from vigie.opendata.queries import published_dataset, release_store
from vigie.opendata.release_tables import ReleaseTables, release_tables

# Orders that leave no tie (the plain scan and the counted table may list tied groups apart).
QUERIES = [
    {"select": "parking, count(*) as n", "group_by": "parking", "order_by": "parking", "limit": 100},
    {"select": "parking, count(*) as n", "group_by": "parking", "order_by": "parking desc", "limit": 3},
    {"select": "count(*) as n", "group_by": "month(datetime) as m, day(datetime) as d", "order_by": "m, d"},
    {"group_by": "day(datetime) as d", "order_by": "d desc", "where": "pourcentage = 50"},
    {"select": "parking, count(*)", "group_by": "parking", "order_by": "parking", "where": "pourcentage = 0"},
    {"select": "count(*) as n", "group_by": "day(datetime) as d", "order_by": "d",
     "refine": "parking:{some}"},
    {"select": "pourcentage, count(*) as n", "group_by": "pourcentage", "order_by": "pourcentage",
     "where": 'parking = "{some}"', "limit": 5, "offset": 2},
]  # fmt: skip


def _answers(client, some: str) -> list[tuple[int, bytes]]:
    out = []
    for q in QUERIES:
        params = {k: v.format(some=some) if isinstance(v, str) else v for k, v in q.items()}
        r = client.get(f"{BASE}/parkings/records", params=params)
        out.append((r.status_code, r.content))
    return out


def _cubes(vigie) -> dict:
    p = published_dataset(vigie, "parkings")
    with release_tables(vigie).query(p.release, release_store(vigie).local_path(p.release.file_key)) as r:
        made = r.cursor.sql("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '__cube_%'")
        return {"tables": len(made.fetchall()), "kept": [k for k in r.answers._kept if k[0] == "cube"]}


@pytest.mark.usefixtures("published")
def test_opendata_explore_cube_answers_equal_the_scan_of_every_row(client, vigie, monkeypatch):
    some = client.get(f"{BASE}/parkings/records", params={"limit": 1}).json()["results"][0]["parking"]
    counted = _answers(client, some)
    assert [code for code, _ in counted] == [200] * len(QUERIES), counted
    made = _cubes(vigie)
    assert made["tables"] >= 4 and len(made["kept"]) == made["tables"]  # (datetime), (parking), …
    # The same answers, every row scanned: no counted table, and no answer kept from the first pass.
    monkeypatch.setattr(explore_records, "cube_of", lambda q, limit, offset: None)
    vigie.caches.release_tables.close()
    vigie.caches.release_tables = ReleaseTables()
    assert _answers(client, some) == counted
    assert _cubes(vigie)["tables"] == 0
    # A full page's total counts the groups: ten car parks, three a page.
    assert b'"total_count":10' in counted[1][1]


@pytest.mark.usefixtures("published")
def test_opendata_explore_cube_too_many_counted_rows_scans_the_release(client, vigie, monkeypatch):
    some = client.get(f"{BASE}/parkings/records", params={"limit": 1}).json()["results"][0]["parking"]
    expected = _answers(client, some)
    monkeypatch.setattr(explore_cube, "MAX_ROWS", 5)
    vigie.caches.release_tables.close()
    vigie.caches.release_tables = ReleaseTables()
    assert _answers(client, some) == expected
    made = _cubes(vigie)
    # Each counted table past five rows was dropped, remembered as too large.
    assert made["tables"] == 0 and made["kept"]


@pytest.mark.parametrize(
    ("params", "answered"),
    [
        ({"select": "a, count(*) as n", "group_by": "a", "order_by": "n desc"}, True),
        ({"select": "count(*)", "group_by": "year(t)", "where": ['b = "x"']}, True),
        ({"group_by": "a", "refine": ["b:x"]}, True),
        ({"select": "a, avg(c) as m", "group_by": "a"}, False),  # an aggregate other than a count
        ({"select": "a, count(*)", "group_by": "a", "where": ["c > 1"]}, False),  # not an equality
        ({"select": "a, count(*)", "group_by": "a", "where": ['b = "x"', "c = 1"]}, False),  # two
        ({"select": "a, count(*)", "group_by": "a", "order_by": "c"}, False),  # order on another field
        ({"select": "count(*)", "where": ['b = "x"']}, False),  # no group: an empty count is 0, not NULL
        ({"select": "a", "where": ['b = "x"']}, False),  # rows
    ],
)
def test_opendata_explore_cube_answers_only_counts_by_groups_under_one_equality(params, answered):
    cols = Columns({"a": "text", "b": "text", "c": "number", "t": "time"})
    q = build("d", cols, limit=10, offset=0, **params)
    cube = cube_of(q, 10, 0)
    assert (cube is not None) == answered
    if cube is not None:
        assert " count(*)" not in cube.sql and cube.table in cube.sql
        assert cube.sql.endswith("LIMIT 10 OFFSET 0")
