"""The portal's KPI charts speak the page's language, down to the chart library's own words, and
mark the month still being counted."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y
from tests.browser.test_browser_opendata import _publish
from tests.opendata.test_opendata_web_kpis import _kpis_over_two_months


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


def test_browser_opendata_kpi_chart_marks_the_partial_month(vigie, make_agent, new_context):
    """The month the release was built in is drawn dashed over a hatched background, with a key
    under the chart and a mark in its table, in French and English: not a drop."""
    last, this = _kpis_over_two_months(vigie, make_agent)
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/donnees")
    chart = page.locator("#kpi-per-month")
    expect(chart).to_have_attribute("data-partial-drawn", "true")
    expect(chart).to_have_attribute("aria-label", re.compile(f"{this[:7]} : mois en cours"))
    expect(page.locator("#kpi-partial-note")).to_contain_text(f"{this[:7]} : mois en cours à la publication")
    page.locator("#kpi-per-month + p + details > summary").click()
    expect(page.get_by_role("rowheader", name=f"{this[:7]} (mois en cours, partiel)")).to_be_visible()
    expect(page.get_by_role("rowheader", name=last[:7], exact=True)).to_be_visible()
    check_a11y(page, "on the portal's KPI charts with a partial month")
    page.goto("/donnees?lang=en")
    expect(page.locator("#kpi-per-month")).to_have_attribute("data-partial-drawn", "true")
    expect(page.locator("#kpi-partial-note")).to_contain_text(f"{this[:7]}: current month when published")
    check_a11y(page, "on the portal's KPI charts with a partial month, in English")
    assert errors == []


def test_browser_opendata_dataset_chart_ticks_do_not_overlap(vigie, make_agent, new_context):
    """A measure over a few months (the KPI dataset's own chart): its dated ticks leave room
    for their labels, which were written over one another."""
    _kpis_over_two_months(vigie, make_agent)
    ctx, _ = new_context()
    page = ctx.new_page()
    page.goto("/donnees/indicateurs")
    expect(page.locator("#dataset-chart canvas").first).to_be_attached()
    gaps = page.evaluate(
        """() => { const u = Vigie.charts.find(c => c.root.parentElement.id === 'dataset-chart');
        const ticks = u.axes[0]._splits.length;
        return [ticks, u.bbox.width / devicePixelRatio / Math.max(ticks, 1)]; }"""
    )
    assert gaps[0] >= 1 and gaps[1] >= 80, gaps
