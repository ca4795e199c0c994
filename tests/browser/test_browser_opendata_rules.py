"""The publication rules editor and the releases page in a browser: a file is uploaded, its
rules edited (an error goes to the error summary, linked to its field), the dataset proposed
with them; once approved, a release is built from the releases page's button. axe-core clean."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.conftest import PASSWORD
from tests.opendata.helpers import approve, committee
from vigie.opendata.review import proposals


def test_browser_opendata_rules_edit_propose_then_build_a_release(vigie, make_agent, new_context, tmp_path):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    csv = tmp_path / "comptages.csv"
    lines = ["date;parking;courriel;places"]
    lines += [f"2026-03-0{1 + i % 3}T1{i % 10}:15:00;P{i % 2};agent{i}@example.org;{i}" for i in range(40)]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ctx, _ = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, publisher.email, PASSWORD)

    page.goto("/donnees/gestion/fichiers")
    page.get_by_label("Fichier (CSV ou GeoJSON)").set_input_files(str(csv))
    page.get_by_role("button", name="Lire le fichier").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    # The e-mail column shows no value and is proposed for leaving out; times go to the hour.
    rules = page.locator("#rules-columns")
    expect(rules.get_by_role("row", name="courriel")).to_contain_text("masquées")
    expect(rules).not_to_contain_text("agent1@example.org")
    expect(page.get_by_label("Retirer la colonne courriel")).to_be_checked()
    expect(page.get_by_label("Retirer la colonne parking")).not_to_be_checked()
    expect(page.get_by_label("Précision des dates de la colonne date")).to_have_value("hour")
    expect(page.get_by_label("Précision des dates de la colonne parking")).to_be_disabled()
    check_a11y(page, "on the rules editor")

    page.get_by_label("Identifiant", exact=True).fill("comptages")
    page.get_by_label("Titre (français)").fill("Comptages des parkings")
    page.get_by_label("Description (français)").fill("Places libres par parking.")
    page.get_by_label("Éditeur").fill("Dijon Métropole")
    page.get_by_label("Point de contact").fill("opendata@metropole-dijon.fr")
    page.get_by_label("Précision des dates de la colonne date").select_option("day")
    page.get_by_label("La colonne parking est un quasi-identifiant").check()
    page.get_by_label("k (k-anonymat)").fill("3")
    page.get_by_role("button", name="Publier").click()

    summary = page.locator("#publish-error")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("k-anonymat : k doit être un nombre entier d'au moins 5.")
    expect(page.get_by_label("k (k-anonymat)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("k (k-anonymat)")).to_have_attribute(
        "aria-describedby", "rule-k-hint publish-error"
    )
    check_a11y(page, "with a rules error")
    summary.get_by_role("link", name="Aller au champ").click()
    expect(page.get_by_label("k (k-anonymat)")).to_be_focused()
    page.get_by_label("k (k-anonymat)").fill("5")
    page.get_by_label("Pour le comité : pourquoi la publication est sûre").fill("Agrégé par parking.")
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_role("status").filter(has_text="proposé au comité")).to_be_visible()

    (proposal,) = proposals(vigie, "comptages")
    assert proposal.rules["drop"] == ["courriel"] and proposal.rules["time"] == {"date": "day"}
    assert proposal.rules["quasi_identifiers"] == ["parking"] and proposal.rules["k"] == 5
    approve(vigie, members, "comptages")

    page.goto("/donnees/gestion/publications")
    expect(page.get_by_role("heading", name="Versions des données ouvertes", level=1)).to_be_visible()
    entry = page.locator("#ds-comptages")
    expect(entry).to_contain_text("aucune version")
    check_a11y(page, "on the releases page")
    with page.expect_navigation():
        entry.get_by_role(
            "button", name="Construire maintenant une version de « Comptages des parkings »"
        ).click()
    expect(page.get_by_role("status")).to_have_text("Une nouvelle version de « comptages » est publiée.")
    expect(page.locator("#ds-comptages")).to_contain_text("version 1 publiée (40 lignes)")
    page.locator("#ds-comptages summary").click()
    expect(page.locator("#ds-comptages table")).to_contain_text("à la demande")
    check_a11y(page, "after a release was built")

    # Its rules changed later: a new proposal; a refusal comes back with the summary focused.
    page.get_by_role("link", name="Changer les règles de « Comptages des parkings »").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Règles de publication de « Comptages des parkings »"
    )
    expect(page.get_by_label("k (k-anonymat)")).to_have_value("5")
    page.get_by_label("Précision des dates de la colonne date").select_option("week")
    page.get_by_label("k (k-anonymat)").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Proposer ces règles au comité").click()
    expect(page.locator("#rules-error")).to_be_focused()
    expect(page.get_by_label("k (k-anonymat)")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "with a refused change of rules")
    page.get_by_label("k (k-anonymat)").fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name="Proposer ces règles au comité").click()
    expect(page.get_by_role("status")).to_have_text(
        "De nouvelles règles de « comptages » sont proposées au comité d'éthique."
    )
    changed = next(p for p in proposals(vigie, "comptages") if p.status == "open")
    assert changed.kind == "rules" and changed.rules["time"] == {"date": "week"}
    assert errors == []
