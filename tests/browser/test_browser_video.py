"""The operations log and video-protection pages in a browser: written from the keyboard,
axe-core clean in French and English."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.conftest import PASSWORD
from tests.telemetry.helpers import add_asset
from tests.videoprotection.helpers import video_site
from vigie.events.changes import Logged
from vigie.oplog.actions import do_write
from vigie.videoprotection import actions

DESKTOP = {"width": 1440, "height": 900}


def test_browser_video_oplog_written_and_corrected_from_the_keyboard(new_context, live, make_agent, vigie):
    op = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, op.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    page.goto("/pilotage/main-courante")
    check_a11y(page, "operations log")
    page.get_by_label("Texte de l'entrée").focus()
    page.keyboard.type("Ronde de nuit faite, rien à signaler")
    page.keyboard.press("Tab")
    # The page reloads after the write; the live stream may show the row on the old page
    # first, so wait for the reload itself before opening that row's form.
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the submit button
    row = page.locator("#oplog-table tbody tr").first
    expect(row).to_contain_text("Ronde de nuit faite")
    row.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the correction form
    row.get_by_label("Texte de la rectification").fill("Ronde faite à 2 h, pas à 1 h")
    with page.expect_navigation():
        row.get_by_role("button", name="Enregistrer la rectification").press("Enter")
    expect(page.locator("#oplog-table tbody tr").first).to_contain_text("rectifie n°")
    page.get_by_label("Rechercher").fill("ronde")
    page.get_by_label("Rechercher").press("Enter")
    page.wait_for_url("**q=ronde**")
    expect(page.locator("#oplog-table tbody tr")).to_have_count(2)
    check_a11y(page, "operations log with entries and a correction")
    page.goto("/pilotage/main-courante?lang=en")
    expect(page.get_by_role("heading", name="Operations log", exact=True)).to_be_visible()
    check_a11y(page, "operations log in English")


def test_browser_video_pages_for_the_video_roles(new_context, live, make_agent, vigie):
    vo, reg = make_agent("video_operator"), make_agent("video_registrar")
    add_asset(vigie, "CAM-0001", "camera")
    site = video_site(vigie, vo)
    actions.do_set_camera(
        vigie, vo, "CAM-0001", site["id"], overlooks_private=True, privacy_masks=False, signage=True
    )
    actions.do_check_compliance(vigie)
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    login(page, vo.email, PASSWORD)
    page.wait_for_url("**/pilotage/videoprotection")  # the video roles' home
    expect(page.locator("#vp-map path.leaflet-interactive[stroke='#1d4ed8']")).to_have_count(1)  # the camera
    assert errors == []
    check_a11y(page, "video protection")
    page.goto("/pilotage/videoprotection?lang=en")
    check_a11y(page, "video protection in English")

    ctx2, _ = new_context(viewport=DESKTOP)
    page = ctx2.new_page()
    login(page, reg.email, PASSWORD)
    page.goto("/pilotage/videoprotection/registre")
    page.get_by_label("Référence de la réquisition").fill("PV 2026/4242")
    page.get_by_label("Autorité requérante").fill("Commissariat de Dijon")
    page.get_by_label("Caméras").fill("CAM-0001")
    page.get_by_label("Images du").fill("2026-12-06T10:00")
    page.get_by_label("au", exact=True).fill("2026-12-06T10:30")
    with page.expect_navigation():  # saved, the register reloads
        page.get_by_role("button", name="Enregistrer", exact=True).press("Enter")
    expect(page.locator("#vr-table")).to_contain_text("PV 2026/4242")
    check_a11y(page, "extraction register")
    page.locator("#page-title").focus()
    page.keyboard.press("/")
    expect(page.locator("#vr-search")).to_be_focused()
    page.locator("#page-title").focus()
    page.keyboard.press("n")
    expect(page.locator("#vr-kind")).to_be_focused()


def test_browser_video_site_recorded_changed_and_camera_set(new_context, live, make_agent, vigie):
    vo = make_agent("video_operator")
    add_asset(vigie, "CAM-0001", "camera")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, vo.email, PASSWORD)
    page.wait_for_url("**/pilotage/videoprotection")
    page.get_by_role("link", name="Nouveau système").click()
    page.wait_for_url("**/systemes/nouveau")
    check_a11y(page, "new video-protection system")
    page.get_by_label("Code du système").fill("DIJ-VP-042")
    page.get_by_label("Nom", exact=True).fill("Gare Dijon-Ville")
    page.get_by_label("Numéro de l'arrêté").fill("2025-VP-042")
    page.get_by_label("Date de l'arrêté").fill("2025-03-01")
    page.get_by_label("Conservation des images (jours)").fill("15")
    page.get_by_label("Avis de la commission départementale").select_option("favourable")
    page.get_by_role("button", name="Enregistrer le système").press("Enter")
    # No purpose: the API's 422 names the field, the page says it and moves the focus there.
    expect(page.locator("#vs-error")).to_contain_text("L251-2")
    expect(page.locator("#vs-purposes")).to_be_focused()
    page.get_by_label("Prévention d'actes de terrorisme").check()
    page.get_by_role("button", name="Enregistrer le système").press("Enter")
    page.wait_for_url("**/pilotage/videoprotection/systemes/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("DIJ-VP-042")
    expect(page.locator("#vs-status")).to_contain_text("DIJ-VP-042 enregistré")
    expect(page.locator(".facts")).to_contain_text(["2030-03-01"])  # five years by default
    check_a11y(page, "video-protection system")
    page.get_by_label("Conservation des images (jours)").fill("20")
    with page.expect_navigation():  # saved, the system's page is opened again
        page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.locator(".facts").first).to_contain_text("20 jours")

    page.goto("/pilotage/videoprotection/cameras/CAM-0001")
    check_a11y(page, "camera")
    page.get_by_label("Système", exact=True).select_option(label="DIJ-VP-042 — Gare Dijon-Ville")
    page.get_by_label("Panneau d'information du public").check()
    with page.expect_navigation():  # saved, the camera's page reloads
        page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.locator("#vc-status")).to_contain_text("CAM-0001 enregistrée")
    expect(page.locator("#site-link")).to_have_text("DIJ-VP-042")
    page.goto("/pilotage/videoprotection/cameras/CAM-0001?lang=en")
    check_a11y(page, "camera in English")
    assert errors == []


def test_browser_video_keyboard_shortcuts(new_context, live, make_agent, vigie):
    vo = make_agent("video_operator")
    video_site(vigie, vo)
    gare = video_site(vigie, vo, "DIJ-VP-002", name="Gare Dijon-Ville", address="Rue du Dr Remy")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, vo.email, PASSWORD)
    page.wait_for_url("**/pilotage/videoprotection")
    page.locator("#page-title").focus()
    page.keyboard.press("?")
    help_dialog = page.locator("#help-dialog")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Filtrer les systèmes")
    check_a11y(page, "video shortcuts help")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    # "/" goes to the filter; what is typed there is text, not shortcuts.
    page.keyboard.press("/")
    expect(page.locator("#vp-filter")).to_be_focused()
    page.keyboard.type("gare j")
    expect(page.locator("#vp-filter")).to_have_value("gare j")
    page.locator("#vp-filter").fill("gare")
    expect(page.locator("#vp-sites tbody tr:visible")).to_have_count(1)
    expect(page.locator("#vp-filter-count")).to_have_text("1 système sur 2")
    page.locator("#page-title").focus()
    page.keyboard.press("j")
    expect(page.get_by_role("link", name="DIJ-VP-002 — Gare Dijon-Ville")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/systemes/{gare['id']}")
    page.keyboard.press("c")
    expect(page.locator("#cameras-heading")).to_be_focused()
    page.keyboard.press("e")
    expect(page.locator("#form-heading")).to_be_focused()
    page.keyboard.press("u")
    page.wait_for_url("**/pilotage/videoprotection")
    # Single-key shortcuts can be turned off (WCAG 2.1.4), from the help dialog.
    page.get_by_role("button", name="Raccourcis (?)").click()
    page.get_by_label("Raccourcis à une touche activés").uncheck()
    page.keyboard.press("Escape")
    page.locator("#page-title").focus()
    page.keyboard.press("/")
    expect(page.locator("#vp-filter")).not_to_be_focused()
    page.keyboard.press("?")
    expect(help_dialog).to_be_hidden()


def test_browser_video_oplog_entries_arrive_live_and_are_announced(new_context, live, make_agent, vigie):
    op, other = make_agent("operator"), make_agent("operator")
    do_write(vigie, other, "lighting", "Prise de poste")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, op.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    page.goto("/pilotage/main-courante?service=winter")
    expect(page.locator("#oplog-empty")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    do_write(vigie, other, "lighting", "Armoire A12 ouverte")  # another service: not in this filter
    with vigie.db.session(write=True) as s:  # a camera's entry: not for this operator
        vigie.messages.stage(
            s,
            Logged(
                service="winter",
                kind="note",
                text_fr="Caméra CAM-0001 hors ligne",
                visible_to="video.cameras",
            ),
        )
        s.commit()
    do_write(vigie, other, "winter", "Verglas signalé avenue du Drapeau", "urgent")
    rows = page.locator("#oplog-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Verglas signalé avenue du Drapeau")
    expect(rows.first).to_contain_text("Urgent")
    expect(page.locator("#live-region")).to_have_text(
        "Nouvelle entrée de la main courante, Viabilité hivernale (PC neige), Urgent : "
        "Verglas signalé avenue du Drapeau"
    )
    expect(page.locator("#timeline-heading")).to_have_text("Chronologie (1 entrées)")
    check_a11y(page, "operations log with a live entry")
    # The new row can be corrected like the others.
    rows.first.locator("summary").click()
    rows.first.get_by_label("Texte de la rectification").fill("Avenue du Drapeau, côté nord")
    with page.expect_navigation():
        rows.first.get_by_role("button", name="Enregistrer la rectification").click()
    expect(page.locator("#oplog-table tbody tr").first).to_contain_text("rectifie n°")
