"""The traffic and winter pages of the control room: who may open them, what they show, FR/EN."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.telemetry.helpers import add_asset
from vigie.accounts.domain import SYSTEM
from vigie.runtime import Vigie
from vigie.traffic import actions as traffic
from vigie.winter import actions as winter

KEY_LEAK = re.compile(r"(?<![\w/.-])services\.[a-z_]+\.[A-Za-z_.-]+")
LINE = {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]}


@pytest.fixture
def world(vigie: Vigie) -> Vigie:
    add_asset(vigie, "TLC-001", "traffic_signal_controller", busPriority=True)
    add_asset(vigie, "DET-001", "traffic_detector", detectorType="inductiveLoop")
    now = datetime.now(UTC)
    traffic.do_create_event(
        vigie,
        SYSTEM,
        traffic.check_event(
            {
                "kind": "closure",
                "title": "Rue Musette fermée",
                "geometry": LINE,
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
            }
        ),
    )
    winter.do_create_circuits(
        vigie,
        SYSTEM,
        [winter.check_circuit({"code": "C1", "name": "Ligne T1", "tier": "P1", "geometry": LINE})],
    )
    winter.do_set_level(vigie, SYSTEM, "alerte", "prévision de gel")
    winter.do_declare_conditions(vigie, SYSTEM, "P1", "C2")
    return vigie


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pilotage_services_pages_render_for_operators(world, make_agent, session_client, lang) -> None:
    client = session_client(make_agent("operator"))
    client.cookies.set("vigie_lang", lang)
    r = client.get("/pilotage/trafic", headers={"Accept-Language": lang})
    assert r.status_code == 200
    assert "Rue Musette fermée" in r.text and "TLC-001" in r.text and "DET-001" in r.text
    assert ("Régulation du trafic" if lang == "fr" else "Traffic regulation") in r.text
    assert 'id="event-form"' in r.text  # operators declare road events
    assert not KEY_LEAK.search(r.text), KEY_LEAK.search(r.text)
    r = client.get("/pilotage/hiver", headers={"Accept-Language": lang})
    assert r.status_code == 200
    assert "Ligne T1" in r.text and ("Alerte" if lang == "fr" else "Alert") in r.text
    assert 'data-level="intervention"' in r.text and 'data-declare="P1"' in r.text
    assert not KEY_LEAK.search(r.text), KEY_LEAK.search(r.text)
    r = client.get("/pilotage/hiver/affectations", headers={"Accept-Language": lang})
    assert r.status_code == 200 and "Ligne T1" in r.text and 'id="rota-form"' in r.text
    assert ("Poste en cours" if lang == "fr" else "Current shift") in r.text
    assert not KEY_LEAK.search(r.text), KEY_LEAK.search(r.text)


def test_pilotage_services_pages_refused_to_field_agents(world, make_agent, session_client) -> None:
    client = session_client(make_agent("field_agent"))
    assert client.get("/pilotage/trafic").status_code == 403
    assert client.get("/pilotage/hiver").status_code == 403
    assert client.get("/pilotage/hiver/affectations").status_code == 403
    assert "/pilotage/hiver" not in client.get("/terrain").text


def test_pilotage_services_api_bad_input_is_a_clear_4xx(world, make_agent, session_client) -> None:
    client = session_client(make_agent("operator"))
    r = client.post(
        "/api/v1/traffic/events", json={"kind": "roadworks", "title": "x", "geometry": {"type": "Circle"}}
    )
    assert r.status_code == 422 and "geometry" in r.text
    r = client.post("/api/v1/winter/level", json={"level": "rouge"})
    assert r.status_code == 422
    r = client.post("/api/v1/winter/proposals/999/decision", json={"accept": True})
    assert r.status_code == 404
    r = client.get("/api/v1/traffic/detectors/TLC-001/flow")
    assert r.status_code == 404
    flow = client.get("/api/v1/traffic/detectors/DET-001/flow").json()
    assert len(flow["usual"]) == 96


def test_pilotage_services_locales_are_complete() -> None:
    from vigie.web.i18n import catalog

    fr = {k for k in catalog()["fr"] if k.startswith("services.")}
    en = {k for k in catalog()["en"] if k.startswith("services.")}
    assert fr == en and len(fr) > 100


def test_pilotage_services_road_news_on_the_residents_map(world, client) -> None:
    r = client.get("/carte")
    assert r.status_code == 200
    assert "Rue Musette fermée" in r.text and "route fermée" in r.text
    assert "C2, conditions délicates" in r.text
    geo = client.get("/api/v1/traffic/events.geojson")
    assert geo.headers["content-type"].startswith("application/geo+json")
    (feature,) = geo.json()["features"]
    assert feature["properties"]["kind"] == "closure" and "created_by" not in feature["properties"]
    assert client.get("/api/v1/winter/conditions").json()["items"][0]["condition"] == "C2"
