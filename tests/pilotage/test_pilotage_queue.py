"""The control room's queue on the server: filters, search, sorts, counts, pages, map, CSV, bulk."""

from __future__ import annotations

import csv
import inspect
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tests.reports.helpers import submit_report
from vigie.db import utcnow
from vigie.pilotage.queue_api import queue_query
from vigie.reports.storage import ReportRow

Q = "/api/v1/pilotage/queue"
CHENOVE = {"lat": 47.2920, "long": 5.0080}  # commune 21166
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def reports(vigie):
    """Six reports: four open (one overdue, one urgent, one in Chenôve), one resolved, one closed late."""
    ids = {
        "old": submit_report(vigie, description="Trou rue Monge", address="4 rue Monge, Dijon"),
        "overdue": submit_report(vigie, description="Chaussée effondrée"),
        "urgent": submit_report(
            vigie, description="=SOMME(A1) plaque d'égout", attributes={"danger_immediat": "oui"}
        ),
        "chenove": submit_report(vigie, description="Nid-de-poule à Chenôve", **CHENOVE),
        "resolved": submit_report(vigie, description="Réparé"),
        "light": submit_report(
            vigie,
            service_code="corbeille-pleine",
            description="Sacs abandonnés",
            address="12 place Darcy, Dijon",
            attributes={},
        ),
    }
    now = utcnow()
    with vigie.db.session(write=True) as s:
        for n, key in enumerate(ids):
            s.execute(
                update(ReportRow)
                .where(ReportRow.id == ids[key])
                .values(requested_at=now - timedelta(hours=10 - n), expected_at=now + timedelta(days=3 + n))
            )
        s.execute(
            update(ReportRow)
            .where(ReportRow.id == ids["overdue"])
            .values(expected_at=now - timedelta(hours=2))
        )
        s.execute(update(ReportRow).where(ReportRow.id == ids["resolved"]).values(status="resolved"))
        s.commit()
    return {k: str(v) for k, v in ids.items()}


def ids_of(body):
    return [item["id"] for item in body["items"]]


def test_pilotage_queue_counts_and_pages_every_open_report(client, auth, reports):
    headers = auth("operator")
    body = client.get(Q, params={"page_size": 2}, headers=headers).json()
    assert body["total"] == 5 and body["pages"] == 3 and body["next_page"] == 2
    assert ids_of(body) == [reports["light"], reports["chenove"]]  # newest first
    last = client.get(Q, params={"page_size": 2, "page": 3}, headers=headers).json()
    assert ids_of(last) == [reports["old"]] and last["next_page"] is None
    everything = client.get(Q, params={"status": "all"}, headers=headers).json()
    assert everything["total"] == 6
    assert client.get(Q, params={"status": "resolved"}, headers=headers).json()["total"] == 1


def test_pilotage_queue_filters_on_the_server(client, auth, reports):
    headers = auth("operator")

    def ids(**params):
        return set(ids_of(client.get(Q, params=params, headers=headers).json()))

    assert ids(zone="21166") == {reports["chenove"]}
    assert ids(group="proprete") == {reports["light"]}
    assert ids(sla="overdue") == {reports["overdue"]}
    assert reports["overdue"] not in ids(sla="on_time") and reports["old"] in ids(sla="on_time")
    urgent = client.get(Q, params={"priority": "urgent"}, headers=headers).json()
    assert ids_of(urgent) == [reports["urgent"]] and urgent["total"] == 1


def test_pilotage_queue_searches_reference_description_and_address(client, auth, reports, vigie):
    headers = auth("operator")
    with vigie.db.session() as s:
        reference = s.get(ReportRow, int(reports["chenove"])).reference

    def ids(q):
        return ids_of(client.get(Q, params={"q": q}, headers=headers).json())

    assert ids(reference.lower()) == [reports["chenove"]]
    assert ids("EFFONDRÉE") == [reports["overdue"]]
    assert ids("place darcy") == [reports["light"]]
    assert ids("rue monge") == [reports["old"]]
    assert ids("100%_") == []


def test_pilotage_queue_sorts_on_the_server(client, auth, reports):
    headers = auth("operator")

    def order(sort):
        return ids_of(client.get(Q, params={"sort": sort}, headers=headers).json())

    assert order("due")[0] == reports["overdue"]
    assert order("priority")[0] == reports["urgent"]
    assert order("received")[0] == reports["light"]
    assert order("status")[0] == reports["light"]  # every open one is "new": newest first


def test_pilotage_queue_sorted_by_due_time_puts_reports_without_one_last(client, auth, reports, vigie):
    headers = auth("operator")
    with vigie.db.session(write=True) as s:
        s.execute(update(ReportRow).where(ReportRow.id == int(reports["old"])).values(expected_at=None))
        s.commit()
    first = client.get(Q, params={"sort": "due"}, headers=headers).json()
    assert ids_of(first)[0] == reports["overdue"] and ids_of(first)[-1] == reports["old"]
    pages = [
        ids_of(client.get(Q, params={"sort": "due", "page_size": 2, "page": n}, headers=headers).json())
        for n in (1, 2, 3)
    ]
    assert sum(pages, []) == ids_of(first) and pages[2] == [reports["old"]]
    export = client.get(f"{Q}.csv", params={"sort": "due"}, headers=headers)
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[-1]["description"] == "Trou rue Monge" and rows[-1]["expected_at"] == ""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "random"}, "sort"),
        ({"sla": "late"}, "sla"),
        ({"status": "gone"}, "status"),
        ({"page_size": 201}, ""),
    ],
)
def test_pilotage_queue_refuses_bad_parameters(client, auth, params, field):
    r = client.get(Q, params=params, headers=auth("operator"))
    assert r.status_code == 422 and field in r.text


def test_pilotage_queue_answers_every_key_as_json(client, auth, reports):
    """The page and the map view are encoded in the read pool (orjson): the same keys and types."""
    headers = auth("operator")
    r = client.get(Q, params={"page_size": 2, "sort": "due"}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"items", "total", "page", "page_size", "pages", "next_page"}
    counts = (body["total"], body["page"], body["page_size"], body["pages"], body["next_page"])
    assert counts == (5, 1, 2, 3, 2)
    first = body["items"][0]
    assert first["id"] == reports["overdue"] and first["sla_state"] == "overdue"
    assert isinstance(first["requested_at"], str) and first["requested_at"].endswith("+00:00")
    assert first["reporter"]["lang"] == "fr"
    view = client.get(f"{Q}/map", params={"bbox": "4.9,47.2,5.2,47.45", "zoom": 18}, headers=headers)
    assert view.status_code == 200 and view.headers["content-type"] == "application/json"
    points = view.json()["points"]
    assert set(view.json()) == {"total", "clusters", "points"} and len(points) == 5
    overdue = next(p for p in points if p["id"] == reports["overdue"])
    assert overdue["expected_at"].endswith("+00:00") and isinstance(overdue["lat"], float)


def test_pilotage_queue_filter_is_read_on_the_event_loop():
    # A plain ``def`` dependency would cost every page a round trip through FastAPI's thread pool.
    assert inspect.iscoroutinefunction(queue_query)


def test_pilotage_queue_is_for_triage_roles(client, auth):
    assert client.get(Q).status_code == 401
    assert client.get(Q, headers=auth("field_agent")).status_code == 403


def test_pilotage_queue_map_clusters_what_is_in_view(client, auth, reports):
    headers = auth("operator")
    city = {"bbox": "4.9,47.2,5.2,47.45"}
    far = client.get(f"{Q}/map", params={**city, "zoom": 9}, headers=headers).json()
    assert far["total"] == 5
    assert sum(c["count"] for c in far["clusters"]) + len(far["points"]) == 5
    assert far["clusters"] and far["clusters"][0]["count"] >= 2
    close = client.get(f"{Q}/map", params={**city, "zoom": 18}, headers=headers).json()
    assert close["clusters"] == [] and {p["id"] for p in close["points"]} == set(reports.values()) - {
        reports["resolved"]
    }
    chenove = client.get(f"{Q}/map", params={**city, "zoom": 9, "zone": "21166"}, headers=headers).json()
    assert chenove["total"] == 1 and chenove["points"][0]["id"] == reports["chenove"]
    bad = client.get(f"{Q}/map", params={"bbox": "5,47,4,46", "zoom": 9}, headers=headers)
    assert bad.status_code == 422


def test_pilotage_queue_exports_the_current_filter_as_csv(client, auth, reports):
    r = client.get(f"{Q}.csv", params={"sort": "due"}, headers=auth("operator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 5 and rows[0]["description"] == "Chaussée effondrée"
    urgent = next(row for row in rows if "SOMME" in row["description"])
    assert urgent["description"].startswith("'=")  # not a formula in a spreadsheet
    assert "habitant@example.org" not in r.text
    only = client.get(f"{Q}.csv", params={"zone": "21166"}, headers=auth("operator"))
    assert len(list(csv.DictReader(io.StringIO(only.text.lstrip("\ufeff"))))) == 1
    # Times as the city's clock reads them (with its offset), like Open311's, not in UTC.
    for row in rows:
        requested = datetime.fromisoformat(row["requested_at"])
        assert requested.utcoffset() == requested.astimezone(PARIS).utcoffset() != timedelta(0)


def test_pilotage_queue_bulk_acknowledges_and_assigns(client, auth, reports, vigie):
    headers = auth("operator")
    r = client.post(
        f"{Q}/bulk",
        json={"action": "acknowledge", "ids": [reports["old"], reports["chenove"], reports["resolved"]]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] == [reports["old"], reports["chenove"]]
    assert [f["id"] for f in body["failed"]] == [reports["resolved"]] and body["failed"][0]["status"] == 409
    # Which one was refused and why, as the queue names it: its reference and its status.
    with vigie.db.session() as s:
        resolved = s.get(ReportRow, int(reports["resolved"]))
        assert resolved is not None
        assert body["failed"][0]["reference"] == resolved.reference
    assert body["failed"][0]["report_status"] == "resolved"
    team = next(iter(vigie.catalogue.teams))
    r = client.post(
        f"{Q}/bulk",
        json={"action": "assign", "ids": [reports["old"], "999999"], "team": team},
        headers=headers,
    )
    body = r.json()
    assert body["done"] == [reports["old"]] and body["failed"][0]["status"] == 404
    assert (body["failed"][0]["reference"], body["failed"][0]["report_status"]) == (None, None)
    with vigie.db.session() as s:
        row = s.get(ReportRow, int(reports["old"]))
        assert (row.status, row.team) == ("assigned", team)
    assert (
        client.post(f"{Q}/bulk", json={"action": "delete", "ids": ["1"]}, headers=headers).status_code == 422
    )
    assert client.post(f"{Q}/bulk", json={"action": "acknowledge", "ids": ["1"]}).status_code == 401


def test_pilotage_queue_csv_in_the_language_the_page_was_switched_to(client, auth, reports, vigie):
    # The export is a plain link: the browser sends its own Accept-Language (French here)
    # while the control room was switched to English (its cookie).
    headers = {**auth("operator"), "Accept-Language": "fr-FR,fr;q=0.9"}
    service = vigie.catalogue.services["nid-de-poule"].name
    assert service.get("fr") != service.get("en")

    def services(**cookies: str) -> set[str]:
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)
        r = client.get(f"{Q}.csv", headers=headers)
        assert r.status_code == 200, r.text
        return {row["service"] for row in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))}

    assert service.get("fr") in services()
    assert service.get("en") in services(vigie_lang="en")
    assert service.get("fr") not in services(vigie_lang="en")
    client.cookies.clear()
