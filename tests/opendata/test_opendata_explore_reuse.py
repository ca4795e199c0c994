"""The records API and exports as a reuser calls them, URLs copied from Opendatasoft's own docs:
a page of groups past 100, quoted and slashed refine values, times in the CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.opendata.helpers import approve, committee, create
from vigie.opendata.actions import do_release, do_upload

BASE = "/api/explore/v2.1/catalog/datasets"
COLUMNS = [
    {"name": "capteur", "type": "string", "kind": "category", "fr": "Capteur", "en": "Sensor"},
    {"name": "quand", "type": "timestamp", "kind": "time", "fr": "Quand", "en": "When"},
    {"name": "valeur", "type": "int", "kind": "measure", "fr": "Valeur", "en": "Value"},
]
SENSORS = 150  # more groups than a page of records holds (100)


def _rows() -> bytes:
    lines = ["capteur,quand,valeur"]
    for i in range(SENSORS):
        lines.append(f"C{i:03d},2026-03-{1 + i % 28:02d}T10:30:00,{i}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def sensors(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "capteurs", columns=COLUMNS, rules={})
    do_upload(vigie, publisher, "capteurs", _rows(), "csv")
    approve(vigie, members, "capteurs")
    do_release(vigie, publisher, "capteurs")
    return "capteurs"


def test_opendata_explore_records_group_by_pages_hold_up_to_20000_groups(client, sensors):
    """Opendatasoft's bounds with a group_by are 20,000 a page and offset + limit <= 20,000."""
    url = f"{BASE}/{sensors}/records"
    r = client.get(url, params={"select": "capteur, count(*) as n", "group_by": "capteur", "limit": 1000})
    assert r.status_code == 200, r.text
    assert r.json()["total_count"] == SENSORS and len(r.json()["results"]) == SENSORS
    every = client.get(url, params={"group_by": "capteur", "limit": -1})
    assert every.status_code == 200 and len(every.json()["results"]) == SENSORS
    for params, words in (
        ({"group_by": "capteur", "limit": 20001}, "limit <= 20000"),
        ({"group_by": "capteur", "limit": 100, "offset": 19950}, "<= 20000"),
        ({"limit": 101}, "limit <= 100"),  # rows, not groups: 100 a page as before
    ):
        refused = client.get(url, params=params)
        assert refused.status_code == 400, (params, refused.text)
        assert refused.json()["error_code"] == "InvalidRESTParameterError"
        assert words in refused.json()["message"]


@pytest.mark.parametrize(
    ("refine", "expected"),
    [
        ("capteur:C007", 1),
        ('capteur:"C007"', 1),  # quoted, as Opendatasoft's docs write a refine
        ("capteur:'C007'", 1),
        ("quand:2026-03", SENSORS),
        ("quand:2026/03", SENSORS),  # a date facet's path, parts joined by /
        ('quand:"2026/03/02"', len(range(1, SENSORS, 28))),
    ],
)
def test_opendata_explore_refine_reads_quoted_values_and_date_paths(client, sensors, refine, expected):
    url = f"{BASE}/{sensors}/records"
    kept = client.get(url, params={"refine": refine, "select": "count(*) as n"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["results"] == [{"n": expected}]
    left = client.get(url, params={"exclude": refine, "select": "count(*) as n"})
    assert left.json()["results"] == [{"n": SENSORS - expected}]
    # the same count whether the total is read in the field's counts or counted
    page = client.get(url, params={"refine": refine, "limit": 1})
    assert page.json()["total_count"] == expected


@pytest.mark.parametrize(
    ("timezone", "moment"),
    [(None, "2026-03-01T10:30:00+00:00"), ("Europe/Paris", "2026-03-01T11:30:00+01:00")],
)
def test_opendata_exports_csv_writes_moments_as_the_json_export_in_the_asked_zone(
    client, sensors, timezone, moment
):
    params = {"refine": "capteur:C000"} | ({"timezone": timezone} if timezone else {})
    text = client.get(f"{BASE}/{sensors}/exports/csv", params=params).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["quand"] for r in rows] == [moment]
    assert client.get(f"{BASE}/{sensors}/exports/json", params=params).json()[0]["quand"] == moment


def test_opendata_explore_exports_link_lists_the_formats(client, sensors):
    """The dataset's ``exports`` link answers, as Opendatasoft's does, a link per format."""
    link = next(x["href"] for x in client.get(f"{BASE}/{sensors}").json()["links"] if x["rel"] == "exports")
    r = client.get(link)
    assert r.status_code == 200, r.text
    formats = {x["rel"]: x["href"] for x in r.json()["links"]}
    assert formats.pop("self") == link
    assert set(formats) == {"csv", "json", "jsonl", "parquet", "xlsx"}  # no position: no GeoJSON
    assert all(client.get(href, params={"limit": 1}).status_code == 200 for href in formats.values())
    missing = client.get(f"{BASE}/nope/exports")
    assert missing.status_code == 404 and missing.json()["error_code"] == "NotFound"
