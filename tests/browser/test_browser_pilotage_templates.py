"""The operator picks among the procedure's templates (per team, per status), prefilled by
the report's current team, not by the first procedure (issue 14 §5)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.browser.test_browser_pilotage import DESKTOP, bearer, pilotage_server, script_errors, submit
from tests.conftest import PASSWORD
from tests.web.live import LiveServer
from vigie.catalogue.domain import Text

SUD_ASSIGNED = "Le centre d'exploitation sud a pris votre signalement en charge."
SUD_WORKING = "L'équipe du dépôt sud est sur place."
NORD_ASSIGNED = (
    "Votre signalement a été confié à une équipe voirie, "
    "qui va évaluer les travaux nécessaires et les programmer."
)
NORD_WORKING = "Une équipe voirie intervient sur place. Merci de respecter le balisage du chantier."


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    # The south depot speaks in its own words (Dijon's procedures share theirs).
    own = {"assigned": Text({"fr": SUD_ASSIGNED}), "in_progress": Text({"fr": SUD_WORKING})}
    procedures = tuple(
        dataclasses.replace(p, messages={**p.messages, **own}) if p.team == "voirie-sud" else p
        for p in vigie.catalogue.procedures
    )
    vigie.catalogue = dataclasses.replace(vigie.catalogue, procedures=procedures)
    with pilotage_server(vigie) as server:
        yield server


def test_browser_templates_prefilled_by_the_current_team(new_context, live, make_agent, vigie):
    operator = make_agent("operator")
    report = submit(live)  # in Dijon: the north depot's procedure
    r = httpx.post(
        f"{live.url}/api/v1/reports/{report['id']}/assign",
        json={"team": "voirie-sud"},
        headers=bearer(vigie, operator),
        timeout=10,
    )
    assert r.status_code == 200, r.text

    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.goto(f"/pilotage/signalements/{report['id']}")

    # Status: the current (south) team's template prefills the note; the north one can be picked.
    page.locator('[data-action="status"]').first.click()
    page.select_option("#status-select", "in_progress")
    picker = page.locator("#status-template")
    expect(picker).to_be_visible()
    expect(picker.locator("option:checked")).to_contain_text("sud")
    expect(picker.locator("option:checked")).to_contain_text("équipe actuelle")
    expect(page.locator("#status-public")).to_have_value(SUD_WORKING)
    check_a11y(page, "status dialog with templates")
    picker.select_option(label=picker.locator("option", has_text="nord").inner_text())
    expect(page.locator("#status-public")).to_have_value(NORD_WORKING)
    # A note the operator wrote is not replaced by picking another template.
    page.fill("#status-public", "Passage prévu jeudi.")
    picker.select_option(index=0)
    expect(page.locator("#status-public")).to_have_value("Passage prévu jeudi.")
    page.keyboard.press("Escape")

    # Assignment: prefilled by the current team; choosing another team offers its words.
    page.locator('[data-action="assign"]').first.click()
    expect(page.locator("#assign-public")).to_have_value(SUD_ASSIGNED)
    page.select_option("#assign-team", "voirie-nord")
    expect(page.locator("#assign-public")).to_have_value(NORD_ASSIGNED)
    expect(page.locator("#assign-template option:checked")).to_contain_text("nord")
    assert errors == []
