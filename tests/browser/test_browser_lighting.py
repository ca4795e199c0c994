"""The lighting pages in a real browser: the control room's and the residents', French and English."""

from __future__ import annotations

from datetime import date

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login, screenshot
from tests.conftest import PASSWORD
from tests.lighting.helpers import add_light
from vigie.accounts.domain import SYSTEM
from vigie.telemetry.lighting import ensure_default_schedule
from vigie.telemetry.past_schedules import do_record_past_change


def seed_fleet(vigie) -> None:  # type: ignore[no-untyped-def]
    """Four lights: two converted to LED (2018 and 2022, one at 4,000 K), two sodium."""
    ensure_default_schedule(vigie)
    add_light(
        vigie,
        "SL-1",
        "LED",
        40,
        installed_on=date(2001, 1, 1),
        history=[(date(2001, 1, 1), "installed", "HPS", 100), (date(2018, 4, 2), "conversion", "LED", 40)],
        luminaireInstalledOn="2018-04-02",
        upwardLightRatio=0,
    )
    add_light(
        vigie,
        "SL-2",
        "LED",
        60,
        installed_on=date(1999, 1, 1),
        history=[(date(1999, 1, 1), "installed", "HPS", 150), (date(2022, 9, 1), "conversion", "LED", 60)],
        luminaireInstalledOn="2022-09-01",
        colorTemperature=4000,
    )
    add_light(vigie, "SL-3", "HPS", 100, installed_on=date(2005, 1, 1), upwardLightRatio=3, zone="21166")
    add_light(vigie, "SL-4", "MV", 125, installed_on=date(1990, 1, 1), upwardLightRatio=55, zone="21166")


def test_browser_lighting_control_room_page(vigie, live, new_context, make_agent) -> None:  # type: ignore[no-untyped-def]
    seed_fleet(vigie)
    # Dimmed only since October 2019: the schedules' history, shown and counted.
    do_record_past_change(
        vigie,
        SYSTEM,
        {"group": "*", "effective_on": "2019-10-01", "before": {"dim_level": 1}, "after": {"dim_level": 0.7}},
    )
    energy = httpx.get(live.url + "/api/v1/lighting/energy", timeout=30).json()
    supervisor = make_agent("supervisor")
    ctx, _ = new_context(viewport={"width": 1440, "height": 1200})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, supervisor.email, PASSWORD)
    page.goto("/pilotage/eclairage")
    expect(page.get_by_role("heading", level=1)).to_have_text("Éclairage public")
    expect(page.locator("#chart-lighting-energy canvas")).to_be_visible()
    expect(page.locator("#chart-lighting-led canvas")).to_be_visible()
    # The figures are the API's: today's MWh and the city target's saving.
    mwh = f"{energy['kwh'] / 1000:,.0f}".replace(",", "\u202f")
    expect(page.locator(".kpis")).to_contain_text(mwh)
    ville = next(t for t in energy["targets"] if t["id"] == "ville")
    expect(page.locator("#targets-heading ~ p").first).to_contain_text(
        f"{ville['saving'] * 100:.1f}".replace(".", ",")
    )
    # Two communes, compliance: SL-2 (4,000 K since 2022) and SL-4 (a globe) break a rule.
    expect(page.locator("#zones-heading ~ div tbody tr")).to_have_count(2)
    expect(page.locator("#compliance-heading ~ table tbody tr").nth(1)).to_contain_text("2")
    table = page.locator("#energy-heading ~ details")
    table.locator("summary").click()
    expect(table.locator("tbody tr").first).to_contain_text("2017")
    # What next year's budget buys: the plan page's defaults (a crew for 6 % of the fleet a
    # year) convert one point a year here, mercury first.
    expect(page.locator("#plan-answer")).to_contain_text("convertissent 1 point lumineux en LED")
    expect(page.locator("#plan-heading ~ div tbody tr")).to_have_count(5)
    changes = page.locator("#schedule-changes-heading ~ div tbody tr")
    expect(changes).to_have_count(1)
    expect(changes.first).to_contain_text("2019-10-01")
    expect(changes.first).to_contain_text("niveau abaissé : 100 % → 70 %")
    # No cabinet reported: none judged against the model.
    expect(page.locator("#measured-heading ~ table tbody tr").nth(4)).to_contain_text("Sans relevé récent")
    check_a11y(page, "lighting control room (fr)")
    screenshot(page, "pilotage-lighting")
    page.locator("#plan-budget").fill("beaucoup")
    page.get_by_role("button", name="Calculer le plan").click()
    expect(page.get_by_role("alert")).to_contain_text("budget")
    expect(page.locator("#plan-budget")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "lighting plan form with an error")
    page.goto("/pilotage/eclairage?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Street lighting")
    expect(page.locator("#chart-lighting-energy canvas")).to_be_visible()
    check_a11y(page, "lighting control room (en)")
    assert errors == []
    # Operators do not see it (the dashboard's permission).
    operator = make_agent("operator")
    octx, _ = new_context()
    opage = octx.new_page()
    login(opage, operator.email, PASSWORD)
    response = opage.goto("/pilotage/eclairage")
    assert response is not None and response.status == 403


def test_browser_lighting_public_page(vigie, live, new_context) -> None:  # type: ignore[no-untyped-def]
    seed_fleet(vigie)
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/eclairage")
    expect(page.get_by_role("heading", level=1)).to_contain_text("L'éclairage public de")
    expect(page.locator("#chart-lighting-led canvas")).to_be_visible()
    expect(page.locator(".kpis")).to_contain_text("50")  # two LED of four points
    expect(page.locator("#targets-heading")).to_be_visible()
    # No per-commune or per-point detail for the public.
    expect(page.locator("#zones-heading")).to_have_count(0)
    check_a11y(page, "lighting public page (fr)")
    screenshot(page, "citizen-lighting")
    page.goto("/eclairage?lang=en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Street lighting in")
    expect(page.locator("#chart-lighting-energy canvas")).to_be_visible()
    check_a11y(page, "lighting public page (en)")
    assert errors == []


MARKERS_ARE = """(expected) => {
  const map = Vigie.maps.find((m) => m.getContainer().id === "compliance-map");
  if (!map) return false;
  let n = 0;
  map.eachLayer((l) => { if (l instanceof L.CircleMarker) n++; });
  return n === expected;
}"""


def markers_are(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(MARKERS_ARE, arg=n)


def test_browser_lighting_compliance_map(vigie, live, new_context, make_agent) -> None:  # type: ignore[no-untyped-def]
    seed_fleet(vigie)
    # A third point in Chenôve without its upward light ratio: unknown.
    add_light(vigie, "SL-5", "HPS", 70, installed_on=date(2010, 1, 1), zone="21166")
    supervisor = make_agent("supervisor")
    ctx, _ = new_context(viewport={"width": 1280, "height": 1000})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, supervisor.email, PASSWORD)
    page.goto("/pilotage/eclairage")
    card = page.locator("#compliance-map-card")
    expect(card.get_by_role("heading", level=2)).to_have_text("Carte de conformité")
    # The legend says each status in words and shape, with the commune's counts.
    legend = card.get_by_role("group", name="Statuts affichés")
    expect(legend.get_by_role("checkbox")).to_have_count(3)
    expect(legend).to_contain_text("Non conformes (anneau rouge épais)")
    page.locator("#compliance-zone").select_option(label="Chenôve")
    summary = page.locator("#compliance-map-summary")
    expect(summary).to_have_text("Chenôve — non conformes : 1 ; inconnus : 1 ; conformes : 1.")
    markers_are(page, 3)
    # From the keyboard: hide the compliant points.
    legend.get_by_role("checkbox", name="Conformes (disque plein vert)").focus()
    page.keyboard.press("Space")
    expect(legend.get_by_role("checkbox", name="Conformes (disque plein vert)")).not_to_be_checked()
    markers_are(page, 2)
    page.locator("#compliance-zone").select_option(label="Dijon")
    expect(summary).to_contain_text("Dijon — non conformes : 1 ; inconnus : 0 ; conformes : 1.")
    markers_are(page, 1)  # SL-2 (4,000 K); SL-1 is compliant and hidden
    page.locator("#compliance-zone").select_option(value="")
    expect(summary).to_contain_text("Toutes les communes — non conformes : 2 ; inconnus : 1")
    markers_are(page, 3)
    check_a11y(page, "lighting compliance map (fr)")
    page.goto("/pilotage/eclairage?lang=en")
    expect(page.locator("#compliance-map-card h2")).to_have_text("Compliance map")
    expect(page.locator("#compliance-map-card fieldset")).to_contain_text("Unknown (dotted grey circle)")
    page.locator("#compliance-zone").select_option(label="Chenôve")
    expect(page.locator("#compliance-map-summary")).to_have_text(
        "Chenôve — non-compliant: 1; unknown: 1; compliant: 1."
    )
    markers_are(page, 3)
    check_a11y(page, "lighting compliance map (en)")
    assert errors == []
