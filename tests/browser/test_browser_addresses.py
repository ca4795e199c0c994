"""Address journeys in a browser, French and English: autocomplete places the pin, a pin
(tap, photo) shows what it is near, and the location step says where the position came from."""

# ruff: noqa: F811 - the fixtures imported from tests.addresses.conftest are parameters here

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from PIL.ExifTags import IFD
from playwright.sync_api import Page, expect

from tests.addresses.conftest import commerces, dijon_gazetteer  # noqa: F401 (fixtures)
from tests.browser.conftest import address_suggestions, check_a11y, screenshot
from tests.transport.conftest import DIVIA, STOPS
from vigie.settings import Settings
from vigie.web.i18n import translate

LANGS = [("fr", "fr-FR", "/"), ("en", "en-GB", "/?lang=en")]


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    """With Divia's network when the shared data is there: the maps as the Dijon demo shows them."""
    if not (DIVIA / "routes.txt").is_file():
        return vigie_settings
    return vigie_settings.model_copy(
        update={
            "transport_gtfs": str(DIVIA),
            "transport_stops": ",".join(str(p) for p in STOPS if p.is_file()),
            "transport_attribution": "Divia mobilités / Dijon Métropole",
        }
    )


def tr(lang: str, key: str, **values: object) -> str:
    return translate(lang, key, **values)


@pytest.fixture
def gps_photo(tmp_path: Path) -> Path:
    """A JPEG taken at 12 rue de la Liberté, Dijon (47°19'21.9" N, 5°2'8.9" E), as a phone writes it."""
    img = Image.new("RGB", (800, 600), (90, 90, 90))
    img.paste((40, 40, 40), (250, 200, 550, 400))
    exif = Image.Exif()
    exif[IFD.GPSInfo] = {1: "N", 2: (47.0, 19.0, 21.9), 3: "E", 4: (5.0, 2.0, 8.9)}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif.tobytes())
    path = tmp_path / "liberte.jpg"
    path.write_bytes(out.getvalue())
    return path


def open_location_step(page: Page, lang: str, path: str) -> None:
    page.goto(path)
    search = page.get_by_label(tr(lang, "citizen.form.search_label"))
    search.fill("nid de poule" if lang == "fr" else "pothole")
    page.locator(".cat").filter(has_text="Nid-de-poule" if lang == "fr" else "Pothole").first.click()
    expect(page.locator("#h-location")).to_be_focused()
    expect(page.locator("#location-map .leaflet-vigie-zones-pane path").first).to_be_attached()


@pytest.mark.parametrize(("lang", "locale", "path"), LANGS)
def test_resident_types_an_address_and_the_pin_lands_on_it(
    new_context, live, dijon_gazetteer, lang, locale, path
):
    ctx, watch = new_context(phone=True, locale=locale)
    page = ctx.new_page()
    open_location_step(page, lang, path)
    box = page.get_by_role("combobox", name=tr(lang, "citizen.form.address"))
    with address_suggestions(page, "12 liber"):
        box.press_sequentially("12 liber")
    listbox = page.get_by_role("listbox")
    option = listbox.get_by_role("option", name="12 Rue de la Liberté 21000 Dijon")
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    check_a11y(page, f"address suggestions ({lang})")
    box.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("12 Rue de la Liberté 21000 Dijon")
    expect(box).to_have_attribute("aria-expanded", "false")
    status = page.locator("#location-status")
    chosen = tr(lang, "citizen.js.location_address", address="12 Rue de la Liberté 21000 Dijon")
    expect(status).to_contain_text(chosen)
    pin = page.get_by_role("button", name=tr(lang, "citizen.js.marker"))
    expect(pin).to_be_visible()
    centre = page.evaluate("() => { const c = Vigie.maps[0].getCenter(); return [c.lat, c.lng]; }")
    assert abs(centre[0] - 47.3227) < 0.0005 and abs(centre[1] - 5.0358) < 0.0005
    if lang == "fr":
        screenshot(page, "citizen-address")
    assert watch.third_party() == []


@pytest.mark.parametrize(("lang", "locale", "path"), LANGS)
def test_photo_first_proposes_its_position_and_says_what_it_is_near(
    new_context, live, dijon_gazetteer, gps_photo, lang, locale, path
):
    ctx, _ = new_context(phone=True, locale=locale)
    page = ctx.new_page()
    open_location_step(page, lang, path)
    page.locator("#location-photo").set_input_files(str(gps_photo))
    status = page.locator("#location-status")
    expect(status).to_contain_text(tr(lang, "citizen.js.location_photo", coords="47.32275, 5.03581"))
    near = tr(lang, "address_box.near", label="12 Rue de la Liberté")
    expect(status).to_contain_text(near)
    expect(status).to_have_attribute("data-source", "photo")
    # The reverse-geocoded address fills the empty field; the photo joins the report.
    expect(page.get_by_role("combobox", name=tr(lang, "citizen.form.address"))).to_have_value(
        "12 Rue de la Liberté 21000 Dijon"
    )
    expect(page.locator("#photo-previews li")).to_have_count(1)
    check_a11y(page, f"location from a photo ({lang})")
    # Tapping the map elsewhere: the step says so and what the new place is near.
    page.evaluate("() => { Vigie.maps[0].fire('click', {latlng: L.latLng(47.3220, 5.0415)}); }")
    expect(status).to_have_attribute("data-source", "map")
    expect(status).to_contain_text(tr(lang, "citizen.js.location_near", near="").rstrip(" ."))


class Keyboard:
    """The operator's keyboard, counting keystrokes (a chord counts each of its keys)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.count += len(key.split("+"))


@pytest.mark.parametrize(("lang", "path"), [("fr", "/pilotage/appel"), ("en", "/pilotage/appel?lang=en")])
def test_phone_intake_with_the_keyboard_only_in_at_most_60_keystrokes(
    new_context, live, dijon_gazetteer, make_agent, vigie, lang, path
):
    import httpx

    from tests.browser.conftest import login
    from tests.browser.test_browser_pilotage import DESKTOP, bearer
    from tests.conftest import PASSWORD

    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, operator.email, PASSWORD)
    page.goto(path)
    expect(page.locator("#caller-name")).to_be_focused()
    # Nothing of the map can take the focus.
    expect(page.locator("#intake-map .leaflet-control-zoom-in")).to_be_attached()
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('#intake-map *')].filter(e => e.tabIndex >= 0).length"
        )
        == 0
    )
    keys = Keyboard(page)
    keys.press("Tab", 4)  # past the caller's (optional) phone, e-mail and language: the category search
    expect(page.locator("#service-search")).to_be_focused()
    keys.type("poule")
    keys.press("Enter")  # the first match; the focus goes to its required question
    expect(page.locator("#attr-danger_immediat-0")).to_be_focused()  # "immediate danger?" yes
    keys.press("ArrowDown")  # "no"
    expect(page.locator("#attributes input[value='non']")).to_be_checked()
    for _ in range(6):  # past the optional questions to the address
        keys.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "intake-address":
            break
    expect(page.locator("#intake-address")).to_be_focused()
    with address_suggestions(page, "12 liber"):
        keys.type("12 liber")
    option = page.get_by_role("option", name="12 Rue de la Liberté 21000 Dijon")
    expect(option).to_be_visible()
    check_a11y(page, f"phone intake with address suggestions ({lang})")
    if lang == "fr":
        screenshot(page, "pilotage-phone-intake-address")
    keys.press("ArrowDown")
    keys.press("Enter")
    expect(page.locator("#intake-lat")).to_have_value(re.compile(r"^47\.322"))
    keys.press("Tab", 4)  # commune, latitude, longitude, description: the map is skipped
    expect(page.locator("#intake-description")).to_be_focused()
    page.keyboard.type("Trou profond devant le numéro 12, signalé par téléphone.")  # not counted
    keys.press("Control+Enter")
    done = page.locator("#intake-done")
    expect(done).to_be_focused()
    assert keys.count <= 60, keys.count
    check_a11y(page, f"phone intake done ({lang})")
    ref = re.search(r"DIJ-\d{4}-\d{6}", page.locator("#intake-done-title").inner_text())
    assert ref
    report = httpx.get(
        f"{live.url}/api/v1/reports", params={"q": ref.group(0)}, headers=bearer(vigie, operator), timeout=10
    ).json()["items"][0]
    assert report["channel"] == "phone"
    assert report["address"] == "12 Rue de la Liberté 21000 Dijon"
    assert report["address_id"] == "21231_rue_de_la_liberte_00012"  # the suggestion chosen
    assert abs(report["lat"] - 47.3227) < 0.0005 and abs(report["long"] - 5.0358) < 0.0005
    assert report["attributes"] == {"danger_immediat": "non"}
    print(f"\n[intake] complete phone report ({lang}) in {keys.count} keystrokes beyond the description")


MAP_LANGS = [("fr", "fr-FR", "/carte"), ("en", "en-GB", "/carte?lang=en")]


@pytest.mark.parametrize(("lang", "locale", "path"), MAP_LANGS)
def test_public_map_search_goes_to_the_address(new_context, live, dijon_gazetteer, lang, locale, path):
    ctx, watch = new_context(locale=locale)
    page = ctx.new_page()
    page.goto(path)
    box = page.get_by_role("combobox", name=tr(lang, "citizen.map.search"))
    with address_suggestions(page, "12 liber"):
        box.press_sequentially("12 liber")
    expect(page.get_by_role("option", name="12 Rue de la Liberté 21000 Dijon")).to_be_visible()
    check_a11y(page, f"public map search ({lang})")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_function("() => Vigie.maps[0].getZoom() === 18")
    centre = page.evaluate("() => { const c = Vigie.maps[0].getCenter(); return [c.lat, c.lng]; }")
    assert abs(centre[0] - 47.3227) < 0.0005 and abs(centre[1] - 5.0358) < 0.0005
    # At street level the gazetteer's house numbers are written on the map.
    expect(page.locator(".map-label--number", has_text="12").first).to_be_visible()
    if lang == "fr":
        screenshot(page, "citizen-map-address")
    assert watch.third_party() == []


def test_control_room_move_by_address_and_what_a_moved_pin_is_near(
    new_context, live, dijon_gazetteer, make_agent, vigie
):
    import httpx

    from tests.browser.conftest import login
    from tests.browser.test_browser_pilotage import DESKTOP, bearer
    from tests.citizen.helpers import pothole
    from tests.conftest import PASSWORD

    report = httpx.post(f"{live.url}/api/v1/reports", json=pothole(), timeout=10).json()
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, operator.email, PASSWORD)
    page.goto(f"/pilotage/signalements/{report['id']}")
    box = page.get_by_role("combobox", name="Adresse")
    box.fill("")
    with address_suggestions(page, "12 liber"):
        box.press_sequentially("12 liber")
    expect(page.get_by_role("option", name="12 Rue de la Liberté 21000 Dijon")).to_be_visible()
    check_a11y(page, "move by address")
    box.press("ArrowDown")
    box.press("Enter")
    expect(page.locator("#move-lat")).to_have_value(re.compile(r"^47\.3227"))
    page.get_by_role("button", name="Enregistrer l'emplacement").click()
    expect(page.locator("#live-region")).to_contain_text("Emplacement")
    moved = httpx.get(f"{live.url}/api/v1/reports/{report['id']}", headers=bearer(vigie, operator)).json()
    assert abs(moved["lat"] - 47.3227) < 0.0005 and moved["address"] == "12 Rue de la Liberté 21000 Dijon"
    # A tap on the map: the place under the new pin, and the address follows it.
    page.evaluate("() => { Vigie.maps[0].fire('click', {latlng: L.latLng(47.32273, 5.03580)}); }")
    expect(page.locator("#move-near")).to_have_text("près du 12 Rue de la Liberté")
