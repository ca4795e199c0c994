"""The staff's upload of a file in a browser: upload, preview, publish; errors linked to their
field; axe-core clean at each step."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login, screenshot
from tests.conftest import PASSWORD
from tests.opendata.helpers import CARPARKS, approve, committee

VELODI = CARPARKS / "caracteristiques_stations_velodi.geojson"


def test_browser_opendata_files_upload_preview_and_publish(vigie, make_agent, new_context, tmp_path):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    bad = tmp_path / "stations.csv"
    bad.write_bytes(b"numero,places\n1,12\n2,douze\n")
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, publisher.email, PASSWORD)

    page.goto("/donnees/gestion/fichiers")
    expect(page.get_by_role("heading", name="Fichiers déposés (CSV, GeoJSON)", level=1)).to_be_visible()
    check_a11y(page, "on the uploaded files' page")

    # A new dataset from the Vélodi stations (GeoJSON): preview, kinds, map, metadata.
    page.get_by_label("Fichier (CSV ou GeoJSON)").set_input_files(str(VELODI))
    page.get_by_role("button", name="Lire le fichier").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    expect(page.locator("#preview-summary")).to_contain_text("lignes lues (GEOJSON")
    expect(page.get_by_label("Nature de la colonne latitude")).to_have_value("latitude")
    expect(page.locator("#preview-rows tbody tr").first).to_be_visible()
    expect(page.locator("#preview-map canvas").first).to_be_attached()  # Leaflet drew the points
    check_a11y(page, "on the preview")
    screenshot(page, "opendata-files-preview")
    page.get_by_label("Identifiant", exact=True).fill("stations-velodi")
    page.get_by_label("Titre (français)").fill("Stations Vélodi")
    page.get_by_label("Description (français)").fill("Les stations de vélos en libre-service.")
    page.get_by_label("Éditeur").fill("Dijon Métropole")
    page.get_by_label("Point de contact").fill("opendata@metropole-dijon.fr")
    page.get_by_label("Transports").check()
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_role("status").filter(has_text="proposé au comité")).to_be_visible()
    approve(vigie, members, "stations-velodi")

    # A bad file for it: the error names the line and is tied to the file field.
    page.goto("/donnees/gestion/fichiers")
    page.get_by_label("Pour", exact=True).select_option("stations-velodi")
    page.get_by_label("Fichier (CSV ou GeoJSON)").set_input_files(str(bad))
    page.get_by_role("button", name="Lire le fichier").click()
    alert = page.locator("#upload-error")
    expect(alert).to_contain_text("Ligne 1 : le fichier n'a pas la ou les colonnes")
    expect(page.get_by_label("Fichier (CSV ou GeoJSON)")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "with an upload error")

    # Its new file makes a release, through the charter.
    page.get_by_label("Fichier (CSV ou GeoJSON)").set_input_files(str(VELODI))
    page.get_by_role("button", name="Lire le fichier").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    page.get_by_role("button", name="Publier").click()
    expect(
        page.get_by_role("status").filter(has_text="La version 1 de « stations-velodi » est publiée")
    ).to_be_visible()
    page.goto("/donnees/stations-velodi")
    expect(page.get_by_role("heading", name="Stations Vélodi", level=1)).to_be_visible()
    assert errors == []


def test_browser_opendata_files_error_in_the_page_language(make_agent, new_context, tmp_path):
    """An upload refused is said in the page's language (the API's code and message)."""
    publisher = make_agent("supervisor")
    twice = tmp_path / "doublon.csv"
    twice.write_bytes(b"places,places\n1,2\n")
    ctx, _ = new_context()
    page = ctx.new_page()
    login(page, publisher.email, PASSWORD)
    for path, label, read, said in (
        (
            "/donnees/gestion/fichiers",
            "Fichier (CSV ou GeoJSON)",
            "Lire le fichier",
            "Ligne 1 : la colonne « places » figure deux fois dans l'en-tête.",
        ),
        (
            "/donnees/gestion/fichiers?lang=en",
            "File (CSV or GeoJSON)",
            "Read the file",
            "Line 1: column “places” appears twice in the header.",
        ),
    ):
        page.goto(path)
        page.get_by_label(label).set_input_files(str(twice))
        page.get_by_role("button", name=read).click()
        expect(page.locator("#upload-error")).to_contain_text(said)
