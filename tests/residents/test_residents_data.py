"""What follows a resident across devices: merge, favourites, export, deletion."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.residents.conftest import outbox, sign_in
from vigie.notifications.erasure import do_erase, do_request_erasure, erase_path
from vigie.notifications.storage import ConsentRow, ErasureRow
from vigie.reports.actions import do_follow
from vigie.reports.storage import ReportRow
from vigie.residents.storage import FavouriteRow, ReminderRow, ResidentReportRow, ResidentRow
from vigie.runtime import Vigie

PLACE = {"kind": "place", "ref": "ecoles.0001", "label": "École Voltaire", "lat": 47.32, "lon": 5.04}
HOME = {"kind": "address", "ref": "12 Rue de la Liberté 21000 Dijon", "label": "Chez moi"}


def _count(v: Vigie, table) -> int:  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_residents_merge_is_idempotent_and_reaches_another_device(
    client: TestClient, vigie: Vigie, app, submit: Callable[..., ReportRow]
):  # type: ignore[no-untyped-def]
    mine, other = submit(), submit(description="Lampadaire éteint")
    _, follow_token = do_follow(vigie, other.id)
    csrf = sign_in(client, vigie, "multi@example.org")
    device = {"reports": [mine.token, follow_token, "unknown-token"], "favourites": [PLACE, HOME]}
    for _ in range(2):  # a device sends its lists at every page load
        r = client.post("/api/v1/resident/merge", json=device, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
    assert _count(vigie, ResidentReportRow) == 2 and _count(vigie, FavouriteRow) == 2
    with vigie.db.session() as s:
        accounts = dict(s.execute(select(ReportRow.id, ReportRow.account_id)).all())
    assert accounts[mine.id].startswith("resident:") and accounts[other.id] == ""  # followed, not made
    with TestClient(app) as phone:
        sign_in(phone, vigie, "MULTI@example.org")
        data = phone.get("/api/v1/resident").json()
    assert {(r["token"], r["role"]) for r in data["reports"]} == {
        (mine.token, "report"),
        (follow_token, "follow"),
    }
    service = vigie.catalogue.service("nid-de-poule")
    assert service is not None and {r["service"] for r in data["reports"]} == {service.name.get("fr")}
    assert {(f["kind"], f["ref"]) for f in data["favourites"]} == {
        ("place", "ecoles.0001"),
        ("address", HOME["ref"]),
    }
    assert "public_note" not in str(data) and "Trou devant" not in str(data)  # no report text in the account


def test_residents_merge_refuses_bad_input_naming_the_field(client: TestClient, vigie: Vigie):
    csrf = sign_in(client, vigie, "mauvais@example.org")
    h = {"X-CSRF-Token": csrf}
    cases = [
        ({"reports": "abc"}, "reports"),
        ({"reports": [1]}, "reports"),
        ({"favourites": [{"kind": "planet", "ref": "x"}]}, "kind"),
        ({"favourites": [{"kind": "place", "ref": "x", "lat": 91}]}, "lat"),
        ({"favourites": [{"kind": "place", "ref": "x" * 201}]}, "ref"),
        ({"autre": 1}, "autre"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/resident/merge", json=body, headers=h)
        assert r.status_code == 422 and r.json().get("field") == field, (body, r.text)
    assert client.post("/api/v1/resident/reports", json={"token": "nothing"}, headers=h).status_code == 404


def test_residents_favourites_and_reports_added_and_removed_one_by_one(
    client: TestClient, vigie: Vigie, submit: Callable[..., ReportRow]
):
    csrf = sign_in(client, vigie, "un@example.org")
    h = {"X-CSRF-Token": csrf}
    report = submit()
    assert client.post("/api/v1/resident/reports", json={"token": report.token}, headers=h).status_code == 204
    assert client.post("/api/v1/resident/favourites", json=PLACE, headers=h).status_code == 204
    assert client.post("/api/v1/resident/favourites", json=PLACE, headers=h).status_code == 204
    data = client.get("/api/v1/resident").json()
    assert len(data["reports"]) == 1 and len(data["favourites"]) == 1
    page = client.get("/compte").text
    assert report.reference in page and "École Voltaire" in page
    r = client.delete("/api/v1/resident/favourites", params={"kind": "place", "ref": PLACE["ref"]}, headers=h)
    assert r.status_code == 204
    assert client.delete(f"/api/v1/resident/reports/{report.token}", headers=h).status_code == 204
    data = client.get("/api/v1/resident").json()
    assert data["reports"] == [] and data["favourites"] == []


def test_residents_export_as_json_and_as_a_page(
    client: TestClient, vigie: Vigie, submit: Callable[..., ReportRow]
):
    csrf = sign_in(client, vigie, "export@example.org")
    report = submit()
    client.post(
        "/api/v1/resident/merge",
        json={"reports": [report.token], "favourites": [HOME]},
        headers={"X-CSRF-Token": csrf},
    )
    r = client.get("/api/v1/resident/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "no-store"
    data = r.json()
    assert data["account"]["email"] == "export@example.org" and len(data["sessions"]) == 1
    assert (
        data["reports"][0]["reference"] == report.reference and data["favourites"][0]["label"] == "Chez moi"
    )
    page = client.get("/compte/donnees")
    assert page.status_code == 200 and report.reference in page.text and "Chez moi" in page.text
    client.cookies.clear()
    assert client.get("/api/v1/resident/export").status_code == 401
    assert client.get("/compte/donnees", follow_redirects=False).status_code == 303


def test_residents_delete_erases_the_account_and_unlinks_its_reports(
    client: TestClient, vigie: Vigie, submit: Callable[..., ReportRow]
):
    csrf = sign_in(client, vigie, "adieu@example.org")
    report = submit()
    h = {"X-CSRF-Token": csrf}
    client.post("/api/v1/resident/merge", json={"reports": [report.token], "favourites": [PLACE]}, headers=h)
    form = {
        "csrf_token": csrf,
        "label": "1 Rue de la Liberté",
        "commune": "21231",
        "rue": "Rue de la Liberté",
        "streams": ["household"],
        "at": "19:00",
    }
    assert client.post("/compte/rappels", data=form, follow_redirects=False).status_code == 303
    assert client.post("/compte/supprimer", data={"csrf_token": csrf}).status_code == 422  # not confirmed
    r = client.post("/compte/supprimer", data={"csrf_token": csrf, "confirmer": "1"})
    assert r.status_code == 200 and "vigie_resident" in r.headers["set-cookie"]
    for table in (ResidentRow, ResidentReportRow, FavouriteRow, ReminderRow):
        assert _count(vigie, table) == 0, table
    with vigie.db.session() as s:
        kept = s.get(ReportRow, report.id)
        assert kept is not None and kept.account_id == "" and kept.description  # the report stays
        assert (
            s.scalar(select(func.count()).select_from(ConsentRow).where(ConsentRow.address_hash != "")) == 0
        )
    assert all(m.recipient == "" and m.body_text == "" for m in outbox(vigie, "signin"))
    assert client.get("/api/v1/resident").status_code == 401


def test_residents_erasure_by_email_deletes_the_account_too(client: TestClient, vigie: Vigie):
    sign_in(client, vigie, "efface@example.org")
    do_request_erasure(vigie, "efface@example.org")
    with vigie.db.session() as s:
        token = str(s.scalar(select(ErasureRow.token)))
    do_erase(vigie, token, erase_path(vigie.settings.secret_key, token).rsplit("/", 1)[1])
    assert _count(vigie, ResidentRow) == 0
    assert client.get("/api/v1/resident").status_code == 401


def test_residents_everything_works_without_an_account(client: TestClient, vigie: Vigie):
    for path in ("/", "/mes-signalements", "/dechets", "/compte"):
        r = client.get(path)
        assert r.status_code == 200 and '"account":null' in r.text.replace(" ", ""), path
    assert client.get("/api/v1/resident").status_code == 401
