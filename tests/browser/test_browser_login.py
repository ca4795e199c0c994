from tests.browser.conftest import check_a11y, login
from tests.conftest import PASSWORD


def test_browser_login_page_is_accessible_and_refuses_bad_password(new_context, make_agent):
    agent = make_agent("operator")
    ctx, _ = new_context()
    page = ctx.new_page()
    page.goto("/connexion")
    check_a11y(page, "login")
    login(page, agent.email, "wrong password")
    assert page.get_by_role("alert").inner_text() == "Adresse e-mail ou mot de passe incorrect."
    check_a11y(page, "login error")
    login(page, agent.email, PASSWORD)
    assert "/pilotage" in page.url


def test_browser_sign_out_button_signs_out(new_context, make_agent):
    agent = make_agent("operator")
    ctx, _ = new_context()
    page = ctx.new_page()
    login(page, agent.email, PASSWORD)
    assert "/pilotage" in page.url
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/")
    page.goto("/pilotage")
    assert "/connexion" in page.url
