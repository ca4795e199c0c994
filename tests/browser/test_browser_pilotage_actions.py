"""Control room detail actions in the browser: merge a duplicate, move the pin with
the keyboard fields, change the category, reject with a reason."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.browser.test_browser_pilotage import (
    DESKTOP,
    bearer,
    pilotage_server,
    script_errors,
    submit,
)
from tests.conftest import PASSWORD
from tests.web.live import LiveServer


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with pilotage_server(vigie) as server:
        yield server


def test_browser_merge_move_requalify_and_reject(new_context, live, make_agent, vigie):
    operator = make_agent("operator")
    older = submit(live, description="Premier signalement")
    newer = submit(live, lat=47.32204, long=5.04152, description="Le même trou")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)

    # The newer report lists the older one as a duplicate; merging keeps the older one.
    page.goto(f"/pilotage/signalements/{newer['id']}")
    duplicates = page.locator("#duplicates-list")
    expect(duplicates.get_by_role("link", name=older["reference"])).to_be_visible()
    duplicates.get_by_role("button", name=re.compile("^Fusionner")).click()
    dialog = page.locator("#merge-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#merge-keep-other")).to_be_checked()
    expect(page.locator("#merge-keep-other")).to_be_focused()
    check_a11y(page, "merge dialog")
    dialog.get_by_role("button", name="Fusionner").click()
    expect(page.locator("#status-badge")).to_have_text("Doublon")
    expect(page.locator('[data-action="assign"]')).to_be_hidden()

    # On the kept report: d goes to the coordinates, typed values move the pin.
    page.goto(f"/pilotage/signalements/{older['id']}")
    page.locator("#report-title").focus()
    page.keyboard.press("d")
    expect(page.locator("#move-lat")).to_be_focused()
    page.fill("#move-lat", "47.3235")
    page.fill("#move-long", "5.0431")
    page.fill("#move-address", "Rue de la Préfecture, Dijon")
    page.get_by_role("button", name="Enregistrer l'emplacement").click()
    expect(page.locator("#live-region")).to_contain_text("Emplacement")

    # c changes the category; the page reloads with the new procedure.
    page.locator("#report-title").focus()
    page.keyboard.press("c")
    expect(page.locator("#requalify-service")).to_be_focused()
    page.select_option("#requalify-service", "chaussee-deformee")
    page.fill("#requalify-internal", "Affaissement, pas un trou.")
    # The new title shows as soon as the new page is parsed, maybe before its scripts run: the
    # shortcut below waits for the page to be loaded.
    with page.expect_navigation():
        page.locator("#requalify-dialog").get_by_role("button", name="Changer la catégorie").click()
    expect(page.locator("#report-title")).to_contain_text("Chaussée déformée")

    # x rejects: a reason is required before anything is sent.
    page.locator("#report-title").focus()
    page.keyboard.press("x")
    status = page.locator("#status-dialog")
    expect(page.locator("#status-reason")).to_be_focused()
    status.get_by_role("button", name="Enregistrer").click()
    expect(status.get_by_role("alert")).to_have_text("Indiquez un motif.")
    page.fill("#status-reason", "Déjà réparé lors du chantier de la semaine dernière.")
    check_a11y(page, "reject dialog")
    status.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#status-badge")).to_have_text("Rejeté")
    expect(page.locator("#report-title")).to_be_focused()
    check_a11y(page, "rejected report")

    headers = bearer(vigie, operator)
    kept = httpx.get(f"{live.url}/api/v1/reports/{older['id']}", headers=headers).json()
    assert (kept["lat"], kept["long"]) == (47.3235, 5.0431)
    assert kept["address"] == "Rue de la Préfecture, Dijon"
    assert kept["service_code"] == "chaussee-deformee"
    assert kept["status"] == "rejected" and kept["reject_reason"].startswith("Déjà réparé")
    dup = httpx.get(f"{live.url}/api/v1/reports/{newer['id']}", headers=headers).json()
    assert dup["status"] == "duplicate" and dup["duplicate_of"] == older["id"]
    assert errors == []


def test_browser_live_update_keeps_an_unsaved_location(new_context, live, make_agent, vigie):
    # An operator is placing a report's pin when a colleague acknowledges it: the page shows the
    # colleague's change and leaves the place being typed alone, until it is saved.
    operator = make_agent("operator")
    report = submit(live)
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.goto(f"/pilotage/signalements/{report['id']}")
    expect(page.locator("html")).to_have_attribute("data-live", "live")
    page.fill("#move-lat", "47.3235")
    page.fill("#move-long", "5.0431")
    page.locator("#report-title").focus()  # the fields no longer have the focus

    r = httpx.post(
        f"{live.url}/api/v1/reports/{report['id']}/acknowledge",
        json={},
        headers=bearer(vigie, make_agent()),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    expect(page.locator("#status-badge")).to_have_text("Pris en compte")
    expect(page.locator("#live-region")).to_contain_text(report["reference"])
    expect(page.locator("#move-lat")).to_have_value("47.3235")
    expect(page.locator("#move-long")).to_have_value("5.0431")

    page.get_by_role("button", name="Enregistrer l'emplacement").click()
    expect(page.locator("#live-region")).to_contain_text("Emplacement")
    moved = httpx.get(f"{live.url}/api/v1/reports/{report['id']}", headers=bearer(vigie, operator)).json()
    assert (moved["lat"], moved["long"]) == (47.3235, 5.0431)
    assert errors == []
