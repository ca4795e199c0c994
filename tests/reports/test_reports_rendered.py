"""The public list written by the database says exactly what ``public_view`` says."""

from __future__ import annotations

import json

import pytest

from vigie.reports.queries import ReportFilter, list_reports
from vigie.reports.rendered import public_items
from vigie.reports.views import public_view

from .helpers import make_varied_reports


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_reports_rendered_items_equal_public_view(vigie, lang):
    ids = make_varied_reports(vigie)
    f = ReportFilter(ids=ids)
    items, more = public_items(vigie, f, 1, 50, lang)
    records, _ = list_reports(vigie, f, 1, 50)
    base = vigie.settings.public_base_url.rstrip("/")
    expected = [public_view(r, vigie.catalogue, lang, base, policy=vigie.city.publication) for r in records]
    assert not more
    assert len(items) == len(ids)
    got = [json.loads(item) for item in items]
    for g, e in zip(got, expected, strict=True):
        assert g == e
        assert list(g) == list(e)  # same key order too


def test_reports_rendered_covers_every_shape(vigie):
    """The fixture really has the cases the renderer must get right (else the test above proves little)."""
    ids = make_varied_reports(vigie)
    got = [json.loads(i) for i in public_items(vigie, ReportFilter(ids=ids), 1, 50, "fr")[0]]
    assert any(len(g["photos"]) == 2 for g in got)
    assert any(g["lat"] is None for g in got)
    assert any(g["duplicate_of"] for g in got)
    assert any(g["closed_at"] and g["closed_at"].endswith(".999999+00:00") for g in got)
    assert any(g["reference"] is None for g in got)
    assert any(g["attributes"] == {} for g in got)
    assert any(g["lat"] == 47.30123456789012 for g in got)
    assert any("🚧" in g["description"] for g in got)


def test_reports_rendered_pages_and_filters_like_list_reports(vigie):
    ids = make_varied_reports(vigie)
    f = ReportFilter(statuses=["new", "acknowledged", "in_progress", "resolved"])
    first, more = public_items(vigie, f, 1, 2, "fr")
    second, _ = public_items(vigie, f, 2, 2, "fr")
    records, _ = list_reports(vigie, f, 1, 4)
    assert more
    assert [json.loads(i)["id"] for i in first + second] == [str(r.id) for r in records]
    assert len(records) == 4 and all(int(r.id) in ids for r in records)


def test_reports_rendered_never_carries_personal_data(vigie):
    make_varied_reports(vigie)
    items, _ = public_items(vigie, ReportFilter(), 1, 50, "fr")
    text = "".join(items)
    assert items
    for private in ("habitant@example.org", "reporter", "token", "device_id"):
        assert private not in text
