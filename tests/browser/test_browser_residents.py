"""The residents' city in a browser: the next tram at the nearest stop with its delay, a place,
the waste days of an address with the calendar to subscribe to, city information; axe-clean."""

# ruff: noqa: F811 - the fixtures imported from tests.addresses.conftest are parameters here

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.addresses.conftest import commerces, dijon_gazetteer  # noqa: F401 (fixtures)
from tests.browser.conftest import address_suggestions, check_a11y, screenshot
from tests.transport.conftest import DIJON, TIMETABLE
from tests.transport.test_departures import trip_updates
from vigie.cityinfo.actions import do_save_page
from vigie.places.importer import do_import_places
from vigie.runtime import Vigie
from vigie.transport.importer import do_import_gtfs
from vigie.transport.realtime import RealtimeFeed
from vigie.transport.schedule import format_time
from vigie.web.i18n import translate

PARIS = ZoneInfo("Europe/Paris")
LANGS = [("fr", "fr-FR"), ("en", "en-GB")]
VELODI = DIJON / "opendata" / "caracteristiques_stations_velodi.geojson"
ROUNDS = Path(__file__).parents[2] / "src" / "vigie" / "city" / "profiles" / "dijon" / "waste.yaml"


def tr(lang: str, key: str, **values: object) -> str:
    return translate(lang, key, **values)


def _timetable_from_now(vigie: Vigie, tmp_path: Path) -> None:
    """The small test feed with its trips 6 and 16 minutes from now, running yesterday to tomorrow."""
    now = datetime.now(PARIS)
    clock = now.hour * 3600 + now.minute * 60
    out = tmp_path / "feed"
    out.mkdir()
    for name, text in TIMETABLE.items():
        (out / name).write_text(text, encoding="utf-8")
    rows = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for trip, minutes in (("t1", 6), ("t2", 16)):
        at = clock + minutes * 60
        rows += [
            f"{trip},{format_time(at)},{format_time(at)},S1,1",
            f"{trip},{format_time(at + 300)},{format_time(at + 300)},S2,2",
        ]
    (out / "stop_times.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (out / "trips.txt").write_text(
        "route_id,service_id,trip_id,trip_headsign\nT1,ALL,t1,Quetigny\nT1,ALL,t2,Quetigny\n"
    )
    first, last = now.date() - timedelta(days=1), now.date() + timedelta(days=1)
    (out / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        f"ALL,1,1,1,1,1,1,1,{first:%Y%m%d},{last:%Y%m%d}\n"
    )
    (out / "calendar_dates.txt").unlink()
    do_import_gtfs(vigie, out)
    feed = trip_updates(("t1", f"{now:%Y%m%d}", [(1, 240)]))
    vigie.caches.transit_realtime = RealtimeFeed(lambda: feed, 30, "test")


@pytest.mark.parametrize(("lang", "locale"), LANGS)
def test_resident_finds_the_next_tram_near_an_address_with_its_delay(
    new_context, live, dijon_gazetteer, tmp_path, lang, locale
):
    _timetable_from_now(dijon_gazetteer, tmp_path)
    ctx, _ = new_context(phone=True, locale=locale)
    page: Page = ctx.new_page()
    page.goto(f"/transports?lang={lang}")
    box = page.get_by_role("combobox", name=tr(lang, "near.address"))
    with address_suggestions(page, "12 liber"):
        box.press_sequentially("12 liber")
    # Links and forms below open other pages: each step waits for the new page to be loaded.
    with page.expect_navigation():  # the suggestion chosen, the stops near it
        page.get_by_role("listbox").get_by_role("option", name="12 Rue de la Liberté 21000 Dijon").click()
    stop = page.get_by_role("link", name="Darcy")
    expect(stop).to_be_visible()
    check_a11y(page, f"stops near an address ({lang})")
    with page.expect_navigation():
        stop.click()
    expect(page.get_by_role("heading", name="Darcy", level=1)).to_be_visible()
    rows = page.locator("table.departures tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Quetigny")
    expect(rows.first).to_contain_text(tr(lang, "transport.late", n=4))
    expect(rows.nth(1)).to_contain_text(tr(lang, "transport.scheduled"))
    check_a11y(page, f"next departures ({lang})")
    screenshot(page, f"residents-departures-{lang}")


def test_resident_finds_a_place_its_waste_days_and_the_city_information(
    new_context, live, dijon_gazetteer, make_agent
):
    if not VELODI.is_file():
        pytest.skip("Dijon open data not available")
    v = dijon_gazetteer
    do_import_places(v, VELODI, "dijon_velodi")
    v.settings.waste_rounds = str(ROUNDS)
    do_save_page(
        v,
        make_agent("supervisor"),
        "eau",
        {"title_fr": "Travaux d'eau", "body_fr": "## Coupure\n\nLe **mardi**."},
    )
    ctx, _ = new_context()
    page: Page = ctx.new_page()
    page.goto("/lieux")
    # Links and forms below open other pages: each step waits for the new page to be loaded.
    with page.expect_navigation():
        page.get_by_role("link", name="Vélos en libre-service").click()
    first = page.locator(".near-item a").first
    name = first.inner_text()
    check_a11y(page, "places by theme")
    with page.expect_navigation():
        first.click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    check_a11y(page, "a place")
    page.goto("/dechets")
    page.get_by_label(tr("fr", "waste.address")).fill("12 rue de la Liberté Dijon")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("fr", "waste.show")).click()
    expect(page.locator(".waste-days li").first).to_be_visible()
    subscribe = page.get_by_role("link", name=tr("fr", "waste.subscribe_button"))
    assert (subscribe.get_attribute("href") or "").startswith("webcal://")
    ics = page.request.get(
        page.get_by_role("link", name=tr("fr", "waste.download")).get_attribute("href") or ""
    )
    assert ics.ok and "BEGIN:VCALENDAR" in ics.text()
    check_a11y(page, "waste days")
    page.goto("/infos")
    with page.expect_navigation():
        page.get_by_role("link", name="Travaux d'eau").click()
    expect(page.get_by_role("heading", name="Coupure", level=2)).to_be_visible()
    check_a11y(page, "an information page")
