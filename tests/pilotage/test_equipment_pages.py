"""Equipment pages of the control room: who may open them, what they render, both languages.

Field agents get 403 on the map and the alarm panel, and the asset page read-only
(no status form, no alarm actions); logged-out visitors are sent to sign in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from tests.telemetry.helpers import power_state
from vigie.app import create_app
from vigie.assets.storage import AssetRow
from vigie.runtime import Vigie
from vigie.web.i18n import catalog

PAGES = ["/pilotage/equipements", "/pilotage/alarmes"]
KEY_LEAK = re.compile(r"(?<![\w/.-])equipment\.[a-z_]+\.[A-Za-z_.-]+")
CABINET, LIGHT, OTHER_LIGHT = "CAB-9001", "SL-021231-90001", "SL-021231-90002"


@pytest.fixture
def app(vigie: Vigie) -> FastAPI:
    return create_app(vigie=vigie)


def add_assets(v: Vigie) -> None:
    now = datetime.now(UTC)
    base = {"zone": "21231", "group": "21231-G900", "parent_id": None, "external_id": None}
    rows: list[dict[str, Any]] = [
        {
            **base,
            "id": CABINET,
            "type": "control_cabinet",
            "name": "Armoire rue Devosge",
            "lat": 47.3250,
            "long": 5.0380,
            "status": "in_service",
            "attributes": {
                "workingMode": "automatic",
                "maximumPowerAvailable": 36,
                "meterId": "21231000000001",
            },
            "links": {},
        }
    ]
    for i, asset_id in enumerate((LIGHT, OTHER_LIGHT)):
        rows.append(
            {
                **base,
                "id": asset_id,
                "type": "street_light",
                "name": "",
                "lat": 47.3251 + i * 0.0003,
                "long": 5.0381,
                "status": "in_service" if i == 0 else "maintenance",
                "attributes": {"lampTechnology": "LED", "powerRating": 70, "lanternHeight": 8.5},
                "links": {"refStreetlightControlCabinet": CABINET},
            }
        )
    with v.db.session(write=True) as s:
        s.execute(insert(AssetRow), [{**r, "created_at": now, "updated_at": now} for r in rows])
        s.commit()


def ingest(v: Vigie, asset_id: str, payloads: list[dict[str, Any]]) -> None:
    """Through the telemetry pipeline of the running app (or one of our own)."""
    from vigie.alarms.ingest import build_pipeline

    pipeline = v.ingest.pipeline
    own = pipeline is None
    if own:
        pipeline = build_pipeline(v)
        pipeline.start()
    pipeline.registry.refresh()  # type: ignore[attr-defined]
    for body in payloads:
        assert pipeline.ingest(asset_id, body), body  # type: ignore[attr-defined]
    pipeline.flush(latest=True)  # type: ignore[attr-defined]
    if own:
        pipeline.stop()  # type: ignore[attr-defined]


def light_series(hours: int = 6) -> list[dict[str, Any]]:
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for i in range(hours * 3, 0, -1):
        at = now - timedelta(minutes=20 * i)
        out.append(
            {
                "ts": at.isoformat().replace("+00:00", "Z"),
                "status": "ok",
                "powerState": power_state(at),  # on by day would raise a day-burner too
                "powerConsumption": 48.0 + i % 5,
                "illuminanceLevel": 0.7,
            }
        )
    return out


def test_logged_out_visitors_are_sent_to_sign_in(anon):
    for path in [*PAGES, f"/pilotage/equipements/{LIGHT}"]:
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/connexion?next=" + path, path


@pytest.mark.parametrize(
    ("role", "pages", "asset"),
    [("operator", 200, 200), ("supervisor", 200, 200), ("admin", 200, 200), ("field_agent", 403, 200)],
)
def test_pages_follow_roles(role, pages, asset, vigie, make_agent, session_client):
    add_assets(vigie)
    client = session_client(make_agent(role))
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == pages, (role, path)
        if pages == 403:
            assert "Accès refusé" in r.text
    r = client.get(f"/pilotage/equipements/{LIGHT}")
    assert r.status_code == asset
    read_only = role == "field_agent"
    assert ('id="status-form"' in r.text) is not read_only
    assert ('id="alarm-ack"' in r.text) is not read_only
    assert ('id="alarm-clear-form"' in r.text) is (role in ("supervisor", "admin"))
    nav = client.get("/pilotage/alarmes" if not read_only else "/terrain").text
    assert ('href="/pilotage/equipements"' in nav) is not read_only


def test_map_and_alarm_pages_render(vigie, make_agent, session_client):
    client = session_client(make_agent("operator"))
    page = client.get("/pilotage/equipements")
    text = page.text
    for layer in (
        "street_light",
        "control_cabinet",
        "camera",
        "traffic_signal_controller",
        "road_weather_station",
        "vehicle",
    ):
        assert f'id="layer-{layer}"' in text
    assert "Points lumineux" in text or "Point lumineux" in text
    assert 'id="equipment-map"' in text and 'id="alarm-panel"' in text and 'id="alarm-dialog"' in text
    assert "Lampadaire en panne" in text  # alarm types from the rules, in the type filter
    assert "En maintenance" in text  # legend: text next to each colour
    assert 'aria-current="page"' in text and "js/pilotage/equipment.js" in text
    alarms = client.get("/pilotage/alarmes").text
    assert 'id="alarm-filters"' in alarms and "js/pilotage/equipment.js" not in alarms
    for html in (text, alarms):
        assert not KEY_LEAK.search(html), KEY_LEAK.search(html)
        assert " style=" not in html
        assert not re.search(r"<script(?![^>]*(src=|application/json))", html)


def test_asset_pages_show_attributes_links_and_telemetry(vigie, make_agent, session_client):
    add_assets(vigie)
    client = session_client(make_agent("supervisor"))
    ingest(
        vigie,
        LIGHT,
        [
            *light_series(),
            {"ts": datetime.now(UTC).isoformat(), "status": "defectiveLamp", "powerConsumption": 2.5},
        ],
    )

    light = client.get(f"/pilotage/equipements/{LIGHT}")
    assert light.status_code == 200
    text = light.text
    assert "Technologie de la lampe" in text and "LED" in text
    assert "70\u00a0W" in text and "8,5\u00a0m" in text  # typed values with their unit, French decimals
    assert f'href="/pilotage/equipements/{CABINET}"' in text and "Armoire de commande" in text
    assert "Lampe défectueuse" in text  # latest telemetry, enum translated
    assert "Puissance consommée (W)" in text  # chart table header with unit
    assert text.count('<tr><th scope="row">') >= 18  # series table rows (server-rendered)
    assert 'id="asset-chart"' in text and "vendor/uplot/uPlot.iife.min.js" in text
    assert not KEY_LEAK.search(text), KEY_LEAK.search(text)

    cabinet = client.get(f"/pilotage/equipements/{CABINET}").text
    assert "Points lumineux alimentés (2)" in cabinet
    assert f'href="/pilotage/equipements/{OTHER_LIGHT}"' in cabinet and "En maintenance" in cabinet
    assert "36\u00a0kVA" in cabinet and "Automatique" in cabinet

    english = client.get(f"/pilotage/equipements/{LIGHT}?lang=en").text
    assert "Lamp technology" in english and "Defective lamp" in english and "Telemetry" in english
    assert not KEY_LEAK.search(english)

    week = client.get(f"/pilotage/equipements/{LIGHT}?periode=7d").text
    assert '<option value="7d" selected>' in week

    missing = client.get("/pilotage/equipements/NOPE-1?lang=fr")
    assert missing.status_code == 404 and "registre" in missing.text


def test_status_change_shows_in_history(vigie, make_agent, session_client):
    add_assets(vigie)
    client = session_client(make_agent("operator"))
    r = client.post(
        f"/api/v1/assets/{LIGHT}/status", json={"status": "maintenance", "note": "Lanterne à changer"}
    )
    assert r.status_code == 200, r.text
    text = client.get(f"/pilotage/equipements/{LIGHT}").text
    assert "Changement d'état" in text and "Lanterne à changer" in text
    assert 'class="badge badge--asset-maintenance" id="asset-status"' in text


def test_locales_are_complete_and_scripts_get_their_messages():
    fr = {k for k in catalog()["fr"] if k.startswith("equipment.")}
    en = {k for k in catalog()["en"] if k.startswith("equipment.")}
    assert fr == en
    from vigie.pilotage import equipment_context as eq

    messages: Callable[[str], dict[str, str]] = lambda lang: eq.js_messages(lang, {"error_404": "x"})  # noqa: E731
    assert messages("fr")["acknowledge"] == "Acquitter"
    assert messages("en")["error_404"].startswith("Not found")


OTHER_TYPES: list[dict[str, Any]] = [
    {
        "id": "CAM-9001",
        "type": "camera",
        "attributes": {
            "cameraType": "ptz",
            "retentionDays": 15,
            "authorisationDate": "2024-03-01",
            "privacyMasking": True,
        },
        "expect": ["Durée de conservation des images", "15\u00a0d", "Mobile (PTZ)", "01/03/2024", "Oui"],
    },
    {
        "id": "TLC-9001",
        "type": "traffic_signal_controller",
        "attributes": {"busPriority": True, "numberOfSignalGroups": 12},
        "expect": ["Priorité aux bus", "Groupes de feux", "12"],
    },
    {
        "id": "RWS-9001",
        "type": "road_weather_station",
        "attributes": {"controlledProperty": ["temperature", "roadSurfaceState"], "roadName": "Rocade est"},
        "expect": [
            "Grandeurs mesurées",
            "Température de l&#39;air, État de la chaussée",
            "Température de chaussée (°C)",
        ],
    },
    {
        "id": "VEH-9001",
        "type": "vehicle",
        "attributes": {"vehicleRole": "salt_spreader", "vehiclePlateIdentifier": "GA-123-BC"},
        "expect": ["Saleuse", "GA-123-BC", "Vitesse (km/h)"],
        "lat": None,
    },
]


@pytest.mark.parametrize("asset", OTHER_TYPES, ids=[a["type"] for a in OTHER_TYPES])
def test_asset_page_of_every_type(asset, vigie, make_agent, session_client):
    now = datetime.now(UTC)
    lat = asset.get("lat", 47.3222)
    row = {
        "id": asset["id"],
        "type": asset["type"],
        "name": "",
        "lat": lat,
        "long": None if lat is None else 5.0342,
        "zone": "" if lat is None else "21231",
        "status": "in_service",
        "group": "",
        "attributes": asset["attributes"],
        "links": {},
        "created_at": now,
        "updated_at": now,
    }
    with vigie.db.session(write=True) as s:
        s.execute(insert(AssetRow), [row])
        s.commit()
    # A camera's page is for the video-protection roles (others get a 404).
    role = "video_operator" if asset["type"] == "camera" else "operator"
    text = session_client(make_agent(role)).get(f"/pilotage/equipements/{asset['id']}").text
    for expected in asset["expect"]:
        assert expected in text, expected
    assert ('id="asset-map"' in text) is (lat is not None)
    assert not KEY_LEAK.search(text), KEY_LEAK.search(text)
