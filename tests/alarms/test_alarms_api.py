"""/api/v1/alarms: lists with filters, detail, acknowledge / assign / comment / clear by role."""

from __future__ import annotations

import pytest

from tests.telemetry.helpers import add_asset, light
from vigie.db import utcnow


@pytest.fixture
def raised(vigie, make_pipeline):  # type: ignore[no-untyped-def]
    add_asset(vigie, "SL-00001", zone="21231")
    add_asset(vigie, "CAM-0001", "camera", zone="21617")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp"))
    p.ingest("CAM-0001", b'{"ts": "%s", "online": false}' % utcnow().isoformat().encode())
    p.flush()
    return p


def test_alarms_api_lists_with_filters_and_detail(client, auth, raised):
    op, video = auth("operator"), auth("video_operator")
    all_ = client.get("/api/v1/alarms", headers=op).json()
    # A camera's alarm is for the video-protection roles only, who see nothing else.
    assert [a["type"] for a in all_["items"]] == ["lamp-failure"]
    cams = client.get("/api/v1/alarms", headers=video).json()
    assert [a["type"] for a in cams["items"]] == ["camera-offline"]
    assert client.get(f"/api/v1/alarms/{cams['items'][0]['id']}", headers=op).status_code == 404
    assert client.get(f"/api/v1/alarms/{all_['items'][0]['id']}", headers=video).status_code == 404
    assert client.get("/api/v1/alarms/summary", headers=video).json()["active"]["major"] == {
        "active_unacknowledged": 1
    }
    assert [
        a["asset_id"] for a in client.get("/api/v1/alarms?zone=21617", headers=video).json()["items"]
    ] == ["CAM-0001"]
    assert client.get("/api/v1/alarms?zone=21617", headers=op).json()["total"] == 0
    assert (
        client.get("/api/v1/alarms?type=lamp-failure&severity=major,critical", headers=op).json()["total"]
        == 1
    )
    assert client.get("/api/v1/alarms?state=cleared", headers=op).json()["total"] == 0
    assert client.get("/api/v1/alarms?state=active_unacknowledged", headers=op).json()["total"] == 1
    assert client.get("/api/v1/alarms?state=bogus", headers=op).status_code == 422
    alarm_id = all_["items"][0]["id"]
    d = client.get(f"/api/v1/alarms/{alarm_id}", headers=op).json()
    assert d["history"][0]["kind"] == "raised" and d["links"] == []
    assert client.get("/api/v1/alarms/99999", headers=op).status_code == 404
    assert client.get("/api/v1/alarms/summary", headers=op).json()["active"]["major"] == {
        "active_unacknowledged": 1
    }


def test_alarms_api_needs_an_agent(client, raised):
    assert client.get("/api/v1/alarms").status_code == 401
    assert client.post("/api/v1/alarms/1/acknowledge").status_code == 401


def test_alarms_api_operator_acknowledges_assigns_comments(client, auth, make_agent, raised):
    op = auth("operator")
    field = make_agent("field_agent")
    alarm_id = client.get("/api/v1/alarms?type=lamp-failure", headers=op).json()["items"][0]["id"]
    r = client.post(f"/api/v1/alarms/{alarm_id}/acknowledge", json={"note": "vu"}, headers=op)
    assert r.status_code == 200 and r.json()["state"] == "active_acknowledged"
    assert client.post(f"/api/v1/alarms/{alarm_id}/acknowledge", headers=op).status_code == 409
    r = client.post(f"/api/v1/alarms/{alarm_id}/assign", json={"user_id": field.id}, headers=op)
    assert r.json()["assigned_user_id"] == field.id
    assert (
        client.post(f"/api/v1/alarms/{alarm_id}/assign", json={"user_id": 9999}, headers=op).status_code
        == 422
    )
    r = client.post(f"/api/v1/alarms/{alarm_id}/comment", json={"note": "équipe prévenue"}, headers=op)
    assert r.json()["history"][-1]["note"] == "équipe prévenue"
    assert client.post(f"/api/v1/alarms/{alarm_id}/comment", json={"note": ""}, headers=op).status_code == 422
    # Field agents read but do not triage.
    fa = auth("field_agent")
    assert (
        client.post(f"/api/v1/alarms/{alarm_id}/comment", json={"note": "x"}, headers=fa).status_code == 403
    )


def test_alarms_api_only_supervisors_clear(client, auth, raised):
    op, sup, video = auth("operator"), auth("supervisor"), auth("video_operator")
    alarm_id = client.get("/api/v1/alarms?type=lamp-failure", headers=op).json()["items"][0]["id"]
    assert client.post(f"/api/v1/alarms/{alarm_id}/clear", headers=op).status_code == 403
    r = client.post(f"/api/v1/alarms/{alarm_id}/clear", json={"note": "lampe remplacée"}, headers=sup)
    assert r.status_code == 200 and r.json()["state"] == "cleared_unacknowledged"
    assert r.json()["cleared_by"].startswith("supervisor")
    # A camera's alarm: its role clears it; for a supervisor it does not exist.
    cam_id = client.get("/api/v1/alarms?type=camera-offline", headers=video).json()["items"][0]["id"]
    assert client.post(f"/api/v1/alarms/{cam_id}/clear", headers=sup).status_code == 404
    r = client.post(f"/api/v1/alarms/{cam_id}/clear", json={"note": "caméra remplacée"}, headers=video)
    assert r.status_code == 200 and r.json()["cleared_by"].startswith("video_operator")
    assert client.post(f"/api/v1/alarms/{alarm_id}/clear", headers=sup).status_code == 409
