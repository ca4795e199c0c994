"""The lighting API: public figures, agents' layers, communes' switch-off hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient

from tests.lighting.helpers import add_light
from vigie.runtime import Vigie


def test_lighting_api_energy_and_compliance_are_public(vigie: Vigie, client: TestClient) -> None:
    add_light(vigie, "SL-1", "LED", 40, installed_on=date(2021, 1, 1), colorTemperature=4000)
    energy = client.get("/api/v1/lighting/energy").json()
    assert energy["points"] == 1 and energy["currency"] == "EUR"
    assert [t["id"] for t in energy["targets"]] == ["ville", "metropole"]
    comp = client.get("/api/v1/lighting/compliance").json()
    assert comp["rule_set"] == "fr-2018"
    assert comp["counts"]["non_compliant"] == 1
    assert next(r for r in comp["rules"] if r["id"] == "cct-3000")["points"] == 1


def test_lighting_api_compliance_layer_for_agents(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    add_light(vigie, "SL-1", "LED", 40, installed_on=date(2021, 1, 1), colorTemperature=4000)
    add_light(vigie, "SL-2", "HPS", 100, installed_on=date(2001, 1, 1), upwardLightRatio=3)
    r = client.get("/api/v1/lighting/compliance/points.geojson", headers=auth("operator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    assert [f["id"] for f in features] == ["SL-1"]
    assert features[0]["properties"]["broken"] == ["cct-3000"]
    bad = client.get("/api/v1/lighting/compliance/points.geojson?status=late", headers=auth("operator"))
    assert bad.status_code == 422 and "status" in bad.text


def test_lighting_api_compliance_layer_of_every_status_in_a_commune(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    add_light(vigie, "SL-1", "LED", 40, installed_on=date(2021, 1, 1), colorTemperature=4000)
    add_light(vigie, "SL-2", "HPS", 100, installed_on=date(2001, 1, 1), upwardLightRatio=3)
    add_light(vigie, "SL-3", "HPS", 100, installed_on=date(2001, 1, 1), upwardLightRatio=3, zone="21166")
    add_light(vigie, "SL-4", "HPS", 100, installed_on=date(2001, 1, 1), zone="21166")
    url = "/api/v1/lighting/compliance/points.geojson"
    everything = client.get(url + "?status=all", headers=auth("operator")).json()["features"]
    assert [(f["id"], f["properties"]["status"]) for f in everything] == [
        ("SL-1", "non_compliant"),
        ("SL-2", "compliant"),
        ("SL-3", "compliant"),
        ("SL-4", "unknown"),
    ]
    chenove = client.get(url + "?status=all&zone=21166", headers=auth("operator")).json()["features"]
    assert [(f["id"], f["properties"]["zone"]) for f in chenove] == [("SL-3", "21166"), ("SL-4", "21166")]
    assert client.get(url + "?status=unknown&zone=21231", headers=auth("operator")).json()["features"] == []
    bad = client.get(url + "?status=all&zone=99999", headers=auth("operator"))
    assert bad.status_code == 422 and "99999" in bad.text
    assert client.get("/api/v1/lighting/compliance/points.geojson").status_code == 401


def test_lighting_api_switch_off_recorded_by_a_supervisor(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("supervisor")
    body = {"off_start": "23:30", "off_end": "05:30", "decided_on": "2023-10-01", "note": "arrêté 2023-118"}
    r = client.put("/api/v1/lighting/switch-off/21270", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Flavignerot"
    listed = client.get("/api/v1/lighting/switch-off").json()["switch_off"]
    assert [(s["zone"], s["off_start"], s["off_end"]) for s in listed] == [("21270", "23:30", "05:30")]
    assert client.put("/api/v1/lighting/switch-off/99999", json=body, headers=h).status_code == 404
    r = client.put("/api/v1/lighting/switch-off/21270", json={**body, "off_end": "25:00"}, headers=h)
    assert r.status_code == 422 and "off_end" in r.text
    assert client.delete("/api/v1/lighting/switch-off/21270", headers=h).status_code == 204
    assert client.get("/api/v1/lighting/switch-off").json()["switch_off"] == []
