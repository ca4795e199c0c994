"""Residents' app in a browser: report, follow live, duplicates, offline, public map."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.addresses.conftest import commerces, dijon_gazetteer  # noqa: F401 (fixtures)
from tests.browser.conftest import address_suggestions, check_a11y, screenshot
from tests.citizen.helpers import pothole
from tests.web.live import LiveServer
from vigie.reports.storage import FollowerRow, ReportRow

DIJON = {"latitude": 47.3220, "longitude": 5.0415}


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The live server with the residents' app."""
    server = LiveServer(vigie)
    with server:
        yield server


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "nid-de-poule.jpg"
    img = Image.new("RGB", (800, 600), (90, 90, 90))
    img.paste((40, 40, 40), (250, 200, 550, 400))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    path.write_bytes(out.getvalue())
    return path


def report_count(vigie) -> int:  # type: ignore[no-untyped-def]
    with vigie.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(ReportRow)) or 0)


def add_resolution_photo(vigie, report_id: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    from vigie.db import utcnow
    from vigie.photos.processing import process_photo
    from vigie.reports.storage import PhotoRow

    p = process_photo(path.read_bytes(), max_bytes=10**7, max_pixels=10**8, filename=path.name)
    key = "c" * 32
    vigie.photos.put(key, p.data, p.content_type)
    vigie.photos.put(key + "_t", p.thumbnail, "image/jpeg")
    with vigie.db.session(write=True) as s:
        s.add(
            PhotoRow(
                report_id=report_id,
                key=key,
                kind="resolution",
                content_type=p.content_type,
                width=p.width,
                height=p.height,
                size=len(p.data),
                created_at=utcnow(),
            )
        )
        s.commit()


def choose_pothole(page: Page) -> None:
    page.get_by_label("Rechercher une catégorie").fill("nid de poule")
    expect(page.locator("#category-count")).to_have_text("1 catégorie trouvée")
    page.get_by_role("button", name="Nid-de-poule", exact=True).click()
    expect(page.get_by_role("heading", name="Où se trouve le problème ?")).to_be_focused()


def use_my_location(page: Page) -> None:
    page.get_by_role("button", name="Utiliser ma position").click()
    expect(page.locator("#location-status")).to_contain_text("47.32200, 5.04150")


def test_resident_reports_a_pothole_with_a_photo_and_follows_it_live(new_context, live, vigie, auth, photo):
    ctx, _ = new_context(phone=True, geolocation=DIJON, permissions=["geolocation"])
    page = ctx.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Signaler un problème", level=1)).to_be_visible()
    check_a11y(page, "home")
    screenshot(page, "citizen-home")

    choose_pothole(page)
    use_my_location(page)
    expect(page.locator("#location-map .leaflet-marker-icon")).to_be_visible()
    check_a11y(page, "location step")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Quelques détails")).to_be_focused()

    # The required question is left unanswered: the error is linked to it and focused.
    page.get_by_role("button", name="Envoyer le signalement").click()
    first = page.get_by_role("radio", name="Oui")
    expect(first).to_be_focused()
    expect(first).to_have_attribute("aria-invalid", "true")
    error_id = first.get_attribute("aria-describedby")
    assert error_id
    expect(page.locator(f"#{error_id}")).to_have_text("Cette réponse est obligatoire.")
    check_a11y(page, "form with an error")
    assert report_count(vigie) == 0

    page.get_by_role("radio", name="Oui").check()
    expect(page.locator(f"#{error_id}")).to_have_count(0)  # answered: the message goes
    expect(first).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Photos (facultatif, 5 au maximum)").set_input_files(photo)
    expect(page.get_by_role("img", name="Photo 1")).to_be_visible()
    page.get_by_label("Description (facultatif)").fill("Trou profond au milieu de la chaussée")
    page.get_by_label("Adresse e-mail").fill("resident.prive@example.org")
    page.get_by_role("radio", name="Sur la chaussée").check()
    check_a11y(page, "details step")
    page.get_by_role("heading", name="Quelques détails").scroll_into_view_if_needed()
    screenshot(page, "citizen-report-form")

    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", name="Merci, votre signalement est envoyé")).to_be_focused()
    reference = page.locator("#done-reference").inner_text()
    assert re.fullmatch(r"DIJ-\d{4}-\d{6}", reference)
    # An address was given: its receipt asks it to confirm (issue 14 §5).
    expect(page.locator("#done-email")).to_be_visible()
    check_a11y(page, "confirmation")
    screenshot(page, "citizen-confirmation")
    with vigie.db.session() as s:
        row = s.scalar(select(ReportRow).where(ReportRow.reference == reference))
        assert row is not None and len(row.photos) == 1
        assert row.attributes == {"danger_immediat": "oui", "emplacement": "chaussee"}
        assert row.reporter_email == "resident.prive@example.org" and row.channel == "app"
        report_id, token = row.id, row.token

    page.get_by_role("link", name="Suivre mon signalement").click()
    page.wait_for_url(f"**/suivi/{token}")
    expect(page.locator("#live-state")).to_have_text("Mises à jour en direct")
    expect(page.get_by_role("img", name="Photo du signalement 1")).to_be_visible()
    check_a11y(page, "tracking page")
    assert "resident.prive@example.org" not in page.content()

    # The control room acts; the page follows without being reloaded.
    page.evaluate("window.notReloaded = true")
    headers = auth("operator")
    with httpx.Client(base_url=live.url, headers=headers, timeout=10) as api:
        r = api.post(
            f"/api/v1/reports/{report_id}/acknowledge", json={"public_note": "Merci, nous arrivons."}
        )
        assert r.status_code == 200, r.text
        expect(page.locator("#timeline")).to_contain_text("Pris en compte")
        expect(page.locator("#timeline")).to_contain_text("Merci, nous arrivons.")
        expect(page.locator("#track-status")).to_have_text("Pris en compte")
        r = api.post(f"/api/v1/reports/{report_id}/assign", json={"team": r.json()["team"]})
        assert r.status_code == 200, r.text
        expect(page.locator("#timeline")).to_contain_text("Confié à une équipe")
        add_resolution_photo(vigie, report_id, photo)  # as the field agent's app would
        r = api.post(
            f"/api/v1/reports/{report_id}/status",
            json={"status": "resolved", "public_note": "Trou rebouché ce matin."},
        )
        assert r.status_code == 200, r.text
    expect(page.locator("#timeline")).to_contain_text("Trou rebouché ce matin.")
    expect(page.locator("#track-status")).to_have_text("Résolu")
    expect(page.locator("#live-region")).to_contain_text("Nouvelle étape : Résolu.")
    expect(page.locator("#timeline > li")).to_have_count(4)
    expect(page.get_by_role("img", name="Photo de l'intervention 1")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    check_a11y(page, "tracking page after updates")
    screenshot(page, "citizen-tracking")

    page.goto("/mes-signalements")
    item = page.locator("#my-list > li").first
    expect(item).to_contain_text(reference)
    expect(item.locator(".badge")).to_have_text("Résolu")
    check_a11y(page, "my reports")


def test_duplicate_suggestion_leads_to_following_the_existing_report(
    new_context,
    live,
    vigie,
    dijon_gazetteer,  # noqa: F811
):
    # Reported before at 12 rue de la Liberté (the gazetteer's point of that address).
    spot = {"lat": 47.3227288, "long": 5.0358009, "address": "12 Rue de la Liberté 21000 Dijon"}
    existing = httpx.post(f"{live.url}/api/v1/reports", json=pothole(**spot), timeout=10).json()
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    page.goto("/")
    # Keyboard only: search, Enter picks the single match; a suggested address places the pin.
    page.get_by_label("Rechercher une catégorie").fill("nid de poule")
    expect(page.locator("#category-count")).to_have_text("1 catégorie trouvée")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Où se trouve le problème ?")).to_be_focused()
    address = page.get_by_label("Adresse ou lieu")
    with address_suggestions(page, "12 liber"):
        address.press_sequentially("12 liber")
    expect(page.get_by_role("option", name="12 Rue de la Liberté 21000 Dijon")).to_be_visible()
    address.press("ArrowDown")
    address.press("Enter")
    expect(page.locator("#location-status")).to_have_text(
        "Emplacement choisi : 12 Rue de la Liberté 21000 Dijon."
    )
    page.get_by_role("button", name="Continuer").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Ce problème a peut-être déjà été signalé")).to_be_focused()
    suggestion = page.locator("#dup-list > li")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("Nid-de-poule")
    expect(suggestion).to_contain_text("à 0 m")
    check_a11y(page, "duplicate suggestion")
    page.get_by_role("button", name="Suivre ce signalement").click()

    page.wait_for_url("**/suivi/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text(existing["reference"])
    token = page.url.rsplit("/", 1)[1]
    assert token != existing["token"]
    with vigie.db.session() as s:
        follower = s.scalar(select(FollowerRow).where(FollowerRow.token == token))
        assert follower is not None and str(follower.report_id) == existing["id"]
    assert report_count(vigie) == 1
    check_a11y(page, "tracking page of the followed report")
    page.goto("/mes-signalements")
    expect(page.locator("#my-list")).to_contain_text(existing["reference"])


def test_offline_report_is_kept_and_sent_once_when_the_network_returns(new_context, live, vigie):
    ctx, _ = new_context(phone=True, geolocation=DIJON, permissions=["geolocation"])
    page = ctx.new_page()
    page.goto("/")
    # The service worker has installed the app shell and controls the page.
    page.evaluate(
        """async () => {
            await navigator.serviceWorker.ready;
            const sw = navigator.serviceWorker;
            if (!sw.controller) await new Promise((ok) => sw.addEventListener("controllerchange", ok));
        }"""
    )
    choose_pothole(page)
    use_my_location(page)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("radio", name="Non").check()
    page.get_by_label("Description (facultatif)").fill("Signalé sans réseau")

    ctx.set_offline(True)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", name="Signalement enregistré sur votre appareil")).to_be_focused()
    expect(page.locator("#outbox-text")).to_have_text("1 signalement en attente d'envoi")
    check_a11y(page, "report kept offline")
    assert report_count(vigie) == 0
    # Still waiting after a reload without network (the page comes from the service worker).
    page.reload()
    expect(page.locator("#outbox-text")).to_have_text("1 signalement en attente d'envoi")
    kept = page.evaluate("Citizen.outbox.all().then(l => l.map(r => ({key: r.key, fields: r.fields})))")
    assert len(kept) == 1 and kept[0]["fields"]["description"] == "Signalé sans réseau"
    assert report_count(vigie) == 0

    ctx.set_offline(False)
    expect(page.locator("#outbox-banner")).to_be_hidden()
    assert report_count(vigie) == 1
    expect(page.locator("#live-region")).to_contain_text("a été envoyé")

    # Retries of the same report (a reload, a forced flush, the same request again) create nothing.
    page.reload()
    page.evaluate("Citizen.flush(true)")
    replay = page.evaluate(
        """async (rec) => {
            rec.photos = [];
            const r = await Citizen.send(rec);
            return r.state + ':' + r.report.reference;
        }""",
        kept[0],
    )
    assert replay.startswith("sent:DIJ-")
    assert report_count(vigie) == 1
    page.goto("/mes-signalements")
    expect(page.locator("#my-list > li")).to_have_count(1)
    expect(page.locator("#my-list")).to_contain_text(replay.split(":", 1)[1])
    check_a11y(page, "my reports after the offline report was sent")


def test_public_map_lists_public_reports_with_filters_and_no_personal_data(new_context, live, vigie):
    from tests.reports.helpers import sensitive_service, valid_attributes

    private = {
        "reporter_name": "Dominique Privé",
        "reporter_email": "dominique.prive@example.org",
        "reporter_phone": "0699887766",
    }
    with httpx.Client(base_url=live.url, timeout=10) as api:
        potholes = [api.post("/api/v1/reports", json=pothole(**private)).json() for _ in range(3)]
        light = next(s for s in vigie.catalogue.services.values() if s.public and s.group == "eclairage")
        lamp = api.post(
            "/api/v1/reports",
            json=pothole(
                service_code=light.code,
                attributes=valid_attributes(light),
                lat=47.3165,
                long=5.0200,
                address="Rue Lampe, Dijon",
            ),
        ).json()
        code, attributes = sensitive_service(vigie)
        hidden = api.post(
            "/api/v1/reports",
            json=pothole(service_code=code, attributes=attributes, address="Rue Secrète, Dijon"),
        ).json()
    assert all("reference" in r for r in [*potholes, lamp, hidden])

    ctx, _ = new_context()
    page = ctx.new_page()
    bodies: list[str] = []
    page.on(
        "response",
        lambda r: bodies.append(r.text()) if "/api/v1/reports" in r.url or "/api/v1/map" in r.url else None,
    )
    page.goto("/carte")
    expect(page.locator("#map-state")).to_have_text("4 signalements dans la vue.")
    # The three potholes at one spot: one cluster counted by the server.
    expect(page.locator("#reports-map .server-cluster").filter(has_text="3")).to_have_count(1)
    listing = page.locator("#report-list")
    for r in [*potholes, lamp]:
        expect(listing).to_contain_text(r["reference"])
    expect(listing).not_to_contain_text(hidden["reference"])
    html = page.content()
    for value in [*private.values(), "Rue Secrète"]:
        assert value not in html
        assert all(value not in body for body in bodies)
    check_a11y(page, "public map")
    screenshot(page, "citizen-map")

    page.get_by_label("Catégorie").select_option(label=light.name.get("fr"))
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(f"**/carte?service={light.code}*")
    expect(page.locator("#map-state")).to_have_text("1 signalement dans la vue.")
    expect(page.locator("#report-list > li")).to_have_count(1)
    expect(listing).to_contain_text(lamp["reference"])
    check_a11y(page, "public map filtered")

    page.get_by_label("Catégorie").select_option("")
    page.get_by_label("État").select_option(label="Résolu")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("Aucun signalement ne correspond à ces critères.")).to_be_visible()
    expect(page.locator("#map-state")).to_have_text("0 signalement dans la vue.")

    page.get_by_label("État").select_option(label="Nouveau")
    page.get_by_label("Commune").select_option(label="Dijon")
    page.get_by_label("Signalés depuis le").fill("2000-01-01")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#report-list > li")).to_have_count(4)
    page.get_by_label("Signalés jusqu'au").fill("2000-12-31")
    # "No item" is also what a page still loading shows: the new page's own words are awaited.
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("Aucun signalement ne correspond à ces critères.")).to_be_visible()
    expect(page.locator("#report-list > li")).to_have_count(0)


def test_other_pages_and_english_are_accessible(new_context, live):
    ctx, _ = new_context(phone=True)
    page = ctx.new_page()
    page.goto("/suivi/inconnu")
    expect(page.get_by_role("heading", name="Signalement introuvable")).to_be_visible()
    check_a11y(page, "unknown tracking link")
    page.goto("/hors-ligne")
    check_a11y(page, "offline page")
    page.goto("/?lang=en")
    expect(page.get_by_role("heading", name="Report a problem", level=1)).to_be_visible()
    page.get_by_label("Search for a category").fill("pothole")
    expect(page.locator("#category-count")).to_have_text("1 category found")
    page.get_by_role("button", name="Pothole", exact=True).click()
    expect(page.get_by_role("heading", name="Where is the problem?")).to_be_focused()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Say where the problem is")).to_be_visible()
    expect(page.get_by_label("Address or place")).to_be_focused()
    check_a11y(page, "English form with an error")
    page.goto("/carte")  # the language choice is remembered
    expect(page.get_by_role("heading", name="Map of reports")).to_be_visible()
    expect(page.locator("#map-state")).to_have_text("0 reports in view.")
    check_a11y(page, "English map")
    page.goto("/mes-signalements")
    expect(page.get_by_text("No report made from this device.")).to_be_visible()
    check_a11y(page, "English, no report yet")


def test_resident_is_told_which_answers_stay_with_the_city(new_context, live):
    # Dijon keeps a registration plate for its agents (catalogue `public: false`): the form says
    # so under the question, tied to the field, before the resident types it.
    ctx, _ = new_context(geolocation=DIJON, permissions=["geolocation"])
    page = ctx.new_page()
    page.goto("/")
    page.get_by_label("Rechercher une catégorie").fill("ventouse")
    page.get_by_role("button", name="Véhicule ventouse", exact=True).click()
    use_my_location(page)
    page.get_by_role("button", name="Continuer").click()
    plate = page.get_by_label("Plaque d'immatriculation")
    expect(plate).to_be_visible()
    hint = page.locator("#" + str(plate.get_attribute("aria-describedby")))
    expect(hint).to_have_text("Vu des seuls agents de la ville, jamais publié.")
    when = page.get_by_label("Depuis quand", exact=False).first
    assert when.get_attribute("aria-describedby") is None  # a public answer: no such note
    check_a11y(page, "details step with a private question")
