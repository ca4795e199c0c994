"""A form's error is tied to its field: the field is marked invalid, described by the message
and focused (WCAG 3.3.1, 1.3.1), in the control room and on a field agent's phone."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.browser.test_browser_pilotage import DESKTOP, bearer, pilotage_server, script_errors, submit
from tests.conftest import PASSWORD
from tests.web.live import LiveServer


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with pilotage_server(vigie) as server:
        yield server


def test_browser_report_form_errors_tied_to_their_fields(new_context, live, make_agent):
    operator = make_agent("operator")
    report = submit(live)
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.goto(f"/pilotage/signalements/{report['id']}")

    # Rejecting without a reason: the reason box says why, and is focused.
    page.locator('[data-action="reject"]').click()
    reason = page.locator("#status-reason")
    expect(reason).to_be_focused()
    expect(reason).not_to_have_attribute("aria-invalid", "true")
    page.locator("#status-dialog").get_by_role("button", name="Enregistrer").click()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(
        "Obligatoire ; il est communiqué au déclarant. Indiquez un motif."
    )
    expect(reason).to_be_focused()
    check_a11y(page, "reject dialog with its error")
    page.keyboard.press("Escape")
    # Opened again, the dialog starts clean.
    page.locator('[data-action="reject"]').click()
    expect(reason).not_to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description("Obligatoire ; il est communiqué au déclarant.")
    page.keyboard.press("Escape")

    # Coordinates left empty: the latitude says so; once given, the error goes.
    page.fill("#move-lat", "")
    page.get_by_role("button", name="Enregistrer l'emplacement").click()
    lat = page.locator("#move-lat")
    expect(lat).to_have_attribute("aria-invalid", "true")
    expect(lat).to_have_accessible_description("Saisissez une latitude et une longitude.")
    expect(lat).to_be_focused()
    page.fill("#move-lat", "47.3235")
    page.get_by_role("button", name="Enregistrer l'emplacement").click()
    expect(page.locator("#live-region")).to_contain_text("Emplacement")
    expect(lat).not_to_have_attribute("aria-invalid", "true")
    expect(lat).to_have_accessible_description("")
    assert errors == []


def test_browser_terrain_hand_back_on_a_phone_names_what_is_missing(new_context, live, make_agent, vigie):
    operator = make_agent("operator")
    field = make_agent("field_agent", "voirie-nord")
    report = submit(live)
    r = httpx.post(
        f"{live.url}/api/v1/reports/{report['id']}/assign",
        json={"user_id": field.id},
        headers=bearer(vigie, operator),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, field.email, PASSWORD)
    page.wait_for_url("**/terrain")
    page.goto(f"/terrain/signalements/{report['id']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_text("Impossible à traiter").click()
    send = page.get_by_role("button", name="Rendre aux opérateurs")

    # No reason chosen: the reasons are marked and described, the first one focused.
    send.click()
    reasons = page.locator('input[name="reason"]')
    expect(reasons.first).to_be_focused()
    expect(reasons.first).to_have_attribute("aria-invalid", "true")
    expect(reasons.first).to_have_accessible_description("Indiquez un motif.")
    check_a11y(page, "hand back form with its error, on a phone")

    # "Other" without a note: now the note is the field in error, the reasons are not.
    page.locator("#reason-other").check()
    send.click()
    note = page.locator("#handback-note")
    expect(note).to_be_focused()
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_accessible_description("Expliquez pourquoi dans la note.")
    expect(reasons.first).not_to_have_attribute("aria-invalid", "true")

    note.fill("Le trou est sur un parking privé.")
    with page.expect_navigation():
        send.click()
    page.wait_for_url("**/terrain")
    expect(page.locator("#terrain-flash")).to_contain_text(report["reference"])
    assert errors == []
