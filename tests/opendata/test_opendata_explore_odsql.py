"""The ODSQL subset's reading and its bounds, on the parser and through the records API."""

from __future__ import annotations

import pytest

from tests.opendata.helpers import carpark_dataset, committee
from vigie.opendata.actions import do_release
from vigie.opendata.explore_odsql import (
    MAX_FACETS,
    MAX_MATCHES,
    MAX_SEARCHES,
    MAX_VALUES,
    Columns,
    ODSQLError,
    RESTParameterError,
    build,
    where_sql,
)

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


def test_opendata_explore_odsql_bounds_the_bare_text_searches_of_a_query():
    cols = Columns({"a": "text", "b": "text", "n": "number"})
    build("t", cols, where=['"x"'] * MAX_SEARCHES)
    with pytest.raises(ODSQLError, match=f"more than {MAX_SEARCHES} bare text searches"):
        build("t", cols, where=['"x"'] * (MAX_SEARCHES + 1))
    with pytest.raises(ODSQLError, match=f"more than {MAX_SEARCHES} bare text searches"):
        build("t", cols, where=[" or ".join(['"x"'] * (MAX_SEARCHES + 1))])


def test_opendata_explore_odsql_bounds_the_text_matches_of_a_query():
    # A bare search counts once per text field: on 30 text fields, 4 of them are 120 matches.
    wide = Columns({f"t{i}": "text" for i in range(30)})
    build("t", wide, where=['"x"'] * 3)
    with pytest.raises(ODSQLError, match=f"more than {MAX_MATCHES} text matches"):
        build("t", wide, where=['"x"'] * 4)
    cols = Columns({"a": "text"})
    with pytest.raises(ODSQLError, match=f"more than {MAX_MATCHES} text matches"):
        build("t", cols, where=[" or ".join(['a like "x*"'] * (MAX_MATCHES + 1))])
    with pytest.raises(ODSQLError, match=f"more than {MAX_MATCHES} text matches"):
        build("t", cols, where=['search(a, "x")'] * 60 + ['startswith(a, "x")'] * 41)


def test_opendata_explore_odsql_bounds_the_in_values_and_the_refines_of_a_query():
    cols = Columns({"a": "text", "n": "number"})
    values = ", ".join(str(i) for i in range(MAX_VALUES))
    build("t", cols, where=[f"n in ({values})"])
    with pytest.raises(ODSQLError, match=f"more than {MAX_VALUES} values in the IN lists"):
        build("t", cols, where=[f"n in ({values})", "n not in (1)"])
    build("t", cols, refine=["a:x"] * MAX_FACETS)
    with pytest.raises(RESTParameterError, match=f"more than {MAX_FACETS} refine and exclude"):
        build("t", cols, refine=["a:x"] * (MAX_FACETS // 2), exclude=["a:y"] * (MAX_FACETS // 2 + 1))


def test_opendata_explore_records_refuse_a_thousand_bare_searches_with_a_400(client, published):
    r = client.get(f"{BASE}/parkings/records", params={"where": " or ".join(['"a"'] * 1000)})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "ODSQLError" and "more than 10 bare text searches" in r.json()["message"]
    r = client.get(f"{BASE}/parkings/exports/csv", params={"refine": ["parking:x"] * 101})
    assert r.status_code == 400 and "more than 100 refine and exclude" in r.json()["message"]
