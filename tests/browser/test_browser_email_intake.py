"""An e-mail to the city in the control room: the operator confirms the suggested service
with one key (or picks the second), and the report is acknowledged."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.browser.test_browser_pilotage import DESKTOP, live, script_errors  # noqa: F401 (fixture)
from tests.conftest import PASSWORD
from vigie.inbound.actions import do_receive
from vigie.reports.actions import get_report

MAIL = (
    b"From: Alice Martin <alice@habitant.example>\r\n"
    b"To: allo@dijon.example\r\n"
    b"Subject: Lampadaire\r\n"
    b"Message-ID: <browser-1@habitant.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Le lampadaire de ma rue ne s'allume plus le soir.\r\n"
)


def test_browser_email_report_confirmed_with_one_key(new_context, live, make_agent, vigie):  # noqa: F811
    done = do_receive(vigie, MAIL)
    assert done.outcome == "report" and len(done.suggestions) >= 2
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.goto(f"{live.url}/pilotage/signalements/{done.report_id}")
    section = page.locator("#email-intake")
    expect(section).to_contain_text("alice@habitant.example")
    expect(section.locator("[data-confirm-service]")).to_have_count(min(3, len(done.suggestions)))
    check_a11y(page, "e-mail intake")

    # The operator corrects to the second suggestion: one key.
    page.keyboard.press("2")
    expect(page.locator("#report-panel")).to_contain_text("Pris en compte")
    row = get_report(vigie, done.report_id)
    assert row.service_code == done.suggestions[1] and row.status == "acknowledged"
    assert errors == []


def test_browser_phone_intake_suggests_services_from_the_description(new_context, live, make_agent):  # noqa: F811
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.goto(f"{live.url}/pilotage/appel")
    page.locator("#intake-description").fill("Le lampadaire devant chez moi ne s'allume plus")
    offered = page.locator("#description-suggestions button")
    expect(offered.first).to_be_visible()
    first = offered.first.inner_text()
    offered.first.click()
    expect(page.locator("#service-chosen")).to_contain_text(first)
    assert errors == []
