"""The portal's KPI charts speak the page's language, down to the chart library's own words."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_browser_opendata import _publish


def test_browser_opendata_kpi_chart_legend_in_the_pages_language(vigie, make_agent, new_context):
    """uPlot names the x series "Time" unless told: the legend says Mois, or Month in English."""
    _publish(vigie, make_agent)
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/donnees")
    legend = page.locator("#kpi-per-month .u-legend")
    expect(legend).to_contain_text("Mois")
    expect(legend).not_to_contain_text("Time")
    page.goto("/donnees?lang=en")
    expect(page.locator("#kpi-per-month .u-legend")).to_contain_text("Month")
    assert errors == []
