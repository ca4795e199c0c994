"""An agent closes another of their sessions and changes their password in a browser; the page
is axe-core clean."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.conftest import PASSWORD
from vigie.accounts.actions import agent_for_token, do_create_login


def test_browser_sessions_close_another_and_change_the_password(vigie, make_agent, new_context):
    agent = make_agent("field_agent")
    token, _ = do_create_login(vigie.db, agent, "bearer", 1)
    ctx, _ = new_context()
    page = ctx.new_page()
    login(page, agent.email, PASSWORD)
    page.wait_for_url("**/terrain")  # signed in: a field agent's home

    page.goto("/pilotage/sessions")
    expect(page.get_by_role("heading", name="Mes sessions et mon mot de passe", level=1)).to_be_visible()
    check_a11y(page, "on the sessions page")
    with page.expect_navigation():
        page.get_by_role("button", name="Fermer toutes les autres").click()
    expect(page.get_by_role("status")).to_have_text("Toutes vos autres sessions et jetons ont été fermés.")
    assert agent_for_token(vigie.db, token, "bearer") is None
    expect(page.locator("tbody tr")).to_have_count(1)

    page.get_by_label("Mot de passe actuel").fill("not-the-password")
    page.get_by_label("Nouveau mot de passe", exact=True).fill("a-new-long-password")
    page.get_by_label("Nouveau mot de passe, à nouveau").fill("a-new-long-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_role("alert")).to_have_text("Le mot de passe actuel est incorrect.")
    check_a11y(page, "with the error")
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe", exact=True).fill("a-new-long-password")
    page.get_by_label("Nouveau mot de passe, à nouveau").fill("a-new-long-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Changer le mot de passe").click()
    assert "/connexion" in page.url
    login(page, agent.email, "a-new-long-password")
    page.wait_for_url("**/terrain")
    page.goto("/pilotage/sessions")
    expect(page.locator("tbody tr")).to_have_count(1)
