"""/api/v1/pilotage: agents list, procedure messages, resolution with photos, hand back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.pilotage.conftest import submit
from tests.reports.helpers import jpeg_bytes
from vigie.accounts.storage import AuditRow, UserRow
from vigie.reports import actions
from vigie.reports.storage import PhotoRow

RESOLUTION = "/api/v1/pilotage/reports/{}/resolution"
HANDBACK = "/api/v1/pilotage/reports/{}/handback"


def photo_files(vigie) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(vigie.settings.data_dir) / "photos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def assigned(client, vigie, make_agent):  # type: ignore[no-untyped-def]
    """(report id, field agent, operator): a new report assigned to a field agent."""
    operator = make_agent("operator")
    field = make_agent("field_agent", "voirie-nord")
    report = submit(client, reporter_email="alice@example.org")
    actions.do_assign(vigie, report["id"], operator, user_id=field.id)
    return report["id"], field, operator


def test_agents_list_is_for_dispatchers_only(client, auth, make_agent, vigie):
    field = make_agent("field_agent", "voirie-nord")
    gone = make_agent("field_agent")
    with vigie.db.session(write=True) as s:
        s.get(UserRow, gone.id).active = False
        s.commit()
    assert client.get("/api/v1/pilotage/agents").status_code == 401
    r = client.get("/api/v1/pilotage/agents", headers=auth("field_agent"))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    for role in ("operator", "supervisor", "admin"):
        r = client.get("/api/v1/pilotage/agents", headers=auth(role))
        assert r.status_code == 200, role
        ids = {a["id"] for a in r.json()}
        assert field.id in ids and gone.id not in ids
    r = client.get("/api/v1/pilotage/agents", params={"role": "field_agent"}, headers=auth("operator"))
    assert [a["id"] for a in r.json() if a["role"] != "field_agent"] == []
    assert {"id", "name", "email", "role", "team"} <= set(r.json()[0])
    r = client.get("/api/v1/pilotage/agents", params={"team": "voirie-nord"}, headers=auth())
    assert [a["id"] for a in r.json()] == [field.id]
    r = client.get("/api/v1/pilotage/agents", params={"role": "chef"}, headers=auth())
    assert r.status_code == 422 and r.json()["field"] == "role"


def test_messages_give_the_procedure_templates(client, auth, assigned):
    rid, _, _ = assigned
    assert client.get(f"/api/v1/pilotage/reports/{rid}/messages").status_code == 401
    fr = client.get(f"/api/v1/pilotage/reports/{rid}/messages", headers=auth()).json()
    assert fr["resolved"].startswith("La réparation a été effectuée")
    en = client.get(f"/api/v1/pilotage/reports/{rid}/messages", params={"lang": "en"}, headers=auth()).json()
    assert en["resolved"].startswith("The repair has been carried out")
    r = client.get(f"/api/v1/pilotage/reports/{rid}/messages", headers=auth("field_agent"))
    assert r.status_code == 404


def test_resolution_needs_a_logged_in_agent_and_multipart(client, auth, assigned):
    rid, _, _ = assigned
    files = {"photos": ("fix.jpg", jpeg_bytes(), "image/jpeg")}
    assert client.post(RESOLUTION.format(rid), files=files).status_code == 401
    r = client.post(RESOLUTION.format(rid), json={"public_note": "x"}, headers=auth())
    assert r.status_code == 415 and r.json()["type"].endswith("unsupported_media_type")
    r = client.post(RESOLUTION.format(rid), data={"public_note": "x"}, headers=auth())
    assert r.status_code == 415  # a form without files is not multipart


def test_resolution_refuses_bad_photos_and_leaves_no_file(client, vigie, session_client, assigned):
    rid, field, _ = assigned
    agent = session_client(field)
    before = photo_files(vigie)
    cases = [
        ({"photos": ("fix.jpg", b"this is not an image", "image/jpeg")}, 415),
        ({"photos": ("fix.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg")}, 422),
    ]
    for files, status in cases:
        r = agent.post(RESOLUTION.format(rid), files=files, data={"public_note": "Fait"})
        assert r.status_code == status, r.text
        assert r.json()["field"] == "photo"
    r = agent.post(RESOLUTION.format(rid), files={"public_note": (None, "Fait")})
    assert r.status_code == 422 and r.json()["field"] == "photos"
    r = agent.post(RESOLUTION.format(rid), files={"photos": (None, "not a file")})
    assert r.status_code == 422 and r.json()["field"] == "photos"
    r = agent.post(
        RESOLUTION.format(rid),
        files=[("photos", (f"{i}.jpg", jpeg_bytes(), "image/jpeg")) for i in range(6)],
    )
    assert r.status_code == 422 and r.json()["field"] == "photos"
    assert photo_files(vigie) == before
    assert actions.get_report(vigie, rid).status == "assigned"


def test_resolution_by_another_field_agent_is_not_found(client, make_agent, session_client, assigned):
    rid, _, _ = assigned
    stranger = session_client(make_agent("field_agent"))
    r = stranger.post(RESOLUTION.format(rid), files={"photos": ("fix.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 404


def test_session_without_csrf_token_is_refused(client, session_client, assigned):
    rid, field, _ = assigned
    agent = session_client(field)
    del agent.headers["X-CSRF-Token"]
    r = agent.post(RESOLUTION.format(rid), files={"photos": ("f.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 403


def test_resolution_resolves_with_a_resolution_photo(client, vigie, session_client, assigned):
    rid, field, _ = assigned
    published = []
    original = vigie.bus.publish
    vigie.bus.publish = lambda events: (published.extend(events), original(events))  # type: ignore[method-assign]
    agent = session_client(field)
    r = agent.post(
        RESOLUTION.format(rid),
        files={"photos": ("fix.png", jpeg_bytes((800, 600)), "image/jpeg")},
        data={"public_note": "Trou rebouché.", "internal_note": "Enrobé à froid, 2 sacs."},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "resolved" and body["status_notes"] == "Trou rebouché."
    assert [p["kind"] for p in body["photos"]] == ["resolution"]
    with vigie.db.session() as s:
        rows = list(s.scalars(select(PhotoRow).where(PhotoRow.report_id == int(rid))))
        audit = list(s.scalars(select(AuditRow).where(AuditRow.target_id == str(rid))))
    assert [(p.kind, p.width, p.content_type) for p in rows] == [("resolution", 800, "image/jpeg")]
    assert vigie.photos.get(rows[0].key)[:2] == b"\xff\xd8"
    assert vigie.photos.exists(rows[0].key + "_t")
    assert audit[-1].action == "report.status" and audit[-1].user_id == field.id
    assert audit[-1].detail == {"status": "resolved", "photos": 1}
    last = actions.report_updates(vigie, int(rid))[-1]
    assert (last.kind, last.status, last.previous_status) == ("status", "resolved", "assigned")
    assert last.internal_note == "Enrobé à froid, 2 sacs." and last.detail == {"photos": [rows[0].key]}
    # The residents' live tracking gets the resolution photo in the public payload.
    event = published[-1]
    assert event.type == "report.updated" and event.payload["status"] == "resolved"
    assert [p["kind"] for p in event.payload["photos"]] == ["resolution"]
    assert "alice" not in str(event.payload)
    # Resolving again is a conflict, and leaves no stray file.
    before = photo_files(vigie)
    again = agent.post(RESOLUTION.format(rid), files={"photos": ("fix.jpg", jpeg_bytes(), "image/jpeg")})
    assert again.status_code == 409
    assert photo_files(vigie) == before


def test_operator_may_resolve_any_report_with_photos(client, auth, vigie):
    report = submit(client)
    r = client.post(
        RESOLUTION.format(report["id"]),
        files=[("photos", (f"{i}.jpg", jpeg_bytes(), "image/jpeg")) for i in range(2)],
        headers=auth("operator"),
    )
    assert r.status_code == 200
    assert [p["kind"] for p in r.json()["photos"]] == ["resolution", "resolution"]
    assert (
        client.post(
            RESOLUTION.format(999999), files={"photos": ("a.jpg", jpeg_bytes(), "image/jpeg")}, headers=auth()
        ).status_code
        == 404
    )


def test_hand_back_returns_the_report_to_the_operators(client, vigie, session_client, assigned):
    rid, field, _ = assigned
    agent = session_client(field)
    assert agent.post(f"/api/v1/reports/{rid}/status", json={"status": "in_progress"}).status_code == 200
    r = agent.post(HANDBACK.format(rid), json={"reason": "not_city", "note": "Terrain privé (copropriété)."})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "acknowledged" and body["assigned_user_id"] is None
    assert body["team"] == "voirie-nord"
    last = actions.report_updates(vigie, int(rid))[-1]
    assert (last.kind, last.previous_status, last.status) == ("handback", "in_progress", "acknowledged")
    assert last.internal_note == "Terrain privé (copropriété)." and last.public_note == ""
    assert last.detail == {"reason": "not_city", "from_user_id": field.id}
    # No longer theirs: a second hand back is not found for them.
    assert agent.post(HANDBACK.format(rid), json={"reason": "other", "note": "x"}).status_code == 404


def test_hand_back_is_checked(client, auth, vigie, make_agent, session_client, assigned):
    rid, field, operator = assigned
    agent = session_client(field)
    bad = [
        ({"reason": "bored"}, 422, "reason"),
        ({"reason": "other"}, 422, "note"),
        ({"reason": "other", "note": "x", "extra": 1}, 422, "extra"),
    ]
    for payload, status, field_name in bad:
        r = agent.post(HANDBACK.format(rid), json=payload)
        assert r.status_code == status and r.json()["field"] == field_name, r.text
    assert client.post(HANDBACK.format(rid), json={"reason": "other", "note": "x"}).status_code == 401
    # An operator is not the assignee: conflict rather than silently unassigning.
    r = client.post(HANDBACK.format(rid), json={"reason": "needs_other_team"}, headers=auth())
    assert r.status_code == 409
    other = session_client(make_agent("field_agent"))
    assert other.post(HANDBACK.format(rid), json={"reason": "cannot_locate"}).status_code == 404
    actions.do_change_status(vigie, rid, operator, "resolved")
    assert agent.post(HANDBACK.format(rid), json={"reason": "cannot_locate"}).status_code == 409


def test_endpoints_are_documented_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/pilotage/agents",
        "/api/v1/pilotage/stats",
        "/api/v1/pilotage/reports/{report_id}/resolution",
        "/api/v1/pilotage/reports/{report_id}/handback",
        "/api/v1/pilotage/reports/{report_id}/messages",
    ):
        assert path in paths, path
    body = paths["/api/v1/pilotage/reports/{report_id}/resolution"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]
    assert not any(p.startswith(("/pilotage", "/terrain")) for p in paths)
