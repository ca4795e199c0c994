"""Maps in a browser: the city's PMTiles basemap is read by byte ranges from Vigie itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y
from tests.maps.archive import COMMUNES, build_archive
from vigie.settings import Settings

ARCHIVE = "/api/v1/map/basemap.pmtiles"


@pytest.fixture
def vigie_settings(vigie_settings: Settings, tmp_path: Path) -> Settings:
    archive = build_archive(tmp_path / "dijon.pmtiles", json.loads(COMMUNES.read_text(encoding="utf-8")))
    return vigie_settings.model_copy(update={"basemap": str(archive)})


def test_public_map_draws_the_pmtiles_basemap_from_byte_ranges(new_context, live):
    ctx, watch = new_context()
    page = ctx.new_page()
    answers: list[tuple[str | None, int, str | None]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.request.headers.get("range"), r.status, r.headers.get("content-range")))
            if r.url.endswith(ARCHIVE)
            else None
        ),
    )
    # Leaflet sizes a tile's canvas before its bytes arrive: wait for the answers themselves,
    # the header's and then one further in the file (a tile's).
    with page.expect_response(
        lambda r: r.url.endswith(ARCHIVE) and r.request.headers.get("range") != "bytes=0-16383"
    ):
        page.goto("/carte")
    # protomaps-leaflet draws each tile on a canvas of Leaflet's tile pane.
    expect(page.locator(".leaflet-tile-pane canvas").first).to_be_attached()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.leaflet-tile-pane canvas')].some(c => c.width > 0)"
    )
    assert answers, "the map never asked for the archive"
    assert all(rng and rng.startswith("bytes=") for rng, _, _ in answers), answers
    assert all(status == 206 and (cr or "").startswith("bytes ") for _, status, cr in answers), answers
    # The header and root directory first, then tiles further in the file.
    assert answers[0][0] == "bytes=0-16383"
    assert len(answers) >= 2
    # The credit of the data stays visible.
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    check_a11y(page, "public map with a PMTiles basemap")
    assert watch.third_party() == []


def test_dataset_map_draws_the_pmtiles_basemap_under_its_points(vigie, make_agent, new_context, live):
    """A geographic dataset's map on the portal is drawn over the same basemap as every other
    map (it had none: points on a blank square), read from Vigie itself."""
    from tests.browser.test_browser_opendata import _publish

    _publish(vigie, make_agent)
    ctx, watch = new_context()
    page = ctx.new_page()
    with page.expect_response(
        lambda r: r.url.endswith(ARCHIVE) and r.request.headers.get("range") != "bytes=0-16383"
    ):
        page.goto("/donnees/velodi")
    tiles = "#dataset-map .leaflet-tile-pane canvas"
    page.wait_for_function(f"() => [...document.querySelectorAll({tiles!r})].some(c => c.width > 0)")
    expect(page.locator("#dataset-map .leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    check_a11y(page, "on a dataset's map with a PMTiles basemap")
    assert watch.third_party() == []
