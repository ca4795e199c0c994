"""The open data portal in a browser: search, facets, KPI charts, maps and charts, API keys, axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import check_a11y, login, screenshot
from tests.conftest import PASSWORD
from tests.opendata.helpers import CARPARKS, METADATA, approve, carpark_dataset, committee, create
from tests.reports.helpers import submit_report
from vigie.notifications.storage import OutboxRow
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.review import do_vote, proposals

STATIONS = [
    {"name": "numero_station", "type": "int", "kind": "id", "fr": "Numéro", "en": "Number"},
    {"name": "adresse_station", "type": "string", "kind": "category", "fr": "Adresse", "en": "Address"},
    {"name": "nb_emplacement_total", "type": "int", "kind": "measure", "fr": "Emplacements", "en": "Docks"},
    {"name": "lat", "type": "float", "kind": "latitude", "fr": "Latitude", "en": "Latitude"},
    {"name": "long", "type": "float", "kind": "longitude", "fr": "Longitude", "en": "Longitude"},
]


def _publish(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=300)
    do_release(vigie, publisher, "parkings")
    meta = {
        **METADATA,
        "title_fr": "Stations Vélodi",
        "title_en": "Vélodi stations",
        "themes": ["TRAN"],
        "keywords": ["vélo"],
        "licence": "odbl-1.0",
    }
    create(vigie, publisher, "velodi", metadata=meta, columns=STATIONS)
    do_upload(
        vigie,
        publisher,
        "velodi",
        (CARPARKS / "caracteristiques_stations_velodi.geojson").read_bytes(),
        "geojson",
    )
    approve(vigie, members, "velodi")
    do_release(vigie, publisher, "velodi")
    for _ in range(6):
        submit_report(vigie)
    kpi_meta = {**METADATA, "title_fr": "Indicateurs", "themes": ["GOVE"], "keywords": ["indicateurs"]}
    create(vigie, publisher, "indicateurs", source="kpis", metadata=kpi_meta, rules={"min_count": 5})
    approve(vigie, members, "indicateurs")
    assert do_release(vigie, publisher, "indicateurs").status == "published"
    return publisher, members


def test_browser_opendata_portal_and_dataset_pages(vigie, make_agent, new_context):
    _publish(vigie, make_agent)
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto("/donnees")
    expect(page.get_by_role("heading", name="Données ouvertes", level=1)).to_be_visible()
    expect(page.locator(".dataset-card")).to_have_count(3)
    expect(page.locator("#kpi-per-month canvas").first).to_be_attached()  # uPlot drew the KPI chart
    check_a11y(page, "on the portal")
    screenshot(page, "opendata-portal")
    # The KPI charts of one commune (the reports' communes, by name).
    choice = page.locator("#kpi-commune option").nth(1)
    name = choice.inner_text()
    page.get_by_label("Commune").select_option(choice.get_attribute("value"))
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("status")).to_have_text(f"Indicateurs de {name}.")
    expect(page.locator("#kpi-per-month canvas").first).to_be_attached()
    check_a11y(page, "on the portal's KPI charts of one commune")
    assert page.goto("/donnees?commune=00000").status == 422
    page.goto("/donnees")

    page.get_by_label("Rechercher un jeu de données").fill("vélodi")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".dataset-card")).to_have_count(1)
    page.goto("/donnees")
    page.locator(".facets").get_by_role("link", name="Open Database License (ODbL) 1.0").click()
    expect(page.locator(".dataset-card")).to_have_count(1)
    page.locator(".dataset-card a").click()

    expect(page.get_by_role("heading", name="Stations Vélodi", level=1)).to_be_visible()
    expect(page.locator("#dataset-map canvas").first).to_be_attached()  # Leaflet drew the points
    # Over the city's communes, as every map without a basemap (it had a blank background).
    expect(page.locator("#dataset-map .leaflet-vigie-zones-pane canvas").first).to_be_attached()
    expect(page.locator("table.preview tbody tr")).to_have_count(20)
    expect(page.locator("#dataset-chart canvas").first).to_be_attached()
    check_a11y(page, "on a geographic dataset's page")
    screenshot(page, "opendata-dataset")

    page.goto("/donnees/parkings?lang=en")
    expect(page.get_by_role("heading", name="Release history")).to_be_visible()
    expect(page.locator("#dataset-chart canvas").first).to_be_attached()  # occupancy over time
    check_a11y(page, "on a time series' page, in English")

    page.goto("/donnees/comite")
    expect(page.locator(".proposal")).to_have_count(3)
    check_a11y(page, "on the committee's record")
    assert errors == []


def test_browser_opendata_committee_member_votes_and_records_the_decision(vigie, make_agent, new_context):
    publisher, members = _publish(vigie, make_agent)
    create(vigie, publisher, "brouillon", metadata={**METADATA, "title_fr": "Jeu proposé"}, columns=STATIONS)
    [proposal] = [p for p in proposals(vigie) if p.status == "open"]
    do_vote(vigie, members[1], proposal.id, "approve")
    ctx, _ = new_context()
    page = ctx.new_page()
    login(page, members[0].email, PASSWORD)

    page.goto("/donnees/comite")
    review = page.get_by_role("region", name=f"Examen de la proposition {proposal.id}")
    review.get_by_label("Votre commentaire").fill("Colonnes vérifiées, rien de personnel.")
    # Each form posts, then reloads the page with the public record: the next form is used on
    # the loaded page (its script attached), never on the old one or one still loading.
    with page.expect_navigation():
        review.get_by_role("button", name="Commenter").click()
    expect(page.get_by_text("Colonnes vérifiées, rien de personnel.")).to_be_visible()
    check_a11y(page, "on the committee's page, for a member")
    review = page.get_by_role("region", name=f"Examen de la proposition {proposal.id}")
    review.get_by_label("Pour").check()
    with page.expect_navigation():
        review.get_by_role("button", name="Voter").click()
    card = page.locator("article.proposal", has=page.locator(f"#proposal-{proposal.id}"))
    expect(card.get_by_text("Votes : 2 pour, 0 contre, 0 abstention")).to_be_visible()
    review = page.get_by_role("region", name=f"Examen de la proposition {proposal.id}")
    review.get_by_label("Motifs de la décision").fill("Équipements publics, pas de donnée personnelle.")
    with page.expect_navigation():
        review.get_by_role("button", name="Consigner la décision").click()
    expect(page.get_by_text("Équipements publics, pas de donnée personnelle.")).to_be_visible()
    assert [p.status for p in proposals(vigie, "brouillon")] == ["approved"]


def test_browser_opendata_ogc_api_pages(vigie, make_agent, new_context):
    """OGC API – Features as HTML: from the landing page to one feature, in French and English."""
    _publish(vigie, make_agent)
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto("/api/ogc?f=html")
    expect(page.get_by_role("heading", level=1)).to_contain_text("OGC API – Features")
    check_a11y(page, "on the OGC API landing page")
    page.get_by_role("link", name="Collections").first.click()
    expect(page.locator("article.card")).to_have_count(1)  # velodi: the only dataset with a position
    check_a11y(page, "on the OGC API collections")
    page.get_by_role("link", name="Stations Vélodi", exact=True).click()
    expect(page.get_by_role("heading", name="Stations Vélodi", level=1)).to_be_visible()
    check_a11y(page, "on an OGC API collection")
    page.get_by_role("link", name="Voir les objets").click()
    expect(page.locator("table.preview tbody tr")).to_have_count(10)
    expect(page.locator("#dataset-map canvas").first).to_be_attached()  # Leaflet drew the page's points
    check_a11y(page, "on an OGC API items page")
    screenshot(page, "opendata-ogc-items")
    next_link = page.get_by_role("link", name="Page suivante")
    next_link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Page précédente")).to_be_visible()
    page.locator("table.preview tbody th a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("objet 11")
    check_a11y(page, "on an OGC API feature")

    page.goto("/api/ogc/api?f=html&lang=en")
    expect(page.get_by_role("heading", name="API definition (OpenAPI 3.0)")).to_be_visible()
    check_a11y(page, "on the OGC API definition, in English")
    page.goto("/api/ogc/collections/velodi/items?f=html&limit=0")
    expect(page.get_by_role("alert")).to_contain_text("limit must be between 1 and 10000")
    check_a11y(page, "on an OGC API error page")
    assert errors == []


def test_browser_opendata_reuser_asks_for_a_key_and_staff_revoke_it(vigie, make_agent, new_context):
    """A reuser asks for a key, confirms it from the e-mail's link and sees it once; a supervisor
    revokes it from the staff page. Every page axe-clean."""
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/donnees/cles")
    expect(page.get_by_role("heading", name="Clés d'API pour les réutilisateurs", level=1)).to_be_visible()
    check_a11y(page, "on the API keys page")
    page.get_by_label("Adresse électronique").fill("dev@startup.example")
    page.get_by_label("Votre projet, en quelques mots").fill("Carte des parkings")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    with vigie.db.session() as s:
        body = s.scalars(select(OutboxRow.body_text).where(OutboxRow.kind == "key")).one()
    link = re.search(r"https?://[^/\s]+(/donnees/cles/confirmer/\S+)", body).group(1)
    page.goto(link)
    check_a11y(page, "on the key's confirmation page")
    page.get_by_role("button", name="Créer ma clé").click()
    key = page.get_by_label("Clé", exact=True).input_value()
    assert key.startswith("vk_")
    check_a11y(page, "on the page showing the key")

    staff = make_agent("supervisor")
    page2 = new_context()[0].new_page()
    login(page2, staff.email, PASSWORD)
    page2.goto("/donnees/cles/gestion")
    expect(page2.get_by_role("cell", name="dev@startup.example")).to_be_visible()
    check_a11y(page2, "on the staff's API keys page")
    with page2.expect_navigation():  # revoked, the page reloads
        page2.get_by_role("button", name=f"Révoquer {key[:10]}…").click()
    expect(page2.get_by_role("cell", name="révoquée")).to_be_visible()
    assert errors == []


def test_browser_opendata_admin_revokes_an_open311_key(vigie, make_agent, new_context):
    """An administrator revokes an Open311 client's key from the staff's keys page (axe-clean)."""
    from vigie.accounts.actions import do_create_api_key

    key = do_create_api_key(vigie.db, "fixmystreet")
    page = new_context()[0].new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, make_agent("admin").email, PASSWORD)
    page.goto("/donnees/cles/gestion")
    expect(page.get_by_role("heading", name="Clés d'API des clients Open311")).to_be_visible()
    expect(page.get_by_role("cell", name="fixmystreet")).to_be_visible()
    check_a11y(page, "on the staff's API keys page with the Open311 keys")
    with page.expect_navigation():  # revoked, the page reloads
        page.get_by_role("button", name=f"Révoquer {key[:8]}…").click()
    expect(page.get_by_role("cell", name="révoquée")).to_be_visible()
    assert errors == []
