"""GET requests, GET requests/{id}, GET tokens/{token}: fields, filters, pages, privacy."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from vigie.accounts.domain import Agent
from vigie.reports import actions
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie

from .helpers import BULKY, CENTRE, FORMATS, POTHOLE, PRIVATE, V2, spec_error, xml_root

NewReport = Callable[..., str]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _ids(body: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in body]


def _age(vigie: Vigie, report_id: str, days: float) -> None:
    """Move a report's requested_datetime into the past."""
    at = datetime.now(UTC) - timedelta(days=days)
    with vigie.db.session(write=True) as s:
        s.execute(update(ReportRow).where(ReportRow.id == int(report_id)).values(requested_at=at))
        s.commit()


def test_get_requests_json_has_spec_fields(client: TestClient, new_report: NewReport, vigie: Vigie) -> None:
    rid = new_report(address_string="Place de la Libération, Dijon")
    r = client.get(f"{V2}/requests.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    (item,) = r.json()
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == rid
    assert item["status"] == "open"
    assert item["service_code"] == POTHOLE and item["service_name"] == "Nid-de-poule"
    assert item["description"] == "Trou profond"
    assert item["address"] == "Place de la Libération, Dijon"
    assert (item["lat"], item["long"]) == (47.3220, 5.0415)
    row = actions.get_report(vigie, rid)
    team = vigie.catalogue.teams[row.team]
    assert item["agency_responsible"] == team.name.get("fr")
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(item[key]), item[key]
        assert item[key][-6:] in ("+01:00", "+02:00")  # Europe/Paris
    assert item["media_url"] is None and item["zipcode"] is None


def test_get_requests_xml_has_spec_layout(client: TestClient, new_report: NewReport) -> None:
    rid = new_report()
    root = xml_root(client.get(f"{V2}/requests.xml"))
    assert root.tag == "service_requests"
    (req,) = root.findall("request")
    assert [c.tag for c in req] == REQUEST_FIELDS
    assert req.findtext("service_request_id") == rid
    assert req.findtext("status") == "open"
    assert float(req.findtext("lat") or 0) == 47.3220


def test_get_requests_empty_list_in_both_formats(client: TestClient) -> None:
    assert client.get(f"{V2}/requests.json").json() == []
    root = xml_root(client.get(f"{V2}/requests.xml"))
    assert root.tag == "service_requests" and list(root) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_request_returns_one_element_list(client: TestClient, new_report: NewReport, fmt: str) -> None:
    rid = new_report()
    r = client.get(f"{V2}/requests/{rid}.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        body = r.json()
        assert isinstance(body, list) and len(body) == 1
        assert body[0]["service_request_id"] == rid
    else:
        root = xml_root(r)
        assert root.tag == "service_requests"
        assert [q.findtext("service_request_id") for q in root.findall("request")] == [rid]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rid", ["999999", "abc", "1.5"])
def test_get_request_unknown_is_404(client: TestClient, fmt: str, rid: str) -> None:
    r = client.get(f"{V2}/requests/{rid}.{fmt}")
    assert r.status_code == 404
    spec_error(r)


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_token_returns_request_id(
    client: TestClient, post: Callable[..., Any], vigie: Vigie, fmt: str
) -> None:
    created = post(service_code=POTHOLE, **CENTRE).json()[0]
    token = actions.get_report(vigie, created["service_request_id"]).token
    r = client.get(f"{V2}/tokens/{token}.{fmt}")
    assert r.status_code == 200
    expected = {"service_request_id": created["service_request_id"], "token": token}
    if fmt == "json":
        assert r.json() == [expected]
    else:
        root = xml_root(r)
        (req,) = root.findall("request")
        assert {c.tag: c.text for c in req} == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_token_unknown_is_404(client: TestClient, fmt: str) -> None:
    r = client.get(f"{V2}/tokens/not-a-token.{fmt}")
    assert r.status_code == 404
    spec_error(r)


def test_get_requests_service_request_id_overrides_filters(
    client: TestClient, new_report: NewReport, vigie: Vigie
) -> None:
    a, b, c = new_report(), new_report(), new_report()
    _age(vigie, a, 200)  # outside any 90-day window
    params = {"service_request_id": f"{a}, {c},zzz", "status": "closed", "service_code": "x"}
    body = client.get(f"{V2}/requests.json", params=params).json()
    assert sorted(_ids(body)) == sorted([a, c])
    assert b not in _ids(body)


def test_get_requests_ids_in_other_digits_match_nothing(client: TestClient, new_report: NewReport) -> None:
    """``str.isdigit`` takes "²" and "①" for digits, which ``int`` refuses: such an id was an
    uncaught ValueError (Open311's "general service error", with a traceback in the log)."""
    a = new_report()
    for odd in ("\u00b2", "\u2460", "\u0665"):  # superscript two, circled one, Arabic-Indic five
        r = client.get(f"{V2}/requests.json", params={"service_request_id": f"{a},{odd}"})
        assert r.status_code == 200, r.text
        assert _ids(r.json()) == [a]


def test_get_requests_service_code_filter(
    client: TestClient, new_report: NewReport, post: Callable[..., Any], extra_services: Vigie
) -> None:
    pothole = new_report()
    bulky = post(service_code=BULKY, **CENTRE, **{"attribute[objets]": "meuble"}).json()[0]
    body = client.get(f"{V2}/requests.json", params={"service_code": BULKY}).json()
    assert _ids(body) == [bulky["service_request_id"]]
    both = client.get(f"{V2}/requests.json", params={"service_code": f"{BULKY},{POTHOLE}"})
    assert sorted(_ids(both.json())) == sorted([pothole, bulky["service_request_id"]])


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_unknown_service_code_is_404(client: TestClient, fmt: str) -> None:
    r = client.get(f"{V2}/requests.{fmt}", params={"service_code": "licorne"})
    assert r.status_code == 404
    assert spec_error(r)[1].startswith("service_code: ")


def test_get_requests_status_filter_maps_open_and_closed(
    client: TestClient,
    new_report: NewReport,
    vigie: Vigie,
    make_agent: Callable[..., Agent],
) -> None:
    open_id, closed_id = new_report(), new_report()
    agent = make_agent("operator")
    actions.do_change_status(vigie, closed_id, agent, "resolved", public_note="Rebouché")
    actions.do_change_status(vigie, open_id, agent, "in_progress")

    def ids(status: str) -> list[str]:
        return _ids(client.get(f"{V2}/requests.json", params={"status": status}).json())

    assert ids("open") == [open_id]
    assert ids("closed") == [closed_id]
    assert sorted(ids("open,closed")) == sorted([open_id, closed_id])
    assert sorted(ids("")) == sorted([open_id, closed_id])
    closed = client.get(f"{V2}/requests/{closed_id}.json").json()[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "Rebouché"


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_unknown_status_is_400(client: TestClient, fmt: str) -> None:
    r = client.get(f"{V2}/requests.{fmt}", params={"status": "open,fixed"})
    assert r.status_code == 400
    assert spec_error(r)[1].startswith("status: ")


def test_get_requests_date_window(client: TestClient, new_report: NewReport, vigie: Vigie) -> None:
    recent, old, ancient = new_report(), new_report(), new_report()
    _age(vigie, old, 30)
    _age(vigie, ancient, 120)
    now = datetime.now(UTC)

    def ids(**params: str) -> list[str]:
        r = client.get(f"{V2}/requests.json", params=params)
        assert r.status_code == 200, r.text
        return sorted(_ids(r.json()))

    assert ids() == sorted([recent, old])  # default: the last 90 days
    start = (now - timedelta(days=40)).isoformat()
    end = (now - timedelta(days=20)).isoformat()
    assert ids(start_date=start, end_date=end) == [old]
    paris = (now - timedelta(days=125)).astimezone(ZoneInfo("Europe/Paris"))
    assert ids(start_date=paris.isoformat(timespec="seconds")) == [ancient]  # start + 90 days
    assert ids(end_date=(now - timedelta(days=100)).isoformat()) == [ancient]
    z = (now - timedelta(days=35)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=z) == sorted([recent, old])
    assert ids(start_date="", end_date="") == sorted([recent, old])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "prefix"),
    [
        ({"start_date": "hier"}, "start_date: "),
        ({"end_date": "2026-13-45"}, "end_date: "),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "end_date: "),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date: "),
        ({"page": "0"}, "page: "),
        ({"page": "deux"}, "page: "),
        ({"page_size": "1001"}, "page_size: "),
        ({"page_size": "0"}, "page_size: "),
    ],
)
def test_get_requests_bad_parameters_are_400(
    client: TestClient, fmt: str, params: dict[str, str], prefix: str
) -> None:
    r = client.get(f"{V2}/requests.{fmt}", params=params)
    assert r.status_code == 400
    assert spec_error(r)[1].startswith(prefix)


def test_get_requests_empty_parameters_are_absent(client: TestClient, new_report: NewReport) -> None:
    rid = new_report()
    params = {
        k: ""
        for k in (
            "jurisdiction_id",
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
            "page",
            "page_size",
            "extensions",
            "lang",
        )
    }
    r = client.get(f"{V2}/requests.json", params=params)
    assert r.status_code == 200
    assert r.json() == client.get(f"{V2}/requests.json").json()
    assert _ids(r.json()) == [rid]


def test_get_requests_pagination(client: TestClient, new_report: NewReport) -> None:
    ids = [new_report() for _ in range(5)]
    newest_first = list(reversed(ids))
    first = client.get(f"{V2}/requests.json", params={"page_size": "2"})
    assert _ids(first.json()) == newest_first[:2]
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    second = client.get(f"{V2}/requests.json", params={"page_size": "2", "page": "2"})
    assert _ids(second.json()) == newest_first[2:4]
    last = client.get(f"{V2}/requests.xml", params={"page_size": "2", "page": "3"})
    assert [q.findtext("service_request_id") for q in xml_root(last)] == newest_first[4:]
    assert "link" not in last.headers
    beyond = client.get(f"{V2}/requests.json", params={"page_size": "2", "page": "4"})
    assert beyond.json() == []


def test_get_requests_extensions_add_attributes_and_notes(
    client: TestClient,
    post: Callable[..., Any],
    extra_services: Vigie,
    make_agent: Callable[..., Agent],
) -> None:
    fields = {"attribute[objets][]": ["meuble", "gravats"], "attribute[volume_m3]": "3"}
    rid = post(service_code=BULKY, **CENTRE, **fields).json()[0]["service_request_id"]
    agent = make_agent("operator")
    actions.do_change_status(
        extra_services, rid, agent, "resolved", public_note="Enlevé", internal_note="NOTE-INTERNE"
    )
    plain = client.get(f"{V2}/requests/{rid}.json").json()[0]
    assert list(plain) == REQUEST_FIELDS
    r = client.get(f"{V2}/requests/{rid}.json", params={"extensions": "true"})
    item = r.json()[0]
    assert list(item) == [*REQUEST_FIELDS, "attributes", "extended_attributes", "notes"]
    assert item["attributes"] == [
        {"code": "objets", "value": ["gravats", "meuble"]},
        {"code": "volume_m3", "value": 3},
    ]
    ext = item["extended_attributes"]
    row = actions.get_report(extra_services, rid)
    assert ext["reference"] == row.reference and ext["zone"] == row.zone
    assert ext["group"] == "open311-tests" and ext["photos"] == []
    assert ext["detailed_status"] == "resolved"
    notes = item["notes"]
    assert [(n["type"], n["status"], n["description"]) for n in notes] == [
        ("created", "open", None),
        ("status", "closed", "Enlevé"),
    ]
    assert all(W3C.match(n["datetime"]) for n in notes)
    assert "NOTE-INTERNE" not in r.text and agent.email not in r.text
    assert agent.name not in r.text

    root = xml_root(client.get(f"{V2}/requests/{rid}.xml", params={"extensions": "true"}))
    req = root.find("request")
    assert req is not None
    attrs = req.findall("attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["objets", "volume_m3"]
    assert [v.text for v in attrs[0].findall("value")] == ["gravats", "meuble"]
    assert req.findtext("extended_attributes/reference") == row.reference
    assert [n.findtext("description") for n in req.findall("notes/note")] == ["", "Enlevé"]


def test_get_requests_non_public_reports_are_hidden(
    client: TestClient,
    post: Callable[..., Any],
    new_report: NewReport,
    extra_services: Vigie,
    auth: Callable[..., dict[str, str]],
) -> None:
    public = new_report()
    created = post(service_code=PRIVATE, **CENTRE, description="sensible").json()[0]
    private = created["service_request_id"]
    assert _ids(client.get(f"{V2}/requests.json").json()) == [public]
    listed = client.get(f"{V2}/requests.json", params={"service_request_id": private})
    assert listed.json() == []
    for fmt in FORMATS:
        r = client.get(f"{V2}/requests/{private}.{fmt}")
        assert r.status_code == 404
        spec_error(r)
    # The report's token still resolves: it is only held by whoever was given it.
    token = actions.get_report(extra_services, private).token
    assert client.get(f"{V2}/tokens/{token}.json").status_code == 200
    # Agents who triage see it.
    headers = auth("operator")
    assert client.get(f"{V2}/requests/{private}.json", headers=headers).status_code == 200
    agent_list = client.get(f"{V2}/requests.json", headers=headers).json()
    assert sorted(_ids(agent_list)) == sorted([public, private])


def test_get_requests_never_show_personal_data(
    client: TestClient,
    post: Callable[..., Any],
    extra_services: Vigie,
    make_agent: Callable[..., Agent],
) -> None:
    personal = {
        "email": "jeanne.secret@example.org",
        "phone": "+33 6 12 34 56 78",
        "first_name": "Jeannesecret",
        "last_name": "Dupontsecret",
        "device_id": "device-secret-42",
        "account_id": "account-secret-43",
    }
    created = post(service_code=POTHOLE, **CENTRE, **personal).json()[0]
    rid = created["service_request_id"]
    row = actions.get_report(extra_services, rid)
    token = row.token
    assert row.reporter_email == personal["email"]
    assert row.reporter_name == "Jeannesecret Dupontsecret"
    actions.do_change_status(extra_services, rid, make_agent("operator"), "acknowledged", public_note="Vu")
    paths = [
        "/services",
        f"/services/{POTHOLE}",
        "/requests",
        f"/requests/{rid}",
        "/servicerequestupdates",
    ]
    bodies = []
    for fmt in FORMATS:
        for path in paths:
            for params in ({}, {"extensions": "true"}):
                r = client.get(f"{V2}{path}.{fmt}", params=params)
                assert r.status_code == 200, (path, r.text)
                bodies.append(r.text)
        bodies.append(client.get(f"/open311/discovery.{fmt}").text)
    assert any(rid in b for b in bodies)
    for body in bodies:
        for value in [*personal.values(), "jeanne.secret", "Jeannesecret", "Dupontsecret"]:
            assert value not in body
        assert token not in body


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "9999-12-31T23:59:59Z"},
        {"end_date": "0001-01-01T00:00:00Z"},
        {"start_date": "9999-12-31T23:59:59Z", "end_date": "9999-12-31T23:59:59Z"},
    ],
)
def test_get_requests_window_at_the_calendars_ends_is_empty(
    client: TestClient, new_report: NewReport, fmt: str, params: dict[str, str]
) -> None:
    """A window's other end, 90 days off, fell past year 9999 or before year 1: the answer was
    a 400 naming no parameter ("a number in the request is out of range"; outside review,
    2026-12-07). Such a window is valid and holds no request."""
    new_report()
    for path in ("requests", "servicerequestupdates"):
        r = client.get(f"{V2}/{path}.{fmt}", params=params)
        assert r.status_code == 200, (path, r.text)
        assert "<request>" not in r.text and 'service_request_id"' not in r.text
