"""Control room and field agents' view in a real browser (Debian's Chromium).

1. A report submitted through the API appears live in the queue; an operator
   acknowledges and assigns it; the field agent resolves it with a photo.
2. Phone intake in few interactions; access rules (403, redirects).
3. The supervisor dashboard draws charts from real data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login, screenshot
from tests.conftest import PASSWORD
from tests.reports.helpers import report_body
from tests.web.live import LiveServer
from vigie.accounts.actions import do_create_login
from vigie.db import utcnow
from vigie.reports import actions, intake

DESKTOP = {"width": 1440, "height": 900}


@contextmanager
def pilotage_server(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The live server, with the control room."""
    server = LiveServer(vigie)
    with server:
        yield server


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with pilotage_server(vigie) as server:
        yield server


def bearer(vigie, agent) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token, _ = do_create_login(vigie.db, agent, "bearer", 1)
    return {"Authorization": f"Bearer {token}"}


def script_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Uncaught script errors and CSP refusals seen by the page (must stay empty)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "/connexion" not in page.url else None,
    )
    return errors


def fix_photo() -> bytes:
    img = Image.new("RGB", (640, 480), (90, 90, 90))
    for x in range(200, 440):
        for y in range(180, 300):
            img.putpixel((x, y), (30, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def submit(live: LiveServer, **over: Any) -> dict[str, Any]:
    r = httpx.post(live.url + "/api/v1/reports", json=report_body(**over), timeout=10)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def open_live_queue(new_context, agent):  # type: ignore[no-untyped-def]
    """(page, script errors): ``agent`` logged in on the queue, its live stream connected."""
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, agent.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page, errors


def test_browser_report_goes_live_from_queue_to_field_resolution(new_context, live, make_agent, vigie):
    operator = make_agent("operator")
    field = make_agent("field_agent", "voirie-nord")
    page, errors = open_live_queue(new_context, operator)
    check_a11y(page, "queue")

    # A resident reports through the API: the queue shows it without reloading.
    report = submit(
        live,
        description="Trou profond devant la boulangerie, rue de la Liberté",
        reporter_name="Camille Résidente",
        reporter_email="camille@example.org",
    )
    rid, ref = report["id"], report["reference"]
    row = page.locator(f'#queue-body tr[data-id="{rid}"]')
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile("is-new"))
    expect(row.locator(".new-flag")).to_have_text("Non vu")
    expect(page.locator("#live-region")).to_contain_text(ref)
    assert page.evaluate("window.Pilotage.beepCount") == 1
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    page.wait_for_timeout(300)
    screenshot(page, "pilotage-queue")
    check_a11y(page, "queue with a live report")

    # Keyboard: j selects the first row, o opens it.
    page.locator("#page-title").focus()
    page.keyboard.press("j")
    expect(row).to_have_class(re.compile("is-current"))
    page.keyboard.press("o")
    page.wait_for_url(f"**/pilotage/signalements/{rid}")
    expect(page.locator("#report-title")).to_contain_text(ref)
    expect(page.get_by_text("Camille Résidente")).to_be_visible()
    check_a11y(page, "detail")

    # ? opens the shortcuts help; Escape closes it and gives the focus back.
    page.locator("#report-title").focus()
    page.keyboard.press("?")
    help_dialog = page.locator("#help-dialog")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_role("button", name="Fermer")).to_be_focused()
    check_a11y(page, "help dialog")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(page.locator("#report-title")).to_be_focused()
    # Shortcuts are ignored while typing in a field.
    page.locator("#move-address").focus()
    page.keyboard.press("s")
    expect(page.locator("#assign-dialog")).to_be_hidden()

    page.get_by_role("button", name=re.compile("^Prendre en compte")).click()
    expect(page.locator("#status-badge")).to_have_text("Pris en compte")
    expect(page.locator('[data-action="acknowledge"]')).to_be_hidden()

    # s opens the assignment dialog, focus inside it; Escape-free submit.
    page.keyboard.press("s")
    dialog = page.locator("#assign-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#assign-user")).to_be_focused()
    expect(page.locator("#assign-public")).not_to_have_value("")  # procedure template
    page.select_option("#assign-user", str(field.id))
    check_a11y(page, "assign dialog")
    dialog.get_by_role("button", name="Assigner").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#status-badge")).to_have_text("Assigné")
    expect(page.locator("#assigned-name")).to_have_text(field.name)
    expect(page.locator('[data-action="assign"]')).to_be_focused()
    screenshot(page, "pilotage-detail")

    # The field agent (a phone) sees the job and resolves it with a photo.
    fctx, _ = new_context(phone=True)
    fpage = fctx.new_page()
    login(fpage, field.email, PASSWORD)
    fpage.wait_for_url("**/terrain")
    card = fpage.locator("#work-list > li", has_text=ref)
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name=re.compile("OpenStreetMap"))).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/directions\?to=")
    )
    expect(card.get_by_role("link", name=re.compile("GPS"))).to_have_attribute(
        "href", re.compile(r"^geo:47\.32")
    )
    check_a11y(fpage, "terrain list")
    screenshot(fpage, "terrain-list")
    card.get_by_role("link", name=re.compile("^" + ref)).click()
    fpage.wait_for_url(f"**/terrain/signalements/{rid}")
    check_a11y(fpage, "terrain detail")
    # Started, the page reloads with the resolution form: the photo goes to the loaded page, whose
    # script shows its preview (the new badge shows as soon as the page is parsed, maybe before).
    with fpage.expect_navigation():
        fpage.get_by_role("button", name="Démarrer l'intervention").click()
    expect(fpage.locator("#status-badge")).to_have_text("En cours")
    fpage.set_input_files(
        "#resolve-photo", files=[{"name": "fix.jpg", "mimeType": "image/jpeg", "buffer": fix_photo()}]
    )
    expect(fpage.locator("#resolve-preview")).to_be_visible()
    fpage.fill("#resolve-note", "Le trou a été rebouché ce matin.")
    fpage.locator("#resolve-heading").scroll_into_view_if_needed()
    screenshot(fpage, "terrain-resolve")
    check_a11y(fpage, "terrain resolve form")
    fpage.get_by_role("button", name="Marquer comme résolu").click()
    fpage.wait_for_url("**/terrain")
    expect(fpage.locator("#terrain-flash")).to_contain_text(ref)
    expect(fpage.locator("#terrain-empty")).to_be_visible()

    # The operator's open detail page follows live, resolution photo included.
    expect(page.locator("#status-badge")).to_have_text("Résolu")
    expect(page.locator(".photo--resolution img")).to_be_visible()

    body = httpx.get(f"{live.url}/api/v1/reports/{rid}", headers=bearer(vigie, operator), timeout=10).json()
    assert body["status"] == "resolved"
    assert [p["kind"] for p in body["photos"]] == ["resolution"]
    assert body["status_notes"] == "Le trou a été rebouché ce matin."
    kinds = [(h["kind"], h["status"]) for h in body["history"]]
    assert ("assign", "assigned") in kinds and kinds[-1] == ("status", "resolved")
    photo = httpx.get(live.url + urlsplit(body["photos"][0]["url"]).path, timeout=10)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert errors == []


def test_browser_queue_gets_the_whole_report_when_its_event_was_too_large(
    new_context, live, make_agent, vigie
):
    """On PostgreSQL an event over NOTIFY's limit comes without its long texts: the queue reads them back."""
    page, errors = open_live_queue(new_context, make_agent("operator"))
    # The search looks in the description: only the whole report matches it.
    page.locator("#f-q").fill("lampadaire-introuvable")
    long_text = "lampadaire-introuvable " + "\U0001f573" * 3900  # over 15,000 bytes
    report = submit(live, description=long_text)
    row = page.locator(f'#queue-body tr[data-id="{report["id"]}"]')
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile("is-new"))
    assert errors == []


def test_browser_phone_intake_and_access_rules(new_context, live, make_agent, vigie):
    operator = make_agent("operator")
    field = make_agent("field_agent")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    # Muted, a new report still appears but makes no sound; the choice is remembered.
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    mute = page.locator("#mute-toggle")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    quiet = submit(live)
    expect(page.locator(f'#queue-body tr[data-id="{quiet["id"]}"]')).to_be_visible()
    assert page.evaluate("window.Pilotage.beepCount") == 0
    page.reload()
    expect(page.locator("#mute-toggle")).to_have_attribute("aria-pressed", "true")
    page.goto("/pilotage/appel")
    expect(page.locator("#caller-name")).to_be_focused()
    check_a11y(page, "phone intake")

    # Every interaction the operator needs, counted (the time it takes is not a test's business:
    # keystrokes are what the operator spends; a loaded machine would fail a timed assertion).
    interactions = [
        lambda: page.keyboard.type("Jeanne Martin"),
        lambda: page.fill("#caller-phone", "03 80 12 34 56"),
        lambda: page.fill("#caller-email", "jeanne.martin@example.org"),
        lambda: page.fill("#service-search", "nid de poule"),
        lambda: page.press("#service-search", "Enter"),
        lambda: page.locator("#attributes").get_by_label("Non").check(),
        lambda: page.fill("#intake-address", "12 rue de la Liberté"),
        lambda: page.select_option("#intake-zone", "Dijon"),
    ]
    for act in interactions:
        act()
    expect(page.locator("#service-chosen")).to_have_text("Catégorie choisie : Nid-de-poule")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "pilotage-phone-intake")
    page.press("#intake-address", "Control+Enter")
    done = page.locator("#intake-done")
    expect(done).to_be_visible()
    expect(done).to_be_focused()
    assert len(interactions) + 1 <= 10, len(interactions)
    ref = re.search(r"DIJ-\d{4}-\d{6}", page.locator("#intake-done-title").inner_text())
    assert ref
    check_a11y(page, "phone intake done")
    assert errors == []

    found = httpx.get(
        f"{live.url}/api/v1/reports",
        params={"q": ref.group(0)},
        headers=bearer(vigie, operator),
        timeout=10,
    ).json()["items"]
    assert len(found) == 1
    report = found[0]
    assert report["channel"] == "phone"
    assert report["reporter"]["name"] == "Jeanne Martin"
    assert report["reporter"]["phone"] == "03 80 12 34 56"
    assert report["reporter"]["email"] == "jeanne.martin@example.org"
    assert report["address"] == "12 rue de la Liberté, Dijon" and report["zone"] == "21231"
    assert report["attributes"] == {"danger_immediat": "non"}

    # "New call" resets the form for the next caller.
    page.get_by_role("button", name="Nouvel appel").click()
    expect(page.locator("#caller-name")).to_be_focused()
    expect(page.locator("#caller-name")).to_have_value("")

    # An operator cannot open the supervisor dashboard.
    response = page.goto("/pilotage/tableau-de-bord")
    assert response is not None and response.status == 403

    # A field agent cannot reach supervisor or operator pages.
    fctx, _ = new_context(phone=True)
    fpage = fctx.new_page()
    login(fpage, field.email, PASSWORD)
    for path in ("/pilotage/tableau-de-bord", "/pilotage/appel"):
        response = fpage.goto(path)
        assert response is not None and response.status == 403, path
        expect(fpage.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    check_a11y(fpage, "403 page")
    fpage.goto("/pilotage")
    assert fpage.url.endswith("/terrain")

    # A logged-out visitor is sent to the sign-in page.
    actx, _ = new_context()
    apage = actx.new_page()
    apage.goto("/pilotage")
    assert "/connexion?next=/pilotage" in apage.url.replace("%2F", "/")
    check_a11y(apage, "sign-in redirect")


def seed_history(vigie, operator) -> tuple[int, set[str]]:  # type: ignore[no-untyped-def]
    """Reports over the last weeks in several communes and groups; returns (open, zones)."""
    now = utcnow()
    zones = vigie.city.zones.zones[:5]
    services = [("nid-de-poule", {"danger_immediat": "non"})]
    by_group = {
        s.group: s.code
        for s in vigie.catalogue.services.values()
        if s.public and not any(a.required for a in s.attributes) and s.group != "voirie"
    }
    services += [(code, {}) for code in list(by_group.values())[:3]]
    open_count, open_zones = 0, set()
    for i in range(24):
        zone = zones[i % len(zones)]
        point = zone.geometry.representative_point()
        code, attrs = services[i % len(services)]
        sub = intake.Submission(
            service_code=code,
            channel="web",
            lat=point.y,
            long=point.x,
            attributes=attrs,
            requested_at=now - timedelta(days=(i * 5) % 70, hours=i % 7),
        )
        row, _ = intake.do_submit_report(vigie, intake.check_submission(vigie, sub))
        if i % 3 != 2:
            actions.do_acknowledge(vigie, row.id, operator)
        if i % 2 == 0:
            actions.do_change_status(vigie, row.id, operator, "resolved", "Réparé")
        else:
            open_count += 1
            open_zones.add(zone.code)
    return open_count, open_zones


def test_browser_supervisor_dashboard_draws_charts_from_real_data(new_context, live, make_agent, vigie):
    operator = make_agent("operator")
    seeded_open, open_zones = seed_history(vigie, operator)
    first = submit(live)["id"]
    submit(
        live,
        service_code="tag-domaine-public",
        attributes={"injurieux": "non"},
        lat=None,
        long=None,
        address="12 rue de la Gare, Chenôve",
    )
    actions.do_acknowledge(vigie, first, operator)
    actions.do_change_status(vigie, first, operator, "resolved", "Réparé")
    supervisor = make_agent("supervisor")
    ctx, _ = new_context(viewport={"width": 1440, "height": 1200})
    page = ctx.new_page()
    login(page, supervisor.email, PASSWORD)
    page.goto("/pilotage/tableau-de-bord")
    for chart in ("per-day", "by-group", "by-zone"):
        expect(page.locator(f"#chart-{chart} canvas")).to_be_visible()
    expect(page.locator("#kpi-open")).to_have_text(str(seeded_open + 1))
    expect(page.locator("#kpi-overdue")).not_to_have_text("")
    expect(page.locator("#kpi-ack")).not_to_have_text("—")
    expect(page.locator("#kpi-resolve")).not_to_have_text("—")
    table = page.locator("#by-zone-heading ~ details")
    table.locator("summary").click()
    expect(table.locator("tbody tr")).to_have_count(len(open_zones | {"21166"}))
    today = page.locator("#per-day-heading ~ details tbody tr").first
    expect(today.locator("td").nth(1)).not_to_have_text("0")  # resolved today
    check_a11y(page, "dashboard")
    table.locator("summary").click()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "pilotage-dashboard")


def test_browser_queue_says_a_report_has_no_address(new_context, live, make_agent):
    # The commune alone, where a resident's report had no address, read as an address it was not.
    page, errors = open_live_queue(new_context, make_agent("operator"))
    report = submit(live, address="", description="Lampadaire éteint")
    cell = page.locator(f'#queue-body tr[data-id="{report["id"]}"] .queue-table__address')
    expect(cell).to_have_text(re.compile(r"^Adresse inconnue — \S.* \(47\.\d{5}, 5\.\d{5}\)$"))
    assert errors == []
