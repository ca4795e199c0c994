"""The data lab in a browser: a query's table and chart (only of a sensible pair of columns, the
reader choosing them), saving it, its permalink, links naming their dataset, axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, screenshot
from tests.opendata.helpers import carpark_dataset, committee
from vigie.opendata.actions import do_release
from vigie.opendata.queries import published_dataset


def test_browser_lab_runs_saves_and_shares_a_query(vigie, make_agent, new_context):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=300)
    do_release(vigie, publisher, "parkings")
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto("/labo")
    expect(page.get_by_role("heading", name="Labo de données", level=1)).to_be_visible()
    expect(page.locator("#lab-table tbody tr")).to_have_count(20)  # the example query ran on load
    page.get_by_label("SQL").fill(
        "SELECT hour(datetime) AS heure, avg(pourcentage) AS moyenne "
        "FROM parkings GROUP BY heure ORDER BY heure"
    )
    page.get_by_role("button", name="Exécuter").click()
    expect(page.locator("#lab-table thead th")).to_have_text(["heure", "moyenne"])
    expect(page.locator("#lab-chart canvas").first).to_be_attached()  # uPlot drew the bars
    check_a11y(page, "on the data lab")
    screenshot(page, "opendata-lab")

    page.get_by_label("SQL").fill("COPY (SELECT 1) TO '/tmp/x.csv'")
    page.get_by_role("button", name="Exécuter").click()
    expect(page.locator("#lab-status")).to_contain_text("Erreur")

    # A limit is named in the page's language (the API's detail is in English).
    page.get_by_label("SQL").fill("SELECT repeat('x', 9000000) AS s")
    page.get_by_role("button", name="Exécuter").click()
    expect(page.locator("#lab-status")).to_contain_text("dépasse la taille maximale du labo (8 Mo)")

    page.get_by_label("SQL").fill("SELECT count(*) AS n FROM parkings")
    page.get_by_label("Titre pour enregistrer et partager").fill("Nombre de mesures")
    page.get_by_role("button", name="Enregistrer").click()
    link = page.locator("#lab-permalink a")
    expect(link).to_contain_text("/labo/")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nombre de mesures")
    expect(page.locator("#lab-table tbody tr")).to_have_count(1)
    expect(page.locator("#lab-table tbody td").first).to_have_text("300")
    assert errors == []


def test_browser_lab_save_asks_for_a_title_before_sending(new_context):
    """An empty title is refused by the form itself, in the browser's words, not after a round
    trip by the API's English message."""
    ctx, _ = new_context()
    page = ctx.new_page()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/lab/queries" in r.url else None)
    page.goto("/labo")
    expect(page.get_by_role("heading", name="Labo de données", level=1)).to_be_visible()
    page.get_by_role("button", name="Enregistrer").click()
    title = page.get_by_label("Titre pour enregistrer et partager")
    expect(title).to_be_focused()  # the browser points at the field it wants filled
    assert title.evaluate("el => el.validity.valueMissing") is True
    expect(page.locator("#lab-permalink")).to_be_empty()
    assert sent == []


def test_browser_lab_charts_only_a_sensible_pair_of_columns(vigie, make_agent, new_context):
    """SELECT * of the car parks (one timestamp for ten car parks) gets no chart and the reason;
    a GROUP BY gets its bars; the reader chooses another y column, or an x that cannot be
    charted and is told why."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=300)
    do_release(vigie, publisher, "parkings")
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/labo")
    expect(page.locator("#lab-table tbody tr")).to_have_count(20)  # SELECT * … LIMIT 20, on load
    note = page.locator("#lab-chart-note")
    expect(note).to_contain_text("une même valeur de « datetime » revient sur plusieurs lignes")
    expect(note).to_have_attribute("aria-live", "polite")  # why there is no chart is read out
    expect(page.locator("#lab-chart")).to_be_hidden()
    check_a11y(page, "on the data lab without a chart")

    page.get_by_label("SQL").fill(
        "SELECT parking, avg(pourcentage) AS moyenne, max(pourcentage) AS maxi "
        "FROM parkings GROUP BY parking ORDER BY parking"
    )
    page.get_by_role("button", name="Exécuter").click()
    expect(page.locator("#lab-table thead th")).to_have_text(["parking", "moyenne", "maxi"])
    chart = page.locator("#lab-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile("« moyenne » selon « parking »"))
    expect(note).to_be_hidden()
    page.get_by_label("Ordonnée (un nombre)").select_option(label="maxi")
    expect(chart).to_have_attribute("aria-label", re.compile("« maxi » selon « parking »"))
    page.get_by_label("Abscisse (une catégorie ou une date)").select_option(label="moyenne")
    expect(note).to_contain_text("« moyenne » est une mesure, pas une catégorie")
    expect(chart).to_be_hidden()
    check_a11y(page, "on the data lab with chosen columns")

    # Wider than a category and a number: no guess, the reader chooses.
    page.get_by_label("SQL").fill(
        "SELECT parking, min(pourcentage) AS mini, avg(pourcentage) AS moyenne, max(pourcentage) AS maxi "
        "FROM parkings GROUP BY parking"
    )
    page.get_by_role("button", name="Exécuter").click()
    expect(note).to_contain_text("Pas de graphique automatique pour un résultat de 4 colonnes")
    expect(chart).to_be_hidden()
    page.get_by_label("Abscisse (une catégorie ou une date)").select_option(label="parking")
    expect(note).to_contain_text("choisissez une abscisse et une ordonnée")
    page.get_by_label("Ordonnée (un nombre)").select_option(label="maxi")
    expect(chart).to_have_attribute("aria-label", re.compile("« maxi » selon « parking »"))
    page.get_by_label("SQL").fill(
        "SELECT datetime, avg(pourcentage) AS moyenne FROM parkings GROUP BY datetime ORDER BY datetime"
    )
    page.get_by_role("button", name="Exécuter").click()
    expect(chart).to_have_attribute("aria-label", re.compile("« moyenne » selon « datetime »"))  # a time line
    expect(chart.locator("canvas").first).to_be_attached()
    assert errors == []


def test_browser_lab_links_name_their_dataset(vigie, make_agent, new_context):
    """Each dataset's link says which (WCAG 2.4.4), not "le jeu de données" on every line."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=30)
    do_release(vigie, publisher, "parkings")
    ctx, _ = new_context()
    page = ctx.new_page()
    page.goto("/labo")
    title = published_dataset(vigie, "parkings").dataset.metadata
    link = page.get_by_role("link", name=f"fiche du jeu « {title.title('fr')} »")
    expect(link).to_have_attribute("href", "/donnees/parkings")
    page.goto("/labo?lang=en")
    expect(page.get_by_role("link", name=f"the “{title.title('en')}” dataset page")).to_be_visible()


def test_browser_lab_refusal_in_the_page_language(vigie, make_agent, new_context):
    """A refused query is said in the page's language, DuckDB's words quoted after it."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=30)
    do_release(vigie, publisher, "parkings")
    ctx, _ = new_context()
    page = ctx.new_page()
    for path, run, lead in (
        ("/labo", "Exécuter", "Erreur : Requête refusée : erreur de syntaxe SQL. Détail de DuckDB : « "),
        ("/labo?lang=en", "Run", "Error: Query refused: SQL syntax error. DuckDB's detail: “"),
    ):
        page.goto(path)
        expect(page.locator("#lab-table tbody tr")).to_have_count(20)  # the example ran on load
        page.get_by_label("SQL").fill("SELEC 1")
        page.get_by_role("button", name=run).click()
        expect(page.locator("#lab-status")).to_contain_text(lead)
        expect(page.locator("#lab-status")).not_to_contain_text("query refused")
    page.get_by_label("SQL").fill("SELECT 1 FROM nowhere")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#lab-status")).to_contain_text("a table or function it names does not exist")
