"""One field list for the public view: adding a field is one change, seen in every rendering."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from vigie.reports import fields, intake
from vigie.reports.actions import report_event
from vigie.reports.fields import Field
from vigie.reports.queries import ReportFilter
from vigie.reports.rendered import public_items
from vigie.reports.views import public_view
from vigie.runtime import Vigie

from .helpers import submission


@pytest.fixture
def with_new_field(monkeypatch: pytest.MonkeyPatch) -> str:
    """The public list with one more field, declared the way any field is: one entry."""
    new = Field(
        "channel_shown",
        lambda r, _: r.channel,
        lambda j: fields.R.channel,
    )
    monkeypatch.setattr(fields, "PUBLIC", (*fields.PUBLIC, new))
    return new.name


def test_reports_fields_one_entry_reaches_every_public_rendering(
    vigie: Vigie, client: TestClient, with_new_field: str
) -> None:
    row = intake.do_create_reports(vigie, [intake.check_submission(vigie, submission(channel="app"))]).row
    # Python's view: the API's report and everything built on public_view.
    assert public_view(row, vigie.catalogue, policy=vigie.city.publication)[with_new_field] == "app"
    assert client.get(f"/api/v1/reports/{row.id}").json()[with_new_field] == "app"
    # The live event's public payload (the bus or PostgreSQL's NOTIFY carries this event).
    assert report_event(vigie, "report.created", row).payload[with_new_field] == "app"
    # The list written by the database, anonymous: same key, same place.
    items, _ = public_items(vigie, ReportFilter(ids=[row.id]), 1, 10, "fr")
    got = json.loads(items[0])
    assert got[with_new_field] == "app"
    policy = vigie.city.publication
    assert list(got) == list(public_view(row, vigie.catalogue, "fr", "http://testserver", policy=policy))
    listed = client.get("/api/v1/reports").json()  # the only report; anonymous: the database's JSON
    assert [item[with_new_field] for item in listed["items"]] == ["app"]


def test_reports_fields_without_a_sql_form_is_refused(vigie: Vigie, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "PUBLIC", (*fields.PUBLIC, Field("oops", lambda r, _: 1, None)))
    with pytest.raises(ValueError, match="oops"):
        public_items(vigie, ReportFilter(), 1, 10, "fr")


def test_reports_fields_never_name_personal_data() -> None:
    names = {f.name for f in fields.PUBLIC}
    assert not names & {"reporter", "reporter_name", "reporter_email", "reporter_phone", "token", "device_id"}
