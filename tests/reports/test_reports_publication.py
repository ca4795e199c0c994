"""The city's publication policy reaches every public rendering, and filters say no more."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update

from tests.reports.helpers import make_varied_reports, submit_report
from vigie.city.publication import PublicationPolicy, Shown, TimePrecision
from vigie.open311.rendered import request_items
from vigie.open311.views import Ctx, request_view
from vigie.open311.web import _updates
from vigie.reports.actions import report_event
from vigie.reports.queries import ReportFilter, list_reports, public_filter
from vigie.reports.rendered import public_items
from vigie.reports.storage import PhotoRow, ReportRow
from vigie.reports.views import public_view


def policy(description: str, photos: str, metres: int, time: str) -> PublicationPolicy:
    return PublicationPolicy(
        description=Shown(description),
        photos=Shown(photos),
        position_m=metres,
        time=TimePrecision(time),
        centre_lat=47.322,
        timezone="Europe/Paris",
    )


STRICT = policy("after_check", "after_check", 50, "hour")
CLOSED = policy("never", "never", 200, "day")
MIXED = policy("always", "after_check", 0, "minute")
POLICIES = pytest.mark.parametrize("chosen", [STRICT, CLOSED, MIXED], ids=["strict", "closed", "mixed"])


def moderated_reports(vigie: Any) -> list[int]:
    """The varied reports, two checked (one with a public text), photos shown, hidden, unchecked."""
    ids = make_varied_reports(vigie)
    checked = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    with vigie.db.engine.begin() as conn:
        conn.execute(update(ReportRow).where(ReportRow.id == ids[0]).values(public_checked_at=checked))
        conn.execute(
            update(ReportRow)
            .where(ReportRow.id == ids[1])
            .values(public_checked_at=checked, public_description="Nid-de-poule signalé")
        )
        conn.execute(update(PhotoRow).where(PhotoRow.key == "photo0abc").values(moderation="shown"))
        conn.execute(update(PhotoRow).where(PhotoRow.key == "photo1abc").values(moderation="hidden"))
    return ids


@POLICIES
def test_reports_publication_database_list_equals_public_view(vigie, monkeypatch, chosen):
    monkeypatch.setattr(vigie.city, "publication", chosen)
    ids = moderated_reports(vigie)
    f = ReportFilter(ids=ids)
    items, _ = public_items(vigie, f, 1, 50, "fr")
    records, _ = list_reports(vigie, f, 1, 50)
    base = vigie.settings.public_base_url.rstrip("/")
    expected = [public_view(r, vigie.catalogue, "fr", base, policy=chosen) for r in records]
    got = [json.loads(i) for i in items]
    assert got == expected


@POLICIES
def test_reports_publication_open311_list_equals_request_view(vigie, monkeypatch, chosen):
    monkeypatch.setattr(vigie.city, "publication", chosen)
    ids = moderated_reports(vigie)
    f = ReportFilter(ids=ids)
    items, _ = request_items(Ctx(vigie, "fr"), f, 1, 50)
    records, _ = list_reports(vigie, f, 1, 50)
    histories = _updates(vigie, [r.id for r in records], created_only=True)
    expected = [request_view(Ctx(vigie, "fr"), r, histories[r.id]) for r in records]
    assert [json.loads(i) for i in items] == expected


def test_reports_publication_strict_policy_hides_what_waits_for_a_check(vigie, monkeypatch):
    monkeypatch.setattr(vigie.city, "publication", STRICT)
    ids = moderated_reports(vigie)
    got = {
        int(g["id"]): g for g in map(json.loads, public_items(vigie, ReportFilter(ids=ids), 1, 50, "fr")[0])
    }
    assert got[ids[0]]["description"] == "Trou profond"  # checked
    assert got[ids[1]]["description"] == "Nid-de-poule signalé"  # the operator's public text
    assert got[ids[3]]["description"] == "" and got[ids[3]]["attributes"] == {}  # not checked
    assert [p["id"] for p in got[ids[1]]["photos"]] == ["photo0abc"]  # hidden one left out
    assert [p["id"] for p in got[ids[3]]["photos"]] == ["photo2abc"]  # an agent's photo
    lat, long = got[ids[3]]["lat"], got[ids[3]]["long"]
    assert (lat, long) != (47.30123456789012, 5.012345678901234)
    assert abs(lat - 47.30123456789012) < 50 / 111_320 and abs(long - 5.012345678901234) < 0.001
    assert all(g["address"] == "" and g["address_id"] == "" for g in got.values())
    assert all(g["requested_at"][14:] in ("00:00+00:00", "00:00") for g in got.values())
    open311 = {
        int(g["service_request_id"]): g
        for g in map(json.loads, request_items(Ctx(vigie, "fr"), ReportFilter(ids=ids), 1, 50)[0])
    }
    assert open311[ids[3]]["description"] is None and open311[ids[3]]["address"] is None
    assert open311[ids[2]]["media_url"] is None  # a media link waits for the report's check
    assert open311[ids[0]]["requested_datetime"].endswith(":00:00+01:00")


def test_reports_publication_day_is_the_city_local_day(vigie, monkeypatch):
    monkeypatch.setattr(vigie.city, "publication", CLOSED)
    ids = moderated_reports(vigie)
    got = {
        int(g["id"]): g for g in map(json.loads, public_items(vigie, ReportFilter(ids=ids), 1, 50, "fr")[0])
    }
    # 23:00 UTC on 28 March is 00:00 on the 29th in Paris: that day's midnight, 23:00 UTC.
    assert got[ids[0]]["requested_at"] == "2026-03-28T23:00:00+00:00"
    # Summer: local midnight is 22:00 UTC the day before.
    assert got[ids[2]]["requested_at"] == "2026-07-13T22:00:00+00:00"
    assert all(g["description"] == "" for g in got.values())
    assert [p["id"] for g in got.values() for p in g["photos"]] == ["photo2abc"]  # an agent's only


def test_reports_publication_public_filters_never_say_more_than_the_rendering(vigie, monkeypatch):
    monkeypatch.setattr(vigie.city, "publication", STRICT)
    rid = submit_report(vigie, lat=47.30123, long=5.01234, description="Mot secret")
    grid = STRICT.grid
    assert grid is not None
    # An edge moved across the report within its cell: it is in or out by its cell only.
    cell_lat = (47.30123 // grid.lat_step) * grid.lat_step
    cell_long = (5.01234 // grid.long_step) * grid.long_step
    seen = set()
    for share in (0.01, 0.3, 0.6, 0.99):
        x, y = cell_long + share * grid.long_step, cell_lat + share * grid.lat_step
        f = public_filter(STRICT, ReportFilter(bbox=(x, y, 5.02, 47.31)))
        seen.add(rid in [r.id for r in list_reports(vigie, f, 1, 10)[0]])
        f = public_filter(STRICT, ReportFilter(bbox=(5.0, 47.29, x, y)))
        seen.add(rid in [r.id for r in list_reports(vigie, f, 1, 10)[0]])
    assert seen == {True}
    # A radius becomes the cells around it: no distance to the exact point is measured.
    near = public_filter(STRICT, ReportFilter(near=(47.30123 + 0.0003, 5.01234, 10)))
    assert near.near is None and near.bbox is not None
    assert rid in [r.id for r in list_reports(vigie, near, 1, 10)[0]]
    # Words: not looked for in a text the public cannot read yet.
    f = public_filter(STRICT, ReportFilter(text="secret"))
    assert list_reports(vigie, f, 1, 10)[0] == []
    assert [r.id for r in list_reports(vigie, ReportFilter(text="secret"), 1, 10)[0]] == [rid]
    # Dates: whole hours.
    start = datetime(2026, 5, 1, 10, 37, 12, tzinfo=UTC)
    f = public_filter(STRICT, ReportFilter(start=start, end=start))
    assert f.start == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert f.end == datetime(2026, 5, 1, 10, 59, 59, 999999, tzinfo=UTC)


def test_reports_publication_live_event_follows_the_policy(vigie, monkeypatch):
    monkeypatch.setattr(vigie.city, "publication", STRICT)
    rid = submit_report(vigie, description="Devant chez Mme Martin")
    with vigie.db.session() as s:
        row = s.get(ReportRow, rid)
        event = report_event(vigie, "report.updated", row)
    assert event.payload["description"] == ""
    assert event.agent["reporter"]["email"] == "habitant@example.org"  # agents' part unchanged


def checkerboard() -> bytes:
    img = Image.new("RGB", (320, 240), (255, 255, 255))
    for x in range(0, 320, 20):
        for y in range((x // 20) % 2 * 20, 240, 40):
            img.paste((0, 0, 0), (x, y, x + 20, y + 20))
    out = io.BytesIO()
    img.save(out, "JPEG")
    return out.getvalue()


def _submit_with_photo(client) -> dict[str, Any]:
    r = client.post(
        "/api/v1/reports",
        data={
            "service_code": "nid-de-poule",
            "description": "Visage reconnaissable",
            "lat": "47.3220",
            "long": "5.0415",
            "attributes": '{"danger_immediat": "oui"}',
        },
        files=[("photos", ("trou.jpg", checkerboard(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_reports_publication_operator_checks_text_and_photos(client, vigie, auth, monkeypatch):
    monkeypatch.setattr(vigie.city, "publication", STRICT)
    created = _submit_with_photo(client)
    rid = created["id"]
    assert created["description"] == "" and created["photos"] == []
    with vigie.db.session() as s:
        key = s.query(PhotoRow.key).filter(PhotoRow.report_id == int(rid)).scalar()
    url = f"/api/v1/photos/{key}"
    assert client.get(url).status_code == 404  # waits for a check
    operator = auth("operator")
    assert client.get(url, headers=operator).status_code == 200  # agents see it as taken
    r = client.post(f"/api/v1/reports/{rid}/moderation", json={"checked": True}, headers=operator)
    assert r.status_code == 200, r.text
    assert r.json()["moderation"]["checked_at"] and r.json()["description"] == "Visage reconnaissable"
    assert client.get(f"/api/v1/reports/{rid}").json()["description"] == "Visage reconnaissable"
    r = client.post(
        f"/api/v1/reports/{rid}/moderation", json={"public_description": "Trou signalé"}, headers=operator
    )
    assert client.get(f"/api/v1/reports/{rid}").json()["description"] == "Trou signalé"
    assert r.json()["description"] == "Visage reconnaissable"  # agents read the resident's text
    # Blurred: the public gets a blurred picture, agents the photo as taken.
    r = client.post(
        f"/api/v1/reports/{rid}/photos/{key}/moderation", json={"state": "blurred"}, headers=operator
    )
    assert r.status_code == 200, r.text
    public = client.get(url)
    assert public.status_code == 200 and public.content != client.get(url, headers=operator).content
    assert Image.open(io.BytesIO(public.content)).size == (320, 240)
    assert client.get(url + "/thumbnail").status_code == 200
    assert [p["id"] for p in client.get(f"/api/v1/reports/{rid}").json()["photos"]] == [key]
    client.post(f"/api/v1/reports/{rid}/photos/{key}/moderation", json={"state": "hidden"}, headers=operator)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/reports/{rid}").json()["photos"] == []


def test_reports_publication_moderation_refuses_bad_input(client, vigie, auth):
    rid = submit_report(vigie)
    operator = auth("operator")
    r = client.post(
        f"/api/v1/reports/{rid}/photos/nosuchphoto1/moderation", json={"state": "blurred"}, headers=operator
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/reports/{rid}/photos/nosuchphoto1/moderation", json={"state": "pink"}, headers=operator
    )
    assert r.status_code == 422 and "state" in r.text
    r = client.post(f"/api/v1/reports/{rid}/moderation", json={"checked": "maybe"}, headers=operator)
    assert r.status_code in (400, 422)
    assert client.post(f"/api/v1/reports/{rid}/moderation", json={"checked": True}).status_code == 401
    field = auth("field_agent")
    assert client.post(
        f"/api/v1/reports/{rid}/moderation", json={"checked": True}, headers=field
    ).status_code in (
        403,
        404,
    )


def test_reports_publication_contact_data_in_a_description_never_reaches_the_public(client, vigie, auth):
    # The default (Dijon's) policy shows descriptions at once: a phone number or an
    # e-mail address typed into the text must still stay out of every public rendering.
    said = "Trou profond devant chez moi, rappelez-moi au +33 (0)6 12 34 56 78 ou jean.dupont@example.org"
    rid = submit_report(vigie, description=said)
    masked = "Trou profond devant chez moi, rappelez-moi au [phone] ou [email]"
    f = ReportFilter(ids=[rid])
    public_list = [json.loads(i)["description"] for i in public_items(vigie, f, 1, 50, "fr")[0]]
    open311_list = [json.loads(i)["description"] for i in request_items(Ctx(vigie, "fr"), f, 1, 50)[0]]
    one = client.get(f"/api/v1/reports/{rid}").json()["description"]
    open311_one = client.get(f"/open311/v2/requests/{rid}.json").json()[0]["description"]
    assert public_list == open311_list == [masked] and one == open311_one == masked
    operator = auth("operator")
    assert client.get(f"/api/v1/reports/{rid}", headers=operator).json()["description"] == said
    # An operator's own public text replaces it; clearing it masks the resident's again.
    r = client.post(
        f"/api/v1/reports/{rid}/moderation", json={"public_description": "Trou"}, headers=operator
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/reports/{rid}").json()["description"] == "Trou"
    r = client.post(f"/api/v1/reports/{rid}/moderation", json={"public_description": None}, headers=operator)
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/reports/{rid}").json()["description"] == masked
    # A text without contact data keeps no public text of its own (nothing to mask).
    plain = submit_report(vigie, description="Lampadaire éteint depuis le 06/12, n° 12")
    with vigie.db.session() as s:
        assert s.get(ReportRow, plain).public_description is None


def test_reports_publication_duplicates_nearby_say_no_more_than_the_cell(vigie, client, monkeypatch):
    """Duplicates nearby were chosen and measured from the exact position: moving the asking
    point a few metres at a time, a report came into the service's radius, and its rounded
    distance changed, where its exact position lies, not its cell. Two reports of one cell must
    answer alike wherever one asks from."""
    monkeypatch.setattr(vigie.city, "publication", STRICT)
    grid = STRICT.grid
    assert grid is not None
    cell_lat = (47.30123 // grid.lat_step) * grid.lat_step
    cell_long = (5.01234 // grid.long_step) * grid.long_step
    long = cell_long + grid.long_step / 2
    low = submit_report(vigie, lat=cell_lat + 0.1 * grid.lat_step, long=long)
    high = submit_report(vigie, lat=cell_lat + 0.9 * grid.lat_step, long=long)
    differ = []
    for tenth in range(-30, 40):
        lat = cell_lat + tenth * grid.lat_step / 10
        params = {"service_code": "nid-de-poule", "lat": lat, "long": long}
        r = client.get("/api/v1/reports/duplicates", params=params)
        assert r.status_code == 200, r.text
        found = {int(x["id"]): x["distance_m"] for x in r.json()}
        if found.get(low) != found.get(high):
            differ.append((tenth, found))
    assert differ == []


def test_reports_publication_public_map_groups_reports_by_their_cell(vigie, client, monkeypatch):
    """The public map grouped reports by their exact positions: at a zoom of one's choosing (any
    number) two reports of one cell came back as one group or as two, which told how far apart
    they are inside it. Grouped by their cells, they are one group at every zoom."""
    monkeypatch.setattr(vigie.city, "publication", STRICT)
    grid = STRICT.grid
    assert grid is not None
    cell_lat = (47.30123 // grid.lat_step) * grid.lat_step
    cell_long = (5.01234 // grid.long_step) * grid.long_step
    for share in (0.1, 0.9):
        submit_report(vigie, lat=cell_lat + share * grid.lat_step, long=cell_long + share * grid.long_step)
    bbox = f"{cell_long - 0.01},{cell_lat - 0.01},{cell_long + 0.01},{cell_lat + 0.01}"
    centre = STRICT.position(cell_lat + grid.lat_step / 2, cell_long + grid.long_step / 2)
    for quarter in range(48, 68):  # zoom 12 to 16.75
        body = client.get("/api/v1/map", params={"bbox": bbox, "zoom": quarter / 4}).json()
        assert body["points"] == [], quarter / 4
        assert [(c["lat"], c["long"], c["count"]) for c in body["clusters"]] == [(*centre, 2)], quarter / 4


@pytest.mark.parametrize("chosen", [None, STRICT], ids=["dijon", "strict"])
def test_reports_publication_private_answers_reach_agents_only(client, vigie, auth, monkeypatch, chosen):
    # Dijon's catalogue keeps the registration plate and the vehicle's description for agents
    # (`public: false`): under any policy they stay out of every public rendering, SQL or Python.
    if chosen is not None:
        monkeypatch.setattr(vigie.city, "publication", chosen)
    answers = {"plaque": "AB-123-CD", "marque_couleur": "Clio grise", "vu_depuis": "2026-11-20T08:00"}
    rid = submit_report(vigie, service_code="vehicule-ventouse", attributes=answers)
    with vigie.db.engine.begin() as conn:  # checked: STRICT then shows the other answers
        conn.execute(update(ReportRow).where(ReportRow.id == rid).values(public_checked_at=datetime.now(UTC)))
    f = ReportFilter(ids=[rid])
    (listed,) = [json.loads(i) for i in public_items(vigie, f, 1, 50, "fr")[0]]
    one = client.get(f"/api/v1/reports/{rid}").json()
    extended = client.get(f"/open311/v2/requests/{rid}.json", params={"extensions": "true"}).json()[0]
    plain = client.get("/open311/v2/requests.json", params={"service_request_id": str(rid)}).text
    assert set(listed["attributes"]) == set(one["attributes"]) == {"vu_depuis"}
    assert [a["code"] for a in extended["attributes"]] == ["vu_depuis"]
    for text in (json.dumps(listed), json.dumps(one), json.dumps(extended), plain):
        assert "AB-123-CD" not in text and "Clio" not in text
    # Agents read every answer, as filed.
    agent = client.get(f"/api/v1/reports/{rid}", headers=auth("operator")).json()
    assert (
        agent["attributes"]["plaque"] == "AB-123-CD" and agent["attributes"]["marque_couleur"] == "Clio grise"
    )
    # The resident is told, on the form, which answers the city keeps for its agents.
    services = {s["code"]: s for s in vigie_form_services(vigie)}
    flags = {a["code"]: a["public"] for a in services["vehicule-ventouse"]["attributes"]}
    assert flags["plaque"] is False and flags["vu_depuis"] is True


def vigie_form_services(vigie: Any) -> list[dict[str, Any]]:
    from vigie.citizen.views import form_services

    return [{"code": code, **s} for code, s in form_services(vigie, "fr").items()]
