"""Maps without a basemap in a browser: the public transport network drawn from the GTFS feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y
from tests.transport.conftest import DIVIA, STOPS
from vigie.settings import Settings


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    if not (DIVIA / "routes.txt").is_file():
        pytest.skip(f"{DIVIA} is not available")
    return vigie_settings.model_copy(
        update={
            "transport_gtfs": str(DIVIA),
            "transport_stops": ",".join(str(p) for p in STOPS if Path(p).is_file()),
            "transport_attribution": "Divia mobilités / Dijon Métropole",
        }
    )


@pytest.mark.parametrize(("locale", "path"), [("fr-FR", "/carte"), ("en-GB", "/carte?lang=en")])
def test_public_map_draws_lines_and_stop_names_at_street_level(new_context, live, locale, path):
    ctx, watch = new_context(locale=locale)
    page = ctx.new_page()
    page.goto(path)
    credit = page.locator(".leaflet-control-attribution")
    expect(credit).to_contain_text("Divia mobilités / Dijon Métropole")
    # The network's own canvas tiles, under the markers, taking no clicks.
    expect(page.locator(".leaflet-vigie-context-pane canvas.leaflet-tile").first).to_be_attached()
    assert (
        page.evaluate(
            "() => getComputedStyle(document.querySelector('.leaflet-vigie-context-pane')).pointerEvents"
        )
        == "none"
    )
    assert page.locator(".map-label").count() == 0  # no names on the whole-city view
    # Street level at Foch Gare (trams T1 and T2): the stops' names appear, with their lines.
    page.evaluate("() => { Vigie.maps[0].setView([47.32346, 5.03015], 18, {animate: false}); }")
    label = page.locator(".map-label", has_text="Foch Gare")
    expect(label.first).to_be_visible()
    expect(label.first).to_contain_text("T1 T2")
    # The tram lines and the stop are drawn in the tiles around it.
    page.wait_for_function(
        """() => [...document.querySelectorAll('.leaflet-vigie-context-pane canvas')].some((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
          return false;
        })"""
    )
    check_a11y(page, f"public map with transport layers ({locale})")
    assert watch.third_party() == []
