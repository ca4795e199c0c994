"""The ODSQL subset's reading and its bounds, on the parser and through the records API."""

from __future__ import annotations

import pytest

from tests.opendata.helpers import carpark_dataset, committee
from vigie.opendata.actions import do_release
from vigie.opendata.explore_odsql import Columns, ODSQLError, where_sql

BASE = "/api/explore/v2.1/catalog/datasets"


@pytest.fixture
def published(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=300)
    do_release(vigie, publisher, "parkings")
    return publisher


def test_opendata_explore_odsql_a_value_before_the_field_is_a_comparison():
    cols = Columns({"nom": "text", "n": "number"})
    params: list[object] = []
    assert where_sql("'Darcy' = nom and 5 < n", cols, params) == '((? = "nom") AND (? < "n"))'
    assert params == ["Darcy", 5]
    # A string alone is still a text search, and before AND/OR too.
    assert where_sql('"Darcy" or nom = "x"', cols, []).startswith('((CAST("nom" AS VARCHAR) ILIKE ?)')


@pytest.mark.parametrize("where", ["'x' in (nom)", "'x' like nom", "'x' is null", "'x' not in (nom)"])
def test_opendata_explore_odsql_a_value_before_in_like_or_is_is_refused_by_name(where):
    with pytest.raises(ODSQLError, match="needs a field on its left, got the value"):
        where_sql(where, Columns({"nom": "text"}), [])


def test_opendata_explore_records_a_value_first_answers_as_the_field_first(client, published):
    some = client.get(f"{BASE}/parkings/records", params={"limit": 1}).json()["results"][0]["parking"]
    url = f"{BASE}/parkings/records"
    first = client.get(url, params={"where": f"'{some}' = parking", "limit": 100})
    assert first.status_code == 200, first.text
    plain = client.get(url, params={"where": f"parking = '{some}'", "limit": 100}).json()
    assert first.json() == plain and plain["total_count"] > 0
    below = client.get(url, params={"where": "50 > pourcentage", "select": "count(*) as n"}).json()
    above = client.get(url, params={"where": "pourcentage < 50", "select": "count(*) as n"}).json()
    assert below == above
