"""Equipment pages in a real browser (Debian's Chromium), on the Dijon demo fleet.

The 34,000-light layer is timed in the page (fetch, build, first paint) and the
main thread is watched meanwhile (long tasks, heartbeat gaps); the figures are
printed, never asserted on time. A lamp failure ingested through the telemetry
pipeline appears live in the alarm panel, is escalated, acknowledged, commented
and assigned in the UI; the asset page draws its telemetry chart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import check_a11y, login, screenshot
from tests.browser.test_browser_pilotage import DESKTOP, bearer, script_errors
from tests.conftest import PASSWORD
from tests.pilotage.test_equipment_pages import light_series
from tests.reports.helpers import report_body
from tests.telemetry.helpers import power_state
from tests.web.live import LiveServer
from vigie.assets.storage import AssetRow
from vigie.runtime import Vigie

# Watches the main thread from the first script on: long tasks and the largest
# gap between 50 ms heartbeats (a frozen page shows as a large gap).
PROBE = """
window.__probe = { longTasks: [], maxGap: 0, last: performance.now() };
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__probe.longTasks.push(Math.round(e.duration)); });
  }).observe({ type: "longtask", buffered: true });
} catch (e) {}
setInterval(function () {
  const now = performance.now();
  window.__probe.maxGap = Math.max(window.__probe.maxGap, now - window.__probe.last);
  window.__probe.last = now;
}, 50);
"""


@pytest.fixture
def fleet(vigie: Vigie) -> None:
    from vigie.assets.demo import load_demo_fleet

    load_demo_fleet(vigie, progress=False)


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    server = LiveServer(vigie)
    with server:
        yield server


def in_service_light(vigie: Vigie) -> AssetRow:
    with vigie.db.session() as s:
        q = select(AssetRow).where(
            AssetRow.type == "street_light", AssetRow.status == "in_service", AssetRow.zone == "21231"
        )
        row = s.scalars(q.order_by(AssetRow.id).limit(1)).one()
    return row


def first_of(vigie: Vigie, type_: str) -> str:
    with vigie.db.session() as s:
        q = select(AssetRow.id).where(AssetRow.type == type_, AssetRow.status == "in_service")
        return str(s.scalars(q.order_by(AssetRow.id).limit(1)).one())


def test_browser_equipment_map_live_alarm_and_asset_page(fleet, new_context, live, make_agent, vigie):
    supervisor = make_agent("supervisor")
    field = make_agent("field_agent", "eclairage")
    light = in_service_light(vigie)
    pipeline = vigie.ingest.pipeline
    pipeline.registry.refresh()
    # A resident reported the light out before the failure is detected: the alarm will explain it.
    report = httpx.post(
        live.url + "/api/v1/reports",
        json=report_body(
            service_code="luminaire-hors-service",
            description="Le lampadaire devant chez moi ne s'allume plus",
            lat=light.lat + 0.0001,
            long=light.long,
            attributes={"etat": "eteint"},
        ),
        timeout=10,
    )
    assert report.status_code == 201, report.text
    ref = report.json()["reference"]

    ctx, _ = new_context(viewport=DESKTOP)
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, supervisor.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    page.get_by_role("link", name="Équipements").click()
    page.wait_for_url("**/pilotage/equipements")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.wait_for_function("() => window.Equipment && window.Equipment.ready === true", timeout=60_000)
    timings = page.evaluate("window.Equipment.timings")
    probe = page.evaluate(
        "({longTasks: window.__probe.longTasks, maxGap: Math.round(window.__probe.maxGap)})"
    )
    lights = timings["street_light"]
    assert lights["features"] >= 34_000
    print(
        f"\n[equipment] 34k light layer: {lights['features']} features, fetch {lights['fetch_ms']} ms, "
        f"build+paint {lights['build_ms']} ms, total {lights['total_ms']} ms, "
        f"longest slice {lights['longest_slice_ms']} ms; "
        f"page long tasks {sorted(probe['longTasks'])[-5:]} ms "
        f"(count {len(probe['longTasks'])}), largest heartbeat gap {probe['maxGap']} ms"
    )
    print(f"[equipment] counts: {page.evaluate('window.Equipment.counts')}")
    print(
        f"[equipment] other layers: { {k: v['total_ms'] for k, v in timings.items() if k != 'street_light'} }"
    )
    expect(page.locator("#layer-count-street_light")).to_contain_text("34")
    expect(page.locator("#map-status")).to_contain_text("points lumineux chargés en")
    expect(page.locator("#equipment-legend")).to_contain_text("En service")
    check_a11y(page, "equipment map")

    # Layers toggle; the lights come back from memory.
    on_map = "(t) => window.Equipment.visible(t)"
    page.get_by_label(re.compile("^Point lumineux")).uncheck()
    assert page.evaluate(on_map, "street_light") is False
    page.get_by_label(re.compile("^Caméra")).uncheck()
    assert page.evaluate(on_map, "camera") is False
    page.get_by_label(re.compile("^Point lumineux")).check()
    page.wait_for_function("() => !!window.Equipment.timings['street_light:again']")
    assert page.evaluate(on_map, "street_light") is True
    again = page.evaluate("window.Equipment.timings['street_light:again'].total_ms")
    print(f"[equipment] 34k light layer shown again: {again} ms")
    page.get_by_label(re.compile("^Caméra")).check()

    # A lamp failure through the telemetry pipeline appears live in the alarm panel.
    beeps = page.evaluate("window.Pilotage.beepCount")
    for body in light_series():
        assert pipeline.ingest(light.id, body)
    now = datetime.now(UTC)
    failed = {"status": "defectiveLamp", "powerState": power_state(now), "powerConsumption": 2.0}
    assert pipeline.ingest(light.id, {"ts": now.isoformat().replace("+00:00", "Z"), **failed})
    row = page.locator("#alarm-body tr", has_text=light.id)
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile("is-new"))
    expect(row).to_contain_text("Lampadaire en panne")
    expect(row).to_contain_text("1 signalement lié")
    expect(page.locator("#live-region")).to_contain_text(light.id)
    expect(page.locator("#layer-count-alarms")).to_have_text("(1)")
    assert page.evaluate("window.Pilotage.beepCount") == beeps + 1
    expect(page).to_have_title(re.compile(r"^\(1\) "))

    # Nobody acknowledged in time: escalated, highlighted live.
    from vigie.alarms.actions import do_escalate_due
    from vigie.db import utcnow

    assert do_escalate_due(vigie, utcnow() + timedelta(hours=13)) == 1
    expect(row).to_have_class(re.compile("is-escalated"))
    expect(row).to_contain_text("Escaladée")
    check_a11y(page, "equipment map with a live alarm")
    page.evaluate("([lat, long]) => window.Equipment.map.setView([lat, long], 15)", [light.lat, light.long])
    expect(page.locator(".pin--alarm")).to_have_count(1)
    page.wait_for_timeout(500)
    screenshot(page, "equipment-map")

    row.get_by_role("button", name=re.compile("^Acquitter")).click()
    expect(row).to_contain_text("Active, acquittée")
    expect(row.get_by_role("button", name=re.compile("^Acquitter"))).to_have_count(0)
    alarm_id = int(row.get_attribute("data-id"))
    api = httpx.get(
        f"{live.url}/api/v1/alarms/{alarm_id}", headers=bearer(vigie, supervisor), timeout=10
    ).json()
    assert api["state"] == "active_acknowledged" and api["report_ids"]

    # More failures elsewhere: a camera offline, a traffic-light controller fault, ice risk.
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    others = {
        "camera": {"ts": now, "online": False},
        "traffic_signal_controller": {
            "ts": now,
            "fault": True,
            "faultCode": "lampOut",
            "operationMode": "flashing",
        },
        "road_weather_station": {
            "ts": now,
            "surfaceTemperature": 0.2,
            "airTemperature": 1.1,
            "surfaceStatus": "wet",
        },
    }
    for type_, body in others.items():
        assert pipeline.ingest(first_of(vigie, type_), body)
    # The controller's lamp fault is two alarms: the fault itself and its flashing amber mode.
    # The camera's is the video-protection roles' only: a supervisor never sees it, live or not.
    expect(page.locator("#alarm-body tr")).to_have_count(4)
    expect(page.locator("#layer-count-alarms")).to_have_text("(4)")
    expect(page.locator("#alarm-body tr", has_text="Caméra hors ligne")).to_have_count(0)

    # Full-screen alarm panel: filters, comment and assignment in the dialog.
    page.get_by_role("link", name="Alarmes en plein écran").click()
    page.wait_for_url("**/pilotage/alarmes")
    row = page.locator("#alarm-body tr", has_text=light.id)
    expect(row).to_be_visible()
    expect(page.locator("#alarm-body tr")).to_have_count(4)
    screenshot(page, "equipment-alarms")
    check_a11y(page, "alarms page")
    page.select_option("#af-severity", "critical")
    expect(row).to_be_hidden()
    expect(page.locator("#alarm-body tr")).to_have_count(2)
    page.select_option("#af-severity", "major")
    expect(row).to_be_visible()
    row.get_by_role("button", name=re.compile("^Détails")).click()
    dialog = page.locator("#alarm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name=ref)).to_have_attribute(
        "href", re.compile(r"/pilotage/signalements/\d+$")
    )
    expect(page.locator("#alarm-reports")).to_contain_text("Lampadaire éteint · Nouveau")
    page.fill("#alarm-comment", "Équipe éclairage prévenue")
    dialog.get_by_role("button", name="Commenter").click()
    expect(page.locator("#alarm-history")).to_contain_text("Équipe éclairage prévenue")
    page.select_option("#alarm-assign-user", str(field.id))
    dialog.get_by_role("button", name="Assigner", exact=True).click()
    expect(page.locator("#alarm-facts")).to_contain_text(field.name)
    check_a11y(page, "alarm dialog")
    dialog.get_by_role("button", name="Fermer").click()
    expect(row).to_contain_text(f"Assignée à {field.name}")

    # A supervisor clears the flashing-amber alarm by hand: it leaves the list of active alarms.
    cleared_row = page.locator("#alarm-body tr", has_text="Carrefour au jaune clignotant")
    cleared_row.get_by_role("button", name=re.compile("^Détails")).click()
    expect(dialog).to_be_visible()
    page.fill("#alarm-clear-note", "Contrôleur remis en service par l’astreinte")
    dialog.get_by_role("button", name="Clore l'alarme").click()
    expect(page.locator("#alarm-facts")).to_contain_text("Terminée, non acquittée")
    expect(page.locator("#alarm-clear-form")).to_be_hidden()
    dialog.get_by_role("button", name="Fermer").click()
    expect(cleared_row).to_have_count(0)

    # The asset page: attributes, cabinet link, latest state, chart and its table.
    row.get_by_role("link", name=light.id).click()
    page.wait_for_url(f"**/pilotage/equipements/{light.id}")
    expect(page.locator("#page-title")).to_contain_text("Point lumineux")
    expect(page.locator("#latest-list")).to_contain_text("Lampe défectueuse")
    expect(page.locator("#links-out a")).to_have_text(light.links["refStreetlightControlCabinet"])
    expect(page.locator("#asset-chart canvas").first).to_be_visible()
    expect(page.locator("#alarm-body tr", has_text="Lampadaire en panne")).to_be_visible()
    page.locator("#series-details summary").click()
    expect(page.locator("#series-body tr").nth(17)).to_be_attached()  # 18 rows or more, once loaded
    page.select_option("#chart-range", "7d")
    expect(page.locator("#live-region")).to_contain_text("Courbe mise à jour")
    check_a11y(page, "asset page")
    page.locator("#series-details summary").click()
    page.evaluate("document.getElementById('series-details').scrollIntoView({block: 'end'})")
    page.wait_for_timeout(300)
    screenshot(page, "equipment-asset")

    # English, complete.
    page.goto(f"/pilotage/equipements/{light.id}?lang=en")
    expect(page.locator("#chart-heading")).to_have_text("Telemetry")
    expect(page.locator("#latest-list")).to_contain_text("Defective lamp")
    check_a11y(page, "asset page in English")
    page.goto("/pilotage/equipements")
    page.wait_for_function("() => window.Equipment && window.Equipment.ready === true", timeout=60_000)
    expect(page.locator("#alarm-heading")).to_have_text("Live alarms")
    check_a11y(page, "equipment map in English")
    assert errors == []
