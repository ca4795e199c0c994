"""The LED plan page in a real browser: computed on arrival, years, financing, map by year,
scenarios side by side, exports; axe-core clean in French and English."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login, screenshot
from tests.browser.test_browser_pilotage import DESKTOP, script_errors
from tests.conftest import PASSWORD
from tests.lighting.test_lighting_planner_fleet import fleet_vigie  # noqa: F401


def test_browser_lighting_plan_page(new_context, live, make_agent, fleet_vigie) -> None:  # noqa: F811
    supervisor = make_agent("supervisor")
    ctx, _ = new_context(viewport={**DESKTOP, "height": 1400})
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, supervisor.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    page.get_by_role("link", name="Plan LED").click()
    page.wait_for_url("**/pilotage/eclairage/plan")
    # Computed on arrival with the starting assumptions: 6 lights, so a crew of 1 a year.
    rows = page.locator("#plan-years-table tbody tr")
    expect(page.locator("#plan-status")).to_contain_text("Plan calculé")
    expect(rows).to_have_count(5)
    expect(page.locator("#plan-status")).to_contain_text("Plan calculé")
    expect(page.locator("#plan-why")).to_contain_text("Vapeur de mercure")
    expect(page.locator("#plan-kpis .kpi")).to_have_count(6)  # with the CEE estimate (French rules)
    expect(page.locator("#chart-plan-years canvas")).to_have_count(1)
    expect(page.locator("#plan-finance-table tbody tr")).to_have_count(20)
    # The map draws the converted points; one year at a time on demand.
    page.wait_for_function(
        "() => document.querySelectorAll('#plan-map path.leaflet-interactive, #plan-map canvas').length > 0"
    )
    expect(page.locator("#plan-map-year option")).to_have_count(6)
    assert page.locator("#plan-csv").get_attribute("href").startswith("/api/v1/lighting/plan.csv?")
    check_a11y(page, "lighting plan")
    screenshot(page, "lighting-plan")

    # Two scenarios side by side: the plan as it is, then two conversions a year over 2 years.
    page.get_by_role("button", name="Garder pour comparer").click()
    page.get_by_label("Conversions possibles par an (équipes)").fill("2")
    page.get_by_label("Nombre d'années").fill("2")
    page.get_by_role("button", name="Calculer le plan").click()
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Garder pour comparer").click()
    expect(page.locator("#plan-scenarios-table thead th")).to_have_count(3)
    expect(page.locator("#chart-plan-scenarios canvas")).to_have_count(1)
    # A bad value is named, never a crash.
    page.get_by_label("Nombre d'années").fill("0")
    page.get_by_role("button", name="Calculer le plan").click()
    expect(page.locator("#plan-status")).to_contain_text("n'a pas pu être calculé")
    check_a11y(page, "lighting plan, scenarios")

    page.goto("/pilotage/eclairage/plan?lang=en")
    expect(page.locator("#plan-status")).to_contain_text("Plan computed")
    check_a11y(page, "lighting plan in English")
    assert errors == []
