"""Cameras leave the public registry and the shared map; the public list publishes what the
law makes public, and nothing that places a camera."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.telemetry.helpers import add_asset
from tests.videoprotection.helpers import video_site
from vigie.accounts.actions import do_create_login
from vigie.accounts.storage import AuditRow
from vigie.videoprotection import actions, public
from vigie.web.deps import SESSION_COOKIE


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_videoprotection_privacy_cameras_are_not_in_the_public_registry(
    client, vigie, agent_token, make_agent, cameras
):
    add_asset(vigie, "SL-00001")
    op = _h(agent_token("operator"))
    for headers in ({}, op):
        ids = [a["id"] for a in client.get("/api/v1/assets", headers=headers).json()["items"]]
        assert ids == ["SL-00001"]
        layer = client.get("/api/v1/assets.geojson", params={"type": "camera"}, headers=headers).json()
        assert layer["features"] == []
        assert client.get(f"/api/v1/assets/{cameras[0]}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/telemetry/{cameras[0]}", headers=op).status_code == 404
    token, _ = do_create_login(vigie.db, make_agent("operator"), "session", 1)
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/pilotage/equipements/" + cameras[0])
    client.cookies.clear()
    assert page.status_code == 404
    video = _h(agent_token("video_operator"))
    layer = client.get("/api/v1/assets.geojson", params={"type": "camera"}, headers=video).json()
    assert sorted(f["properties"]["id"] for f in layer["features"]) == cameras
    assert client.get(f"/api/v1/assets/{cameras[0]}", headers=video).status_code == 200
    with vigie.db.session() as s:
        consulted = [(r.action, r.target_id) for r in s.scalars(select(AuditRow))]
    assert ("asset.consulted", cameras[0]) in consulted


def test_videoprotection_privacy_public_list_publishes_declared_fields_only(
    client, vigie, make_agent, cameras
):
    vo = make_agent("video_operator")
    site = video_site(vigie, vo)
    video_site(vigie, vo, "DIJ-VP-OLD", authorised_on=__import__("datetime").date(2019, 1, 10))  # expired
    actions.do_set_camera(
        vigie, vo, cameras[0], site["id"], overlooks_private=False, privacy_masks=False, signage=True
    )
    data = client.get("/api/v1/videoprotection/public.json").json()
    assert [x["code"] for x in data["items"]] == ["DIJ-VP-001"]
    item = data["items"][0]
    assert set(item) == set(public.PUBLISHED)
    assert item["cameras"] == 1 and item["responsible_service"] == "Police municipale de Dijon"
    text = str(data["items"])
    for private in ("Claire Martin", "47.32", "5.04", cameras[0], "favourable"):
        assert private not in text
    assert set(data["fields"]) == set(public.PUBLISHED) and data["withheld"]
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/videoprotection/public.csv").text)))
    assert [r["code"] for r in rows] == ["DIJ-VP-001"] and rows[0][
        "purposes"
    ] == "public_buildings|crime_prevention"
    page = client.get("/videoprotection")
    assert (
        page.status_code == 200 and "Place de la Libération" in page.text and "Claire Martin" not in page.text
    )
