"""The open data portal as its users read it on a phone and at 200 % zoom: nothing wider than
the screen (WCAG 1.4.10), every scrolling box reachable from the keyboard, axe-core clean."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login, screenshot
from tests.browser.test_browser_opendata import _publish
from tests.conftest import PASSWORD


def _page_width(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_browser_opendata_dataset_page_reflows_on_a_phone(vigie, make_agent, new_context):
    """A wide preview table scrolls inside its own box, which the keyboard can reach and which
    is named; the page itself is never wider than the phone."""
    _publish(vigie, make_agent)
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    page.goto("/donnees/velodi")
    expect(page.get_by_role("heading", name="Stations Vélodi", level=1)).to_be_visible()
    expect(page.locator("table.preview tbody tr")).to_have_count(20)
    assert _page_width(page) <= 390
    box = page.locator("div.table-scroll", has=page.locator("table.preview"))
    expect(box).to_have_role("region")
    expect(box).to_have_accessible_name("Tableau : Aperçu (20 premières lignes)")
    box.focus()
    expect(box).to_be_focused()
    check_a11y(page, "on a dataset page, on a phone")
    screenshot(page, "opendata-dataset-phone")


def test_browser_opendata_pages_reflow_at_200_percent_zoom(vigie, make_agent, new_context):
    """1280 px at 200 %: the browser lays the page out in 640 CSS pixels."""
    _publish(vigie, make_agent)
    ctx, _ = new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = ctx.new_page()
    for path in ("/donnees", "/donnees/velodi", "/donnees/parkings?lang=en", "/labo"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert _page_width(page) <= 640, path


def test_browser_opendata_staff_pages_reflow_on_a_phone(vigie, make_agent, new_context):
    """The files page and the API keys' staff page: their tables scroll in their own box."""
    publisher, _ = _publish(vigie, make_agent)
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    login(page, publisher.email, PASSWORD)
    for path in ("/donnees/gestion/fichiers", "/donnees/cles/gestion"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert _page_width(page) <= 390, path
        check_a11y(page, f"on {path}, on a phone")


def test_browser_opendata_portal_links_past_the_facets_on_a_phone(vigie, make_agent, new_context):
    """Stacked on a phone, the facets' links come before the first dataset: a link leads past
    them, and the keyboard goes on from the results."""
    _publish(vigie, make_agent)
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    page.goto("/donnees")
    skip = page.get_by_role("link", name="Aller aux résultats (3)")
    expect(skip).to_be_in_viewport()
    skip.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="3 jeux de données sur 3")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".dataset-card a").first).to_be_focused()
    check_a11y(page, "on the portal, on a phone")
