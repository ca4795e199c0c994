"""The traffic and winter pages in a browser: keyboard use, a road event declared, a level set,
conditions published, axe-core clean (FR and EN)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.conftest import PASSWORD
from tests.telemetry.helpers import add_asset
from vigie.accounts.domain import SYSTEM
from vigie.traffic import actions as traffic
from vigie.winter import actions as winter

LINE = {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]}


def test_browser_traffic_and_winter_pages(vigie, make_agent, new_context):
    add_asset(vigie, "TLC-001", "traffic_signal_controller", busPriority=True)
    add_asset(vigie, "DET-001", "traffic_detector", detectorType="inductiveLoop")
    now = datetime.now(UTC)
    traffic.do_create_event(
        vigie,
        SYSTEM,
        traffic.check_event(
            {
                "kind": "roadworks",
                "title": "Réfection rue Musette",
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
    operator = make_agent("operator")
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, operator.email, PASSWORD)
    page.goto("/pilotage/trafic")
    expect(page.get_by_role("heading", name="Régulation du trafic", level=1)).to_be_visible()
    expect(page.locator("#events-table")).to_contain_text("Réfection rue Musette")
    check_a11y(page, "traffic page")
    # Keyboard: "d" opens the form on its first field; a road event declared by coordinates.
    page.locator("body").press("d")
    expect(page.locator("#ev-kind")).to_be_focused()
    page.select_option("#ev-kind", "closure")
    page.fill("#ev-title", "Marché de Noël")
    page.fill("#ev-start", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#ev-end", (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#ev-coords", "5.0405, 47.3229\n5.0418, 47.3235")
    # Each of these forms saves, then reloads the page: the next step waits for the new page
    # (its scripts run) rather than acting on the old one or on one still loading.
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#events-table")).to_contain_text("Marché de Noël")

    page.goto("/pilotage/hiver")
    expect(page.get_by_role("heading", name="Viabilité hivernale (PC neige)", level=1)).to_be_visible()
    check_a11y(page, "winter page")
    with page.expect_navigation():
        page.get_by_role("button", name="Intervention").click()
    expect(page.locator("#current-level")).to_contain_text("Intervention")
    page.select_option("#cond-P1", "C3")
    with page.expect_navigation():
        page.get_by_role("button", name="Publier P1").click()
    published = page.locator("#conditions-heading + p + table tbody tr").first.locator("td").first
    expect(published).to_contain_text("C3 — Difficiles")
    page.goto("/carte")
    expect(page.locator("#road-conditions")).to_contain_text("C3, conditions difficiles")

    page.goto("/pilotage/trafic?lang=en")
    expect(page.get_by_role("heading", name="Traffic regulation", level=1)).to_be_visible()
    check_a11y(page, "traffic page (en)")
    page.goto("/pilotage/hiver?lang=en")
    expect(page.get_by_role("heading", name="Winter service", level=1)).to_be_visible()
    check_a11y(page, "winter page (en)")
    assert errors == []

    # The detector's chart follows its counts: read again every minute while the page is shown.
    live = ctx.new_page()
    live.clock.install()
    with live.expect_request(lambda r: "/detectors/DET-001/flow" in r.url):
        live.goto("/pilotage/trafic")
    with live.expect_request(lambda r: "/detectors/DET-001/flow" in r.url):
        live.clock.run_for(61_000)


def test_browser_winter_rota_assigned_from_the_page(vigie, make_agent, new_context):
    add_asset(vigie, "VEH-001", "vehicle", vehicleRole="salt_spreader")
    add_asset(vigie, "VEH-002", "vehicle", vehicleRole="snow_plough")
    driver = make_agent("field_agent")
    winter.do_create_circuits(
        vigie,
        SYSTEM,
        [
            winter.check_circuit(
                {"code": "C1", "name": "Ligne T1", "tier": "P1", "geometry": LINE, "vehicle_id": "VEH-001"}
            )
        ],
    )
    op = make_agent("operator")
    ctx, _ = new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, op.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    page.goto("/pilotage/hiver")
    page.get_by_role("link", name="Affectation des circuits").click()
    page.wait_for_url("**/pilotage/hiver/affectations")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    check_a11y(page, "winter rota")
    page.get_by_label("Véhicule du circuit Ligne T1").select_option("VEH-002")
    page.get_by_label("Conducteur du circuit Ligne T1").select_option(label=driver.label)
    with page.expect_navigation():  # saved, the rota reloads
        page.get_by_role("button", name="Enregistrer les affectations").press("Enter")
    expect(page.locator("#rota-status")).to_have_text("1 affectation enregistrée.")
    expect(page.get_by_label("Véhicule du circuit Ligne T1")).to_have_value("VEH-002")
    assert winter.list_circuits(vigie)[0]["vehicle_id"] == "VEH-002"  # the vehicle in force now
    page.goto("/pilotage/hiver/affectations?poste=next&lang=en")
    expect(page.get_by_label("Vehicle of circuit Ligne T1")).to_have_value("")
    check_a11y(page, "winter rota in English")
    assert errors == []
