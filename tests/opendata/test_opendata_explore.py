"""The records API on Opendatasoft's Explore v2.1 URLs, and the exports, over published releases."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest
from prometheus_client import REGISTRY

from tests.opendata.helpers import approve, carpark_csv, carpark_dataset, committee, create
from vigie.opendata import explore_records
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.explore_odsql import Columns, Facet, ODSQLError, equality, where_sql
from vigie.opendata.queries import published_dataset, published_release, release_store
from vigie.opendata.release_tables import ReleaseTables, release_tables

BASE = "/api/explore/v2.1/catalog/datasets"
STOPS_COLUMNS = [
    {"name": "code", "type": "string", "kind": "id", "fr": "Code", "en": "Code"},
    {"name": "nom", "type": "string", "kind": "category", "fr": "Nom", "en": "Name"},
    {"name": "lat", "type": "float", "kind": "latitude", "fr": "Latitude", "en": "Latitude"},
    {"name": "lon", "type": "float", "kind": "longitude", "fr": "Longitude", "en": "Longitude"},
]
STOPS = b"code,nom,lat,lon\nA,Darcy,47.3225,5.0333\nB,Godrans,47.3230,5.0401\nC,Republique,47.3268,5.0440\n"


@pytest.fixture
def published(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=300)
    do_release(vigie, publisher, "parkings")
    create(vigie, publisher, "arrets", columns=STOPS_COLUMNS, rules={})
    do_upload(vigie, publisher, "arrets", STOPS, "csv")
    approve(vigie, members, "arrets")
    do_release(vigie, publisher, "arrets")
    return publisher


def test_opendata_explore_catalog_lists_published_datasets(client, published):
    r = client.get(BASE)
    assert r.status_code == 200
    body = r.json()
    assert body["total_count"] == 2
    ids = [d["dataset_id"] for d in body["results"]]
    assert ids == ["arrets", "parkings"]
    parkings = client.get(f"{BASE}/parkings", params={"lang": "en"}).json()
    assert [f["name"] for f in parkings["fields"]] == ["datetime", "parking", "pourcentage"]
    assert (
        parkings["fields"][1]["label"] == "Car park" and parkings["metas"]["default"]["records_count"] == 300
    )
    assert "geo" in client.get(f"{BASE}/arrets").json()["features"]


def test_opendata_explore_records_query_the_release(client, published):
    r = client.get(f"{BASE}/parkings/records")
    assert r.status_code == 200
    body = r.json()
    assert body["total_count"] == 300 and len(body["results"]) == 10  # ten by default
    some = body["results"][0]["parking"]
    r = client.get(
        f"{BASE}/parkings/records",
        params={
            "where": f'parking = "{some}" and pourcentage >= 0',
            "order_by": "datetime desc",
            "limit": 100,
        },
    )
    rows = r.json()["results"]
    assert rows and all(x["parking"] == some for x in rows)
    assert [x["datetime"] for x in rows] == sorted((x["datetime"] for x in rows), reverse=True)
    grouped = client.get(
        f"{BASE}/parkings/records",
        params={
            "select": "parking, count(*) as n, avg(pourcentage) as moyenne",
            "group_by": "parking",
            "order_by": "n desc",
        },
    ).json()
    assert sum(g["n"] for g in grouped["results"]) == 300 and grouped["total_count"] == len(
        grouped["results"]
    )
    refined = client.get(f"{BASE}/parkings/records", params={"refine": f"parking:{some}", "limit": 0}).json()
    excluded = client.get(
        f"{BASE}/parkings/records", params={"exclude": f"parking:{some}", "limit": 0}
    ).json()
    assert refined["total_count"] + excluded["total_count"] == 300 and refined["results"] == []
    # The last page, a page past the end and a full page all carry the same total.
    for offset, returned in ((250, 50), (400, 0), (0, 100)):
        page = client.get(f"{BASE}/parkings/records", params={"limit": 100, "offset": offset}).json()
        assert (page["total_count"], len(page["results"])) == (300, returned)
    paris = client.get(f"{BASE}/parkings/records", params={"limit": 1, "timezone": "Europe/Paris"}).json()
    assert paris["results"][0]["datetime"].endswith(("+01:00", "+02:00"))
    search = client.get(f"{BASE}/arrets/records", params={"where": '"godr"'}).json()
    assert [x["code"] for x in search["results"]] == ["B"]
    like = client.get(f"{BASE}/arrets/records", params={"where": 'nom like "Re*" or code in ("A")'}).json()
    assert sorted(x["code"] for x in like["results"]) == ["A", "C"]


def _answers_kept(vigie, dataset_id):
    p = published_dataset(vigie, dataset_id)
    with release_tables(vigie).query(p.release, release_store(vigie).local_path(p.release.file_key)) as r:
        return len(r.answers)


def test_opendata_explore_records_cached_answers_equal_uncached_and_follow_a_new_release(
    client, vigie, published
):
    some = client.get(f"{BASE}/parkings/records", params={"limit": 1}).json()["results"][0]["parking"]
    queries = [
        {"select": "parking, count(*) as n", "group_by": "parking", "order_by": "n desc, parking"},
        {"select": "count(*) as n, avg(pourcentage) as m"},
        {"refine": f"parking:{some}", "limit": 5, "order_by": "datetime"},
        {"where": f'parking = "{some}"', "order_by": "datetime desc", "limit": 20, "offset": 3},
        {"limit": 100, "offset": 100},
        {"limit": 3, "order_by": "datetime", "timezone": "Europe/Paris"},
        {"limit": 3, "order_by": "datetime"},  # the same rows, in UTC: another answer
        {"where": 'pourcentage = "plein"'},  # refused by DuckDB when it runs: never kept
    ]

    def answers():
        out = []
        for q in queries:
            r = client.get(f"{BASE}/parkings/records", params=q)
            out.append((r.status_code, r.headers.get("etag"), r.headers.get("last-modified"), r.json()))
        return out

    vigie.caches.release_tables = ReleaseTables(answers_bytes=0)  # nothing kept: every answer computed
    uncached = answers()
    assert _answers_kept(vigie, "parkings") == 0
    vigie.caches.release_tables.close()
    vigie.caches.release_tables = ReleaseTables()
    first, again = answers(), answers()
    assert first == again == uncached
    assert [a[0] for a in first] == [200] * 7 + [400] and "query failed" in first[7][3]["message"]
    assert first[5][3]["results"][0]["datetime"].endswith(("+01:00", "+02:00"))
    assert first[6][3]["results"][0]["datetime"].endswith("+00:00")
    # 300 rows, ten car parks of 30: seven answers, and what the totals of full pages came
    # from: the count of groups, the car parks' counts (the refine and the where on one car
    # park), every row's count (the offset and time zone pages); the aggregate needs none; and
    # the car parks' checkpoints (where their rows are, read by the refine's and the where's pages).
    assert [a[3]["total_count"] for a in first[:5]] == [10, 1, 30, 30, 300]
    assert _answers_kept(vigie, "parkings") == 7 + 3 + 1

    # Spelt otherwise (another order, lang): the same answer and ETag, kept, nothing more kept.
    kept_before = REGISTRY.get_sample_value(
        "vigie_opendata_answers_total", {"part": "answer", "result": "kept"}
    )
    respelt = client.get(
        f"{BASE}/parkings/records",
        params=[("order_by", "datetime"), ("lang", "en"), ("limit", "5"), ("refine", f"parking:{some}")],
    )
    assert (respelt.json(), respelt.headers["etag"]) == (first[2][3], first[2][1])
    assert _answers_kept(vigie, "parkings") == 11
    kept_after = REGISTRY.get_sample_value(
        "vigie_opendata_answers_total", {"part": "answer", "result": "kept"}
    )
    assert kept_after == kept_before + 1
    unchanged = client.get(
        f"{BASE}/parkings/records", params=queries[2], headers={"If-None-Match": first[2][1]}
    )
    assert (
        unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == first[2][1]
    )

    do_upload(vigie, published, "parkings", carpark_csv(120), "csv")
    do_release(vigie, published, "parkings")
    # What a records request reads of the database: the same release as the dataset's own.
    assert published_release(vigie, "parkings") == published_dataset(vigie, "parkings").release
    assert published_release(vigie, "parkings").version == 2
    renewed = answers()
    assert sum(g["n"] for g in renewed[0][3]["results"]) == 120 and renewed[1][3]["results"][0]["n"] == 120
    assert [a[3]["total_count"] for a in renewed[:5]] == [10, 1, 12, 12, 120]
    assert len(renewed[4][3]["results"]) == 20
    assert all(new[1] != old[1] for new, old in zip(renewed[:7], first[:7], strict=True))  # new ETags
    stale = client.get(f"{BASE}/parkings/records", params=queries[2], headers={"If-None-Match": first[2][1]})
    assert stale.status_code == 200 and stale.json() == renewed[2][3]
    # The old release's answers went with it: the seven answers and three totals (groups,
    # the car parks' counts for the refine, every row; the where and offset pages are now last
    # pages), and the car parks' checkpoints.
    assert _answers_kept(vigie, "parkings") == 7 + 3 + 1


def test_opendata_explore_records_write_rows_as_the_json_export(client, published):
    """The records API writes its rows from Arrow; the JSON export row by row: the same rows."""
    query = {"where": "pourcentage >= 50", "order_by": "datetime desc, parking", "limit": 100}
    for zone in ("Europe/Paris", "America/New_York", "UTC"):
        records = client.get(f"{BASE}/parkings/records", params={**query, "timezone": zone}).json()
        exported = client.get(f"{BASE}/parkings/exports/json", params={**query, "timezone": zone}).json()
        assert len(records["results"]) == 100 and records["results"] == exported
    summed = client.get(f"{BASE}/parkings/records", params={"select": "sum(pourcentage) as s"})
    assert summed.status_code == 200 and isinstance(summed.json()["results"][0]["s"], int)


@pytest.mark.parametrize("step", [100, 4])
def test_opendata_explore_records_pages_by_date_are_slices_of_one_order(
    client, vigie, published, monkeypatch, step
):
    """The release is stored newest first, ties in their order; a page by date in either direction,
    or not ordered, at any offset, is a slice of that order (reversed for ``asc``), read off a
    scan, not a sort. For one equality the scan starts at a checkpoint of its value (every
    ``step``-th row): the same pages, past the last checkpoint and past the end too."""
    monkeypatch.setattr(explore_records, "STEP", step)
    vigie.caches.release_tables = ReleaseTables()  # checkpoints made at this step
    labels = {"part": "positions", "result": "kept"}
    started_from_checkpoints = REGISTRY.get_sample_value("vigie_opendata_answers_total", labels) or 0
    p = published_dataset(vigie, "parkings")
    stored = pq.read_table(release_store(vigie).local_path(p.release.file_key)).to_pylist()
    moments = [r["datetime"] for r in stored]
    assert moments == sorted(moments, reverse=True) and len(set(moments)) < len(moments)  # ties
    some, share = stored[0]["parking"], stored[0]["pourcentage"]
    cases = [
        ({}, stored),
        ({"where": f'parking = "{some}"'}, [r for r in stored if r["parking"] == some]),
        ({"refine": f"parking:{some}"}, [r for r in stored if r["parking"] == some]),
        ({"where": f"pourcentage = {share}"}, [r for r in stored if r["pourcentage"] == share]),
        ({"where": 'parking = "nulle part"'}, []),
    ]
    for query, rows in cases:
        expected = [(r["datetime"].isoformat(), r["parking"], r["pourcentage"]) for r in rows]
        for direction, order in (("desc", expected), ("asc", expected[::-1]), ("", expected)):
            paged, totals = [], set()
            for offset in range(0, len(rows) + 7, 7):
                params = {
                    "order_by": f"datetime {direction}" if direction else "",
                    "limit": 7,
                    "offset": offset,
                }
                body = client.get(f"{BASE}/parkings/records", params={**params, **query}).json()
                totals.add(body["total_count"])
                paged += [(x["datetime"], x["parking"], x["pourcentage"]) for x in body["results"]]
            assert totals == {len(rows)}, (query, direction)
            assert paged == order, (query, direction)
    # The equalities' pages started from their checkpoints (read from the loaded release).
    assert REGISTRY.get_sample_value("vigie_opendata_answers_total", labels) > started_from_checkpoints


def test_opendata_explore_records_a_field_of_too_many_values_has_no_checkpoints(
    client, vigie, published, monkeypatch
):
    """Checkpoints are made for facets only (counts of at most FACET_VALUES values), not for an
    identifier's million values: its pages scan from the first row, and are the same."""
    monkeypatch.setattr(explore_records, "FACET_VALUES", 5)  # ten car parks: not a facet now
    vigie.caches.release_tables = ReleaseTables()
    labels = {"part": "positions", "result": "computed"}
    before = REGISTRY.get_sample_value("vigie_opendata_answers_total", labels) or 0
    p = published_dataset(vigie, "parkings")
    stored = pq.read_table(release_store(vigie).local_path(p.release.file_key)).to_pylist()
    some = stored[0]["parking"]
    rows = [r["datetime"].isoformat() for r in stored if r["parking"] == some]
    query = {"where": f'parking = "{some}"', "order_by": "datetime asc", "limit": 7, "offset": 3}
    body = client.get(f"{BASE}/parkings/records", params=query).json()
    assert body["total_count"] == len(rows)
    assert [x["datetime"] for x in body["results"]] == rows[::-1][3:10]
    assert (REGISTRY.get_sample_value("vigie_opendata_answers_total", labels) or 0) == before


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"limit": 101}, "InvalidRESTParameterError", "limit"),
        ({"limit": 100, "offset": 9950}, "InvalidRESTParameterError", "10000"),
        ({"offset": -1}, "InvalidRESTParameterError", "offset"),
        # int() reads "1_0" as 10 and other scripts' digits as ours
        ({"limit": "1_0"}, "InvalidRESTParameterError", "limit must be an integer"),
        ({"limit": "\u0665"}, "InvalidRESTParameterError", "limit must be an integer"),
        ({"offset": " 5"}, "InvalidRESTParameterError", "offset must be an integer"),
        ({"where": "nope = 1"}, "ODSQLError", "unknown field"),
        ({"where": "parking = "}, "ODSQLError", "end"),
        ({"where": "parking = 'x'; drop table t"}, "ODSQLError", "cannot read"),
        # a field alone is a condition when it is true or false; a number alone was compared
        # to TRUE, that is to 1, and answered the rows where it is 1
        ({"where": "pourcentage"}, "ODSQLError", "expected a comparison after 'pourcentage'"),
        ({"where": "parking and pourcentage > 0"}, "ODSQLError", "expected a comparison after 'parking'"),
        ({"select": "sqrt(pourcentage)"}, "ODSQLError", "not supported"),
        ({"refine": "parking"}, "InvalidRESTParameterError", "field:value"),
        ({"timezone": "Mars/Olympus"}, "InvalidRESTParameterError", "timezone"),
        ({"sql": "select 1"}, "InvalidRESTParameterError", "unknown parameter"),
        # An attacker's nesting or numbers: refused by name, not a 500 from Python's limits
        ({"where": "(" * 400 + "pourcentage = 1" + ")" * 400}, "ODSQLError", "nested"),
        ({"where": "NOT " * 1000 + "pourcentage = 1"}, "ODSQLError", "nested"),
        ({"where": "pourcentage = 1" + "0" * 5000}, "ODSQLError", "number"),
        # The same field listed thousands of times: DuckDB planned it for tens of seconds
        ({"group_by": ",".join(["parking"] * 3000)}, "ODSQLError", "more than 100 items"),
        ({"select": ",".join(["parking"] * 101)}, "ODSQLError", "more than 100 items"),
        ({"order_by": ",".join(["parking"] * 101)}, "ODSQLError", "more than 100 items"),
    ],
)
def test_opendata_explore_refuses_clearly(client, published, params, code, words):
    r = client.get(f"{BASE}/parkings/records", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == code and words in r.json()["message"]


def test_opendata_explore_records_take_a_long_flat_condition(client, published):
    """1,500 conditions joined by AND (or OR) are one level deep, not 1,500
    (DuckDB refuses expressions deeper than 1,000 levels)."""
    for joiner in (" AND ", " OR "):
        where = joiner.join(['parking!="x"'] * 1500)
        r = client.get(f"{BASE}/parkings/records", params={"where": where, "select": "count(*) as n"})
        assert r.status_code == 200, r.text
        assert r.json()["results"] == [{"n": 300}]


@pytest.mark.parametrize(
    "params",
    [
        # what DuckDB finds only while reading rows, past a LIMIT 0 probe
        {"where": 'year(datetime) = "x"'},
        {"where": "parking = 5"},
        {"where": "datetime > date'abc'"},
        {"limit": "99999999999999999999"},
        {"offset": "99999999999999999999"},
    ],
)
def test_opendata_exports_refuse_a_bad_query_before_the_first_byte(client, published, params):
    for fmt in ("csv", "json"):
        r = client.get(f"{BASE}/parkings/exports/{fmt}", params=params)
        assert r.status_code == 400, (fmt, r.status_code, r.text[:200])
        assert r.json()["error_code"] in ("InvalidRESTParameterError", "ODSQLError")


def test_opendata_explore_unknown_or_unpublished_is_404(client, vigie, make_agent, published):
    create(vigie, make_agent("supervisor"), "brouillon", columns=STOPS_COLUMNS, rules={})
    for url in (f"{BASE}/brouillon/records", f"{BASE}/nope", f"{BASE}/brouillon/exports/csv"):
        r = client.get(url)
        assert r.status_code == 404 and r.json()["error_code"] == "NotFound"


def test_opendata_exports_every_format(client, published):
    url = f"{BASE}/parkings/exports"
    r = client.get(f"{url}/csv")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["datetime", "parking", "pourcentage"] and len(rows) == 301
    plain = client.get(
        f"{url}/csv", params={"delimiter": ",", "with_bom": "false", "where": "pourcentage > 50"}
    )
    assert not plain.content.startswith(b"\xef\xbb\xbf") and plain.text.splitlines()[0].count(",") == 2
    assert len(client.get(f"{url}/json").json()) == 300
    assert len(client.get(f"{url}/jsonl").text.splitlines()) == 300
    table = pq.read_table(io.BytesIO(client.get(f"{url}/parquet").content))
    assert table.num_rows == 300 and table.column_names == ["datetime", "parking", "pourcentage"]
    with zipfile.ZipFile(io.BytesIO(client.get(f"{url}/xlsx").content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 301 and "pourcentage" in book_strings(sheet, url, client)
    geo = client.get(f"{BASE}/arrets/exports/geojson").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 3
    assert geo["features"][0]["geometry"]["coordinates"] == [5.0333, 47.3225]
    assert client.get(f"{url}/geojson").status_code == 400  # no position in it
    assert client.get(f"{url}/shp").status_code == 404


def book_strings(sheet: str, url: str, client) -> str:
    """The sheet's text, shared strings included (xlsxwriter writes inline strings in constant memory)."""
    return sheet


def test_opendata_exports_are_cached_and_gzipped(client, published):
    url = f"{BASE}/parkings/exports/csv"
    r = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["etag"] and r.headers["last-modified"]
    assert r.text.splitlines()[0].lstrip("\ufeff") == '"datetime";"parking";"pourcentage"'  # decoded
    again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    since = client.get(url, headers={"If-Modified-Since": r.headers["last-modified"]})
    assert since.status_code == 304
    other = client.get(url, params={"where": "pourcentage > 50"})
    assert other.headers["etag"] != r.headers["etag"]
    assert json.loads(client.get(f"{BASE}/parkings/exports/json", params={"limit": 2}).text).__len__() == 2


def test_opendata_explore_odsql_a_boolean_field_alone_is_a_condition():
    cols = Columns({"actif": "bool", "places": "number"})
    assert where_sql("actif and not actif", cols, []) == '(("actif" = TRUE) AND (NOT ("actif" = TRUE)))'
    with pytest.raises(ODSQLError, match="expected a comparison after 'places'"):
        where_sql("places", cols, [])


def test_opendata_explore_odsql_equality_is_one_field_against_a_value_of_its_kind():
    cols = Columns({"nom": "text", "n": "number", "quand": "time"})
    assert equality(['nom = "Darcy"'], [], [], cols) == Facet("nom", "Darcy")
    assert equality(["'Darcy' = nom"], [], [], cols) == Facet("nom", "Darcy")
    assert equality(["n = 5"], [], [], cols) == Facet("n", 5.0)
    assert equality([], ["nom:Darcy"], [], cols) == Facet("nom", "Darcy")
    for where, refine, exclude in (
        (['nom = "a"', 'nom = "b"'], [], []),  # two conditions
        (['nom = "a"'], [], ["nom:b"]),
        (['nom != "a"'], [], []),
        (['(nom = "a")'], [], []),
        (["nom = 5"], [], []),  # a number against a text: DuckDB's casts decide
        (['n = "5"'], [], []),
        (["n = 9007199254740993"], [], []),  # past 2**53: not held exactly by a double
        ([], ["quand:2023-06"], []),  # a date refines by prefix
        ([], ["n:5"], []),
    ):
        assert equality(where, refine, exclude, cols) is None, (where, refine, exclude)


def test_opendata_explore_records_totals_from_a_fields_counts_equal_counted_ones(
    client, vigie, published, monkeypatch
):
    parks = [g["parking"] for g in client.get(
        f"{BASE}/parkings/records", params={"select": "parking", "group_by": "parking"}
    ).json()["results"]]  # fmt: skip
    rates = [50, 68, 0, 100, 1000]

    def totals():
        out = []
        for value in [*parks, "NULLE-PART"]:
            out.append(
                client.get(f"{BASE}/parkings/records", params={"where": f'parking = "{value}"', "limit": 2})
            )
            out.append(
                client.get(f"{BASE}/parkings/records", params={"refine": f"parking:{value}", "limit": 2})
            )
        for rate in rates:
            out.append(
                client.get(f"{BASE}/parkings/records", params={"where": f"pourcentage = {rate}", "limit": 1})
            )
        return [r.json()["total_count"] for r in out]

    def counted():
        out = []
        for value in [*parks, "NULLE-PART"]:
            where = f'parking = "{value}"'
            n = client.get(f"{BASE}/parkings/records", params={"select": "count(*) as n", "where": where})
            out += [n.json()["results"][0]["n"]] * 2
        for rate in rates:
            n = client.get(
                f"{BASE}/parkings/records",
                params={"select": "count(*) as n", "where": f"pourcentage = {rate}"},
            )
            out.append(n.json()["results"][0]["n"])
        return out

    expected = counted()
    assert expected[:2] == [30, 30] and expected[-1] == 0 and sum(expected[:20]) == 600
    assert totals() == expected
    p = published_dataset(vigie, "parkings")
    with release_tables(vigie).query(p.release, release_store(vigie).local_path(p.release.file_key)) as r:
        assert r.answers.find(("counts", "parking", True))[1] == dict.fromkeys(parks, 30)
    # A field with more values than a facet holds: its totals are counted, the same.
    monkeypatch.setattr(explore_records, "FACET_VALUES", 3)
    vigie.caches.release_tables.close()
    vigie.caches.release_tables = ReleaseTables()
    assert totals() == expected
    with release_tables(vigie).query(p.release, release_store(vigie).local_path(p.release.file_key)) as r:
        assert r.answers.find(("counts", "pourcentage", False)) == (True, None)


def test_opendata_explore_records_encode_writes_what_the_row_by_row_writer_writes():
    from datetime import UTC, date, datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    import orjson
    import pyarrow as pa

    from vigie.opendata.exports import rows

    moments = [datetime(2026, 3, 29, 0, 59, 59, 123456), datetime(2026, 10, 25, 1, 0), None]
    table = pa.table(
        {
            "naive": pa.array(moments, pa.timestamp("us")),
            "aware": pa.array([m and m.replace(tzinfo=UTC) for m in moments], pa.timestamp("ms", tz="UTC")),
            "day": pa.array([date(2026, 1, 31), None, date(2026, 2, 1)]),
            "kind": pa.array(["parc", None, "parc"]).dictionary_encode(),
            "n": pa.array([1.5, None, -2.0]),
        }
    )
    for zone in ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"):
        tz = ZoneInfo(zone)
        expected = orjson.dumps(
            {"total_count": 3, "results": [r for b in table.to_batches() for r in rows(b, tz)]}
        )
        assert explore_records.encode(table, 3, tz) == expected, zone
    summed = pa.table({"s": pa.array([Decimal(12), Decimal("1.5")], pa.decimal128(38, 1))})
    assert orjson.loads(explore_records.encode(summed, 2, ZoneInfo("UTC")))["results"] == [
        {"s": 12},
        {"s": 1.5},
    ]
