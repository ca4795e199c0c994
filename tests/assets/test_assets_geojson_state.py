"""Live state of the assets from their latest telemetry: rules, the /states endpoint, state=true."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vigie.app import create_app
from vigie.assets import states
from vigie.assets.actions import AssetFilter
from vigie.assets.states import state_layer, state_snapshot
from vigie.assets.views import telemetry_state
from vigie.runtime import Vigie
from vigie.telemetry.writer import upsert_latest

from .conftest import Fleet

Auth = Callable[..., dict[str, str]]
MINUTE_MS = 60_000


@pytest.fixture
def api(vigie: Vigie, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(states, "STATE_TTL_S", 0.0)  # every request sees the latest telemetry
    app = create_app(vigie=vigie)
    with TestClient(app) as c:
        yield c


def _now_ms() -> int:
    return int(time.time() * 1000)


def _report(v: Vigie, values: dict[str, dict[str, Any]], minutes_ago: float = 0) -> None:
    """Latest values as the ingest copies them to the database, received ``minutes_ago``."""
    at = _now_ms() - int(minutes_ago * MINUTE_MS)
    with v.db.session(write=True) as s:
        upsert_latest(s, [(asset_id, at, at, vals) for asset_id, vals in values.items()])
        s.commit()


def _ingest(v: Vigie, values: dict[str, dict[str, Any]]) -> None:
    """Messages through the ingest running in the app (whose memory is the freshest state)."""
    pipeline = v.ingest.pipeline
    pipeline.registry.refresh()
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for asset_id, vals in values.items():
        assert pipeline.ingest(asset_id, {"ts": now, **vals})


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("streetlight", {"status": "ok", "powerState": "on"}, "ok"),
        ("streetlight", {"status": "ok", "powerState": "off"}, "ok"),  # off by day is normal
        ("streetlight", {"status": "defectiveLamp", "powerState": "on"}, "fault"),
        ("streetlight", {"status": "brokenLantern"}, "fault"),
        ("streetlight", {"status": "columnIssue"}, "fault"),
        ("streetlight", {"powerConsumption": 40.0}, "ok"),
        ("camera", {"online": False}, "offline"),
        ("camera", {"online": True}, "ok"),
        ("camera", {"online": 0}, "ok"),  # not a boolean: not a rule's false
        ("traffic_controller", {"fault": True, "faultCode": "lampOut"}, "fault"),
        ("traffic_controller", {"fault": False, "operationMode": "normal"}, "ok"),
        ("cabinet", {"voltage": 120.0, "doorOpen": False}, "fault"),
        ("cabinet", {"voltage": 230.0, "doorOpen": True}, "fault"),
        ("cabinet", {"voltage": 230.0, "doorOpen": False, "powerState": "off"}, "ok"),
        ("weather_station", {"surfaceTemperature": -3.0, "surfaceStatus": "ice"}, "ok"),
        ("vehicle", {"speed": 30}, "ok"),
        ("camera", None, "unknown"),
        (None, {"anything": 1}, "ok"),
    ],
)
def test_state_rules_per_telemetry_kind(
    kind: str | None, values: dict[str, Any] | None, expected: str
) -> None:
    assert telemetry_state(kind, values) == expected


def test_state_is_offline_after_the_heartbeat_silence() -> None:
    assert telemetry_state("streetlight", {"status": "ok"}, 3601, 3600) == "offline"
    assert telemetry_state("streetlight", {"status": "defectiveLamp"}, 3601, 3600) == "offline"
    assert telemetry_state("streetlight", {"status": "ok"}, 3599, 3600) == "ok"
    assert telemetry_state("vehicle", {"speed": 0}, 10**6, None) == "ok"  # no heartbeat rule


def test_state_snapshot_from_the_database_copy(vigie: Vigie, small_fleet: Fleet) -> None:
    _report(
        vigie,
        {"SL-T-1": {"status": "ok"}, "SL-T-2": {"status": "defectiveLamp"}, "CAM-9001": {"online": False}},
    )
    _report(vigie, {"SL-T-4": {"status": "ok"}}, minutes_ago=90)  # "Street light not reporting": 60 min
    _report(vigie, {"CAB-9001": {"voltage": 231.0}}, minutes_ago=90)  # no heartbeat rule for cabinets
    snap = state_snapshot(vigie, max_age_s=0)
    assert snap.state_of("SL-T-1") == "ok"
    assert snap.state_of("SL-T-2") == "fault"
    assert snap.state_of("CAM-9001") == "offline"
    assert snap.state_of("SL-T-4") == "offline"
    assert snap.state_of("CAB-9001") == "ok"
    assert snap.state_of("SL-T-3") == "unknown"  # never reported
    summary = snap.summary([])
    assert summary["counts"] == {"ok": 2, "fault": 1, "offline": 2, "unknown": 3}  # + SL-Q-1, VEH-901
    assert summary["ids"] == {
        "fault": ["SL-T-2"],
        "offline": ["CAM-9001", "SL-T-4"],
        "unknown": ["SL-Q-1", "SL-T-3", "VEH-901"],
    }
    lights = snap.summary(["street_light"])
    assert lights["counts"] == {"ok": 1, "fault": 1, "offline": 1, "unknown": 2}
    # Within the time to live, the snapshot is shared.
    assert state_snapshot(vigie) is snap


def test_states_endpoint_needs_an_agent(api: TestClient, small_fleet: Fleet, auth: Auth) -> None:
    assert api.get("/api/v1/assets/states").status_code == 401
    assert api.get("/api/v1/assets.geojson", params={"state": "true"}).status_code == 401
    assert api.get("/api/v1/assets.geojson").status_code == 200  # the layers stay public
    assert api.get("/api/v1/assets/states", headers=auth("field_agent")).status_code == 200


def test_states_endpoint_follows_live_telemetry(
    api: TestClient, vigie: Vigie, small_fleet: Fleet, auth: Auth
) -> None:
    headers = auth("operator")
    first = api.get("/api/v1/assets/states", headers=headers)
    assert first.status_code == 200
    doc = first.json()
    assert doc["counts"]["unknown"] == len(small_fleet) - 1  # not the camera: video protection's
    assert datetime.fromisoformat(doc["as_of"]).tzinfo is not None
    etag = first.headers["etag"]
    again = api.get("/api/v1/assets/states", headers={**headers, "if-none-match": etag})
    assert again.status_code == 304

    layer = api.get("/api/v1/assets.geojson", params={"type": "street_light"})
    _ingest(
        vigie,
        {
            "SL-T-1": {"status": "defectiveLamp", "powerState": "on"},
            "SL-T-2": {"status": "ok", "powerState": "on"},
            "CAM-9001": {"online": False},
        },
    )

    after = api.get("/api/v1/assets/states", headers={**headers, "if-none-match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    doc = after.json()
    assert doc["ids"]["fault"] == ["SL-T-1"] and doc["ids"]["offline"] == []
    video = api.get("/api/v1/assets/states", params={"type": "camera"}, headers=auth("video_operator")).json()
    assert video["ids"]["offline"] == ["CAM-9001"]
    assert "SL-T-2" not in json.dumps(doc["ids"])  # ok: not listed
    lights = api.get("/api/v1/assets/states", params={"type": "street_light"}, headers=headers).json()
    assert lights["ids"]["offline"] == [] and lights["counts"]["ok"] == 1
    # Telemetry never invalidates a layer: the plain layer is still the same version.
    same = api.get(
        "/api/v1/assets.geojson",
        params={"type": "street_light"},
        headers={"if-none-match": layer.headers["etag"]},
    )
    assert same.status_code == 304
    _problem = api.get("/api/v1/assets/states", params={"type": "lamp"}, headers=headers)
    assert _problem.status_code == 422


def test_geojson_state_option_adds_the_state_to_every_feature(
    api: TestClient, vigie: Vigie, small_fleet: Fleet, auth: Auth
) -> None:
    _ingest(vigie, {"SL-T-1": {"status": "columnIssue"}, "SL-T-2": {"status": "ok"}})
    headers = auth("operator")
    r = api.get("/api/v1/assets.geojson", params={"state": "true"}, headers=headers)
    assert r.status_code == 200
    props = {f["id"]: f["properties"] for f in r.json()["features"]}
    assert props["SL-T-1"] == {
        "id": "SL-T-1",
        "type": "street_light",
        "status": "in_service",
        "state": "fault",
    }
    assert props["SL-T-2"]["state"] == "ok"
    assert "CAM-9001" not in props
    video = api.get("/api/v1/assets.geojson", params={"state": "true"}, headers=auth("video_operator")).json()
    assert {f["id"]: f["properties"] for f in video["features"]}["CAM-9001"]["state"] == "unknown"
    assert r.headers["etag"] != api.get("/api/v1/assets.geojson").headers["etag"]
    with_attrs = api.get(
        "/api/v1/assets.geojson",
        params={"state": "true", "type": "street_light", "attributes": "lampTechnology"},
        headers={**headers, "accept-encoding": "identity"},
    ).json()
    sl2 = next(f for f in with_attrs["features"] if f["id"] == "SL-T-2")
    assert sl2["properties"]["lampTechnology"] == "HPS" and sl2["properties"]["state"] == "ok"


def test_geojson_state_layer_follows_asset_writes_and_telemetry(vigie: Vigie, small_fleet: Fleet) -> None:
    f = AssetFilter(types=["camera"])
    first = state_layer(vigie, f)
    assert json.loads(first.body)["features"][0]["properties"]["state"] == "unknown"
    _report(vigie, {"CAM-9001": {"online": False}})
    state_snapshot(vigie, max_age_s=0)  # the next snapshot
    second = state_layer(vigie, f)
    assert json.loads(second.body)["features"][0]["properties"]["state"] == "offline"
    assert second.etag != first.etag
    assert state_layer(vigie, f) is second  # cached while nothing changes
