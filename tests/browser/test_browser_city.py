"""A city set up from the docs' example profile, in a browser: the residents' pages it has no
data for say so (FR and EN), lead back to the report form and the information page, and are
axe-core clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_a11y
from vigie.settings import Settings
from vigie.web.i18n import translate

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-profile"


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    return vigie_settings.model_copy(update={"city": str(EXAMPLE)})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_browser_city_pages_without_data_say_so_and_lead_back(new_context, lang: str) -> None:
    ctx, _ = new_context(locale="fr-FR" if lang == "fr" else "en-GB")
    page: Page = ctx.new_page()
    nav = page.get_by_role("navigation").first
    for path in ["/transports", "/lieux", "/dechets", "/bibliotheque"]:
        response = page.goto(f"{path}?lang={lang}")
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text(translate(lang, "citizen.no_data.title"))
        expect(page.locator("main")).to_contain_text("Sainte-Aube-sur-Seille")
        # The menu does not offer the page either.
        expect(nav.get_by_role("link", name=translate(lang, "citizen.nav.report"))).to_be_visible()
        for hidden in ["citizen.nav.transport", "citizen.nav.places", "citizen.nav.waste"]:
            expect(nav.get_by_role("link", name=translate(lang, hidden), exact=True)).to_have_count(0)
    check_a11y(page, f"a page without data ({lang})")
    with page.expect_navigation():
        page.get_by_role("link", name=translate(lang, "citizen.no_data.to_infos")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translate(lang, "infos.title"))
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(translate(lang, "citizen.no_data.title"))
    with page.expect_navigation():
        page.get_by_role("link", name=translate(lang, "citizen.no_data.to_report")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translate(lang, "citizen.home.title"))


def test_browser_city_dates_are_the_city_time_whatever_the_device_zone(vigie, new_context) -> None:
    from vigie.importer.run import run_import

    history = EXAMPLE / "historique"
    assert run_import(vigie, history / "signalements.csv", history / "mapping.yaml").created == 3
    # Read from New York: 10:00 in Sainte-Aube (Europe/Paris) is 04:00 there.
    ctx, _ = new_context(timezone_id="America/New_York")
    page: Page = ctx.new_page()
    page.goto("/carte")
    item = page.locator("#report-list li").filter(has_text="SAS-2019-48213")
    expect(item).to_contain_text("10:00")
    expect(item).not_to_contain_text("04:00")
