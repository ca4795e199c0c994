"""One field list for Open311 requests: adding a field is one change, in every rendering."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from vigie.open311 import fields
from vigie.open311.fields import Open311Field
from vigie.reports.fields import R

from .helpers import V2, xml_root


@pytest.fixture
def with_new_field(monkeypatch: pytest.MonkeyPatch) -> str:
    new = Open311Field("zone_code", lambda r, _: r.zone, lambda j, tz: R.zone)
    monkeypatch.setattr(fields, "REQUEST", (*fields.REQUEST, new))
    return new.name


def test_open311_fields_one_entry_reaches_json_pages_xml_and_single_requests(
    client: TestClient, new_report: Callable[..., str], with_new_field: str
) -> None:
    rid = new_report()
    page = client.get(f"{V2}/requests.json")  # written by the database
    single = client.get(f"{V2}/requests/{rid}.json")  # written by Python
    assert page.json()[0][with_new_field] == single.json()[0][with_new_field]
    assert page.json()[0][with_new_field]
    assert list(page.json()[0]) == list(single.json()[0])  # same place too
    req = xml_root(client.get(f"{V2}/requests.xml")).find("request")
    assert req is not None and req.findtext(with_new_field) == page.json()[0][with_new_field]
    ext = client.get(f"{V2}/requests.json", params={"extensions": "true"}).json()[0]
    assert ext[with_new_field] == page.json()[0][with_new_field]
    assert json.dumps(page.json()[0])  # still plain JSON


def test_open311_fields_without_a_sql_form_is_refused(
    client: TestClient, new_report: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    new_report()
    monkeypatch.setattr(fields, "REQUEST", (*fields.REQUEST, Open311Field("oops", lambda r, _: 1, None)))
    r = client.get(f"{V2}/requests.json")
    assert r.status_code == 400  # the spec's general service error, logged
