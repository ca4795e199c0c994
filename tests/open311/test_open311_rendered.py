"""``requests.json`` written by the database says exactly what ``request_view`` says."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import literal_column, select

from tests.reports.helpers import make_varied_reports
from vigie.open311.rendered import request_items
from vigie.open311.views import Ctx, request_view
from vigie.open311.web import _updates
from vigie.reports.queries import ReportFilter, list_reports
from vigie.sqljson import _label, _offset_label, zone_offsets

from .helpers import V2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_open311_rendered_items_equal_request_view(vigie, lang):
    ids = make_varied_reports(vigie)
    f = ReportFilter(ids=ids)
    items, more = request_items(Ctx(vigie, lang), f, 1, 50)
    records, _ = list_reports(vigie, f, 1, 50)
    histories = _updates(vigie, [r.id for r in records], created_only=True)
    ctx = Ctx(vigie, lang)
    expected = [request_view(ctx, r, histories[r.id]) for r in records]
    assert not more
    got = [json.loads(item) for item in items]
    assert len(got) == len(ids)
    for g, e in zip(got, expected, strict=True):
        assert g == e
        assert list(g) == list(e)


def test_open311_rendered_covers_every_shape(vigie):
    ids = make_varied_reports(vigie)
    got = [json.loads(i) for i in request_items(Ctx(vigie, "fr"), ReportFilter(ids=ids), 1, 50)[0]]
    dates = {g["requested_datetime"] for g in got} | {g["updated_datetime"] for g in got}
    assert "2026-03-29T00:00:00+01:00" in dates  # 23:00 UTC the night before the change
    assert "2026-03-29T01:59:59+01:00" in dates  # a second before 01:00 UTC (clocks go to 03:00)
    assert "2026-10-25T02:00:00+01:00" in dates  # 01:00 UTC, the first second of winter time
    assert "1905-06-01T12:09:21+00:09:21" in dates  # Paris mean time
    media = {g["media_url"] for g in got}
    assert "https://example.org/a.jpg" in media and "https://example.org/s.png" in media
    assert any(m and m.endswith("/api/v1/photos/photo0abc") for m in media)
    assert None in media
    assert any(g["service_notice"] for g in got) and any(g["agency_responsible"] for g in got)


def test_open311_rendered_answer_matches_the_xml_one(client: TestClient, vigie):
    """The JSON (database) and XML (Python) answers list the same requests with the same dates."""
    ids = make_varied_reports(vigie)
    params = {"service_request_id": ",".join(map(str, ids))}
    j = client.get(f"{V2}/requests.json", params=params)
    x = client.get(f"{V2}/requests.xml", params=params)
    assert j.status_code == 200 and x.status_code == 200
    assert j.headers["content-type"] == "application/json; charset=utf-8"
    assert len(j.json()) == len(ids)
    for request in j.json():
        assert f"<service_request_id>{request['service_request_id']}</service_request_id>" in x.text
        assert f"<requested_datetime>{request['requested_datetime']}</requested_datetime>" in x.text


def test_open311_rendered_next_page_link(client: TestClient, vigie):
    ids = make_varied_reports(vigie)
    params = {"page_size": 2, "service_request_id": ",".join(map(str, ids))}
    r = client.get(f"{V2}/requests.json", params=params)
    assert r.status_code == 200 and len(r.json()) == 2
    assert 'rel="next"' in r.headers["link"] and "page=2" in r.headers["link"]


def test_open311_zone_offsets_follow_zoneinfo():
    rows = zone_offsets("Europe/Paris")
    assert rows[0][2] == "+00:09:21"
    assert ("2026-03-29 01:00:00.000000", 7200, "+02:00") in rows
    assert ("2026-10-25 01:00:00.000000", 3600, "+01:00") in rows
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_open311_offset_label_spells_offsets_the_zone_data_lacks(vigie):
    """PostgreSQL names an offset missing from Python's zone data as ``isoformat`` would."""
    if vigie.db.dialect != "postgresql":
        return  # SQLite reads its labels from tz_offsets, written from zoneinfo
    seconds = [0, 561, -561, 3600, -12600, 19800, -17762, 45900]
    with vigie.db.engine.connect() as conn:
        for n in seconds:
            offset = literal_column(f"interval '{n} seconds'")
            spelled = conn.execute(select(_offset_label(offset, []))).scalar_one()
            known = conn.execute(select(_offset_label(offset, [(n, "known")]))).scalar_one()
            assert spelled == _label(timedelta(seconds=n)), n
            assert known == "known"
