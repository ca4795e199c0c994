"""Telemetry API (series for the asset page chart, dead letters) and lighting API (schedules, commands)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from vigie.telemetry.queries import series

from .helpers import add_asset, wait_until


def feed(p, asset_id="SL-00001", n=120, every_s=60, start=None):  # type: ignore[no-untyped-def]
    start = start or datetime.now(UTC) - timedelta(seconds=n * every_s)
    for i in range(n):
        t = (start + timedelta(seconds=i * every_s)).isoformat()
        p.ingest(asset_id, json.dumps({"ts": t, "powerConsumption": float(i), "powerState": "on"}).encode())
    p.flush(latest=True)


def test_telemetry_api_series_downsampled(client, auth, vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    feed(make_pipeline())
    op = auth("operator")
    start = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    r = client.get("/api/v1/telemetry/SL-00001", params={"step": "1h", "start": start}, headers=op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["step_seconds"] == 3600 and 2 <= len(body["t"]) <= 4
    pc = body["metrics"]["powerConsumption"]
    assert sum(pc["n"]) == 120 and min(x for x in pc["min"] if x is not None) == 0.0
    assert max(x for x in pc["max"] if x is not None) == 119.0
    assert body["metrics"]["powerState"]["last"][-1] == "on"
    assert body["latest"]["values"]["powerConsumption"] == 119.0
    raw = client.get(
        "/api/v1/telemetry/SL-00001",
        params={"step": "raw", "start": start, "metric": "powerConsumption"},
        headers=op,
    ).json()
    assert len(raw["t"]) == 120 and list(raw["metrics"]) == ["powerConsumption"]
    auto = client.get("/api/v1/telemetry/SL-00001", params={"start": start}, headers=op).json()
    assert auto["step_seconds"] == 60
    assert (
        client.get("/api/v1/telemetry/SL-00001", params={"step": "fortnight"}, headers=op).status_code == 422
    )
    assert client.get("/api/v1/telemetry/SL-00001").status_code == 401


def test_telemetry_series_query_buckets_by_step(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    feed(make_pipeline(), n=60, every_s=60, start=start)
    s = series(vigie, "SL-00001", start, start + timedelta(hours=1), "15m", ["powerConsumption"])
    assert s["t"] == [(start + timedelta(minutes=15 * i)).timestamp() for i in range(4)]
    assert s["metrics"]["powerConsumption"]["avg"] == [7.0, 22.0, 37.0, 52.0]
    assert s["metrics"]["powerConsumption"]["n"] == [15, 15, 15, 15]


def test_telemetry_api_dead_letters_for_agents(client, auth, vigie, make_pipeline):
    p = make_pipeline()
    p.submit("vigie/telemetry/NOBODY", b'{"ts": "2026-11-26T10:00:00Z"}')
    p.flush()
    assert client.get("/api/v1/telemetry/dead-letters").status_code == 401
    body = client.get("/api/v1/telemetry/dead-letters", headers=auth("field_agent")).json()
    assert body["items"][0]["reason"] == "unknown_asset"
    assert body["stored_by_reason"] == {"unknown_asset": 1}
    assert client.get("/api/v1/telemetry/dead-letters?reason=schema", headers=auth()).json()["items"] == []


def test_lighting_api_schedules_for_supervisors(client, auth):
    sup, op = auth("supervisor"), auth("operator")
    assert client.get("/api/v1/lighting/schedules", headers=op).status_code == 403
    r = client.post(
        "/api/v1/lighting/schedules",
        headers=sup,
        json={
            "name": "Quetigny – extinction 0 h-5 h",
            "group": "G-QUE",
            "off_start": "00:00",
            "off_end": "05:00",
        },
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["dim_level"] == 0.7 and r.json()["dim_start"] == "22:00"
    assert (
        client.post(
            "/api/v1/lighting/schedules", headers=sup, json={"name": "x", "group": "G", "dim_start": "25:00"}
        ).status_code
        == 422
    )
    r = client.patch(f"/api/v1/lighting/schedules/{sid}", headers=sup, json={"dim_level": 0.5})
    assert r.json()["dim_level"] == 0.5
    prog = client.get(f"/api/v1/lighting/schedules/{sid}/program?date=2026-01-15", headers=sup).json()
    assert [s["level"] for s in prog["steps"]] == [1.0, 0.5, 0.0, 1.0, 0.0]
    assert len(client.get("/api/v1/lighting/schedules", headers=sup).json()["items"]) == 1


def test_lighting_commands_acknowledged_by_the_embedded_simulator(vigie, auth):
    from vigie.app import create_app

    add_asset(vigie, "SL-00001", group="G-007")
    add_asset(vigie, "SL-00002", group="G-007")
    add_asset(vigie, "CAM-0001", "camera", group="G-007")
    vigie.settings.telemetry_simulator = "on"
    vigie.settings.lighting_scheduler = False
    sup = auth("supervisor")
    with TestClient(create_app(vigie=vigie)) as client:
        assert (
            client.post(
                "/api/v1/commands",
                headers=auth("operator"),
                json={"group": "G-007", "action": "dim", "level": 0.5},
            ).status_code
            == 403
        )
        r = client.post(
            "/api/v1/commands", headers=sup, json={"group": "G-007", "action": "dim", "level": 0.5}
        )
        assert r.status_code == 202 and r.json()["count"] == 2  # the camera is not a light

        def acked():  # type: ignore[no-untyped-def]
            items = client.get("/api/v1/commands", headers=sup).json()["items"]
            return len(items) == 2 and all(c["status"] == "acked" for c in items) and items

        items = wait_until(acked, timeout=15)
        assert {c["asset_id"] for c in items} == {"SL-00001", "SL-00002"}
        assert all(c["acked_at"] and c["sent_at"] for c in items)
        one = client.get(f"/api/v1/commands/{items[0]['id']}", headers=sup).json()
        assert one["payload"]["level"] == 0.5 and one["result"] == {"status": "ok"}
        bad = client.post("/api/v1/commands", headers=sup, json={"asset_ids": ["SL-00001"], "action": "dim"})
        assert bad.status_code == 422
        # The embedded simulator also reports: the lights appear in the latest state.
        pipeline = vigie.ingest.pipeline
        assert pipeline is not None


def test_telemetry_asset_detail_shows_live_state_to_agents_only(client, auth, vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    feed(make_pipeline(), n=5)
    seen = client.get("/api/v1/assets/SL-00001", headers=auth("operator")).json()
    assert seen["latest"]["values"]["powerConsumption"] == 4.0
    public = client.get("/api/v1/assets/SL-00001").json()
    assert public["id"] == "SL-00001"
    assert public["latest"] is None and public["history"] == []
