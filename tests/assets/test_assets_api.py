"""The assets API: lists, detail, GeoJSON layers, and who may write."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from vigie.accounts.storage import AuditRow
from vigie.app import create_app
from vigie.assets.storage import AssetRow
from vigie.runtime import Vigie

from .conftest import DIJON_CENTRE, Fleet

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def api(vigie: Vigie) -> Iterator[TestClient]:
    app = create_app(vigie=vigie)
    with TestClient(app) as c:
        yield c


def _problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if field is not None:
        assert body["field"] == field, body
    return body


def test_api_list_filters_by_type_status_zone_group_and_bbox(api: TestClient, small_fleet: Fleet) -> None:
    def ids(**params: object) -> list[str]:
        r = api.get("/api/v1/assets", params=params)
        assert r.status_code == 200, r.text
        return [a["id"] for a in r.json()["items"]]

    # Cameras are not in the public registry (tests/videoprotection: for their roles only).
    assert ids() == sorted(set(small_fleet) - {"CAM-9001"})
    assert ids(type="street_light") == ["SL-Q-1", "SL-T-1", "SL-T-2", "SL-T-3", "SL-T-4"]
    assert ids(type="camera,vehicle") == ["VEH-901"]
    assert ids(type="street_light", status="maintenance") == ["SL-T-3"]
    assert ids(zone="21515") == ["SL-Q-1"]
    assert ids(group="21231-G001") == ["SL-T-1", "SL-T-2", "SL-T-3"]
    lat, long = DIJON_CENTRE
    assert ids(
        type="street_light", bbox=f"{long - 0.0001},{lat - 0.0001},{long + 0.0001},{lat + 0.0007}"
    ) == [
        "SL-T-1",
        "SL-T-2",
        "SL-T-3",
    ]
    assert ids(type="street_light", lat=lat, long=long, radius=40) == ["SL-T-1", "SL-T-2", "SL-T-4"]
    page = api.get("/api/v1/assets", params={"page_size": 3, "page": 2}).json()
    assert [a["id"] for a in page["items"]] == ["SL-T-2", "SL-T-3", "SL-T-4"]  # CAM-9001 left out
    assert page["next_page"] == 3
    _problem(api.get("/api/v1/assets", params={"type": "lamp"}), 422, "type")
    _problem(api.get("/api/v1/assets", params={"status": "broken"}), 422, "status")
    _problem(api.get("/api/v1/assets", params={"bbox": "1,2,3"}), 422, "bbox")


def test_api_detail_has_attributes_links_and_telemetry_slots(api: TestClient, small_fleet: Fleet) -> None:
    r = api.get("/api/v1/assets/SL-T-2")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "street_light"
    assert (body["zone"], body["zone_name"]) == ("21231", "Dijon")
    assert body["attributes"] == {"lampTechnology": "HPS", "powerRating": 100, "lanternHeight": 6}
    assert body["links"] == {"refStreetlightControlCabinet": "CAB-9001"}
    # Live state is for agents only: the public detail has empty telemetry slots.
    assert body["latest"] is None and body["history"] == []
    body = _problem(api.get("/api/v1/assets/SL-NOPE"), 404)
    assert body["detail"] == "no asset with id 'SL-NOPE'"
    types = api.get("/api/v1/assets/types").json()
    assert "street_light" in [t["code"] for t in types["types"]]


def test_api_geojson_is_a_valid_feature_collection(api: TestClient, small_fleet: Fleet) -> None:
    r = api.get("/api/v1/assets.geojson", headers={"accept-encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    features = {f["id"]: f for f in doc["features"]}
    # The vehicle has no position: it is not on the map; cameras are not on the public one.
    assert set(features) == set(small_fleet) - {"VEH-901", "CAM-9001"}
    assert r.headers["x-feature-count"] == str(len(features))
    sl = features["SL-T-1"]
    assert sl["type"] == "Feature"
    assert sl["geometry"] == {"type": "Point", "coordinates": [DIJON_CENTRE[1], DIJON_CENTRE[0]]}
    assert sl["properties"] == {"id": "SL-T-1", "type": "street_light", "status": "in_service"}

    lights = api.get(
        "/api/v1/assets.geojson",
        params={"type": "street_light", "zone": "21231", "attributes": "lampTechnology,powerRating"},
    ).json()
    props = {f["id"]: f["properties"] for f in lights["features"]}
    assert set(props) == {"SL-T-1", "SL-T-2", "SL-T-3", "SL-T-4"}
    assert props["SL-T-4"]["lampTechnology"] == "MH"
    assert props["SL-T-4"]["powerRating"] == 150
    _problem(api.get("/api/v1/assets.geojson", params={"attributes": "colour"}), 422, "attributes")
    _problem(
        api.get(
            "/api/v1/assets.geojson",
            params={"type": "control_cabinet", "attributes": "refStreetlightGroup"},
        ),
        422,
        "attributes",
    )
    empty = api.get("/api/v1/assets.geojson", params={"zone": "21003"}).json()
    assert empty == {"type": "FeatureCollection", "features": []}


def test_api_geojson_cache_revalidates_and_follows_writes(
    api: TestClient, small_fleet: Fleet, auth: Auth
) -> None:
    first = api.get("/api/v1/assets.geojson", params={"type": "street_light"})
    etag = first.headers["etag"]
    assert first.headers["content-encoding"] == "gzip"  # TestClient accepts gzip
    assert (
        api.get(
            "/api/v1/assets.geojson", params={"type": "street_light"}, headers={"if-none-match": etag}
        ).status_code
        == 304
    )
    raw = api.get(
        "/api/v1/assets.geojson", params={"type": "street_light"}, headers={"accept-encoding": "identity"}
    )
    assert "content-encoding" not in raw.headers
    assert json.loads(raw.content) == first.json()

    r = api.post(
        "/api/v1/assets/SL-T-1/status",
        json={"status": "out_of_service", "note": "mât accidenté"},
        headers=auth("operator"),
    )
    assert r.status_code == 200, r.text
    after = api.get(
        "/api/v1/assets.geojson", params={"type": "street_light"}, headers={"if-none-match": etag}
    )
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    status = {f["id"]: f["properties"]["status"] for f in after.json()["features"]}
    assert status["SL-T-1"] == "out_of_service"


def test_api_create_needs_a_supervisor_or_admin(api: TestClient, auth: Auth, vigie: Vigie) -> None:
    body: dict[str, Any] = {
        "id": "CAM-0999",
        "type": "camera",
        "lat": DIJON_CENTRE[0],
        "long": DIJON_CENTRE[1],
        "name": "Place de la Libération",
        "attributes": {
            "cameraType": "fixed",
            "authorisationDate": "2025-01-15",
            "authorisationExpiry": "2030-01-15",
            "retentionDays": 15,
        },
    }
    _problem(api.post("/api/v1/assets", json=body), 401)
    _problem(api.post("/api/v1/assets", json=body, headers=auth("field_agent")), 403)
    body_403 = _problem(api.post("/api/v1/assets", json=body, headers=auth("operator")), 403)
    assert "assets.manage" in body_403["detail"]
    r = api.post("/api/v1/assets", json=body, headers=auth("supervisor"))
    assert r.status_code == 201, r.text
    assert (r.json()["zone"], r.json()["attributes"]["retentionDays"]) == ("21231", 15)
    _problem(api.post("/api/v1/assets", json=body, headers=auth("admin")), 409, "id")

    bad = dict(body, id="CAM-1000", lat=48.8566, long=2.3522)
    problem = _problem(api.post("/api/v1/assets", json=bad, headers=auth("admin")), 422, "location")
    assert "outside every zone of Dijon Métropole" in problem["detail"]
    bad = dict(body, id="CAM-1001", attributes={**body["attributes"], "retentionDays": 90})
    problem = _problem(api.post("/api/v1/assets", json=bad, headers=auth("admin")), 422)
    assert problem["field"] == "attributes.retentionDays"
    assert "above the maximum 30 d" in problem["detail"]
    light = {
        "id": "SL-X-1",
        "type": "street_light",
        "lat": DIJON_CENTRE[0],
        "long": DIJON_CENTRE[1],
        "attributes": {"lampTechnology": "LED"},
        "links": {"refStreetlightControlCabinet": "CAM-0999"},
    }
    problem = _problem(api.post("/api/v1/assets", json=light, headers=auth("admin")), 422)
    assert problem["detail"] == (
        "links.refStreetlightControlCabinet: 'CAM-0999' is a camera, not a control_cabinet"
    )
    with vigie.db.session() as s:
        audit = s.scalars(select(AuditRow).where(AuditRow.action == "asset.create")).all()
    assert [(a.target_id, a.detail) for a in audit] == [("CAM-0999", {"type": "camera"})]


def test_api_status_change_needs_an_operator_and_is_audited(
    api: TestClient, auth: Auth, vigie: Vigie, small_fleet: Fleet
) -> None:
    url = "/api/v1/assets/SL-T-1/status"
    _problem(api.post(url, json={"status": "maintenance"}), 401)
    _problem(api.post(url, json={"status": "maintenance"}, headers=auth("field_agent")), 403)
    _problem(api.post(url, json={"status": "broken"}, headers=auth("operator")), 422, "status")
    _problem(
        api.post("/api/v1/assets/NOPE/status", json={"status": "maintenance"}, headers=auth("operator")),
        404,
    )
    r = api.post(url, json={"status": "maintenance", "note": "relamping"}, headers=auth("operator"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "maintenance"
    with vigie.db.session() as s:
        row = s.get(AssetRow, "SL-T-1")
        audit = s.scalars(select(AuditRow).where(AuditRow.action == "asset.status")).one()
    assert row is not None and row.status == "maintenance"
    assert row.updated_at > small_fleet["SL-T-1"].updated_at
    assert audit.target_id == "SL-T-1"
    assert audit.detail == {"from": "in_service", "to": "maintenance", "note": "relamping"}


def test_api_camera_back_in_service_needs_its_authorisation(
    api: TestClient, auth: Auth, vigie: Vigie
) -> None:
    planned = {
        "id": "CAM-0998",
        "type": "camera",
        "status": "planned",
        "lat": DIJON_CENTRE[0],
        "long": DIJON_CENTRE[1],
        "attributes": {"cameraType": "ptz", "retentionDays": 30},
    }
    assert api.post("/api/v1/assets", json=planned, headers=auth("admin")).status_code == 201
    problem = _problem(
        api.post("/api/v1/assets/CAM-0998/status", json={"status": "in_service"}, headers=auth("admin")),
        422,
        "attributes.authorisationDate",
    )
    assert "prefectoral authorisation" in problem["detail"]
