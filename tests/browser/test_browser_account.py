"""The optional resident account in a browser: a report kept on one device, signing in by the
e-mail link (from the keyboard), the report on another device, a waste reminder and a favourite
address, the data page, deletion; axe-clean in French and English."""

# ruff: noqa: F811 - the fixtures imported from tests.addresses.conftest are parameters here

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.addresses.conftest import commerces, dijon_gazetteer  # noqa: F401 (fixtures)
from tests.browser.conftest import check_a11y, screenshot
from vigie.notifications.storage import OutboxRow
from vigie.reports.intake import Submission, check_submission, do_submit_report
from vigie.reports.storage import ReportRow
from vigie.residents.storage import ReminderRow
from vigie.runtime import Vigie
from vigie.web.i18n import translate

ROUNDS = Path(__file__).parents[2] / "src" / "vigie" / "city" / "profiles" / "dijon" / "waste.yaml"
EMAIL = "claire@example.org"


def _link(v: Vigie) -> str:
    with v.db.session() as s:
        body = s.scalars(
            select(OutboxRow.body_text).where(OutboxRow.kind == "signin").order_by(OutboxRow.id.desc())
        ).first()
    found = re.search(r"(/compte/lien/[A-Za-z0-9_-]+)", body or "")
    assert found, body
    return found.group(1)


def _sign_in(page: Page, v: Vigie, lang: str) -> None:
    """From the keyboard: the address, Enter; the link from the e-mail, its button."""
    page.goto(f"/compte?lang={lang}")
    page.get_by_label(translate(lang, "account.sign_in.email")).focus()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=translate(lang, "account.sent.title"))).to_be_visible()
    page.goto(_link(v))
    check_a11y(page, f"the sign-in link's page ({lang})")
    page.get_by_role("button", name=translate(lang, "account.link.button")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(translate(lang, "account.welcome"))).to_be_visible()
    expect(page.locator("html[data-account-synced]")).to_have_count(1)


@contextmanager
def _told_the_account(page: Page, path: str) -> Iterator[None]:
    """Around a click that tells the account (a fetch in the background, the page going on at
    once): returns once the account has it, for another device or page to read it there."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(path)) as told:
        yield
    assert told.value.ok, told.value.status


def _report(v: Vigie) -> ReportRow:
    sub = Submission(
        service_code="nid-de-poule",
        channel="web",
        description="Trou rue de la Liberté",
        lat=47.3220,
        long=5.0415,
        attributes={"danger_immediat": "non"},
    )
    return do_submit_report(v, check_submission(v, sub))[0]


def _one_place(v: Vigie, tmp_path: Path) -> None:
    """The places page answers only in a city with places (web.deps.data_published)."""
    from vigie.places.importer import do_import_places

    places = tmp_path / "lieux.csv"
    places.write_text("id,nom,lat,lon\n1,Hôtel de ville,47.3216,5.0415\n", encoding="utf-8")
    mapping = tmp_path / "lieux.yaml"
    mapping.write_text(
        "format: csv\nlocation: {lat: lat, long: lon}\n"
        "fields:\n  name: {column: nom}\n  theme: {value: facilities}\n",
        encoding="utf-8",
    )
    do_import_places(v, places, str(mapping))


def test_resident_signs_in_and_finds_their_report_on_another_device(
    new_context, live, dijon_gazetteer, tmp_path: Path
):
    v = dijon_gazetteer
    v.settings.waste_rounds = str(ROUNDS)
    _one_place(v, tmp_path)
    report, later = _report(v), _report(v)
    computer, _ = new_context(locale="fr-FR")
    page: Page = computer.new_page()
    # Before any account: the report is kept on this device ("my reports").
    page.goto(f"/suivi/{report.token}")
    page.get_by_role("button", name=translate("fr", "citizen.track.save")).click()
    expect(page.locator("#save-report")).to_be_hidden()
    page.goto("/compte")
    check_a11y(page, "the sign-in form")
    _sign_in(page, v, "fr")
    page.reload()
    expect(page.locator("#account-reports")).to_contain_text(report.reference or "")
    check_a11y(page, "the account (fr)")
    screenshot(page, "resident-account-fr")

    phone, _ = new_context(phone=True, locale="en-GB")
    other: Page = phone.new_page()
    _sign_in(other, v, "en")
    other.goto("/mes-signalements?lang=en")
    expect(other.locator("#my-list")).to_contain_text(report.reference or "")
    # Kept on a signed-in device: the report joins the account at once, and the other device.
    other.goto(f"/suivi/{later.token}?lang=en")
    with _told_the_account(other, "/api/v1/resident/reports"):
        other.get_by_role("button", name=translate("en", "citizen.track.save")).click()
    expect(other.locator("#save-report")).to_be_hidden()
    page.goto("/mes-signalements")
    expect(page.locator("#my-list")).to_contain_text(later.reference or "")
    # A reminder and a favourite address from the collection days of an address.
    other.goto("/dechets?lang=en")
    other.get_by_label(translate("en", "waste.address")).fill("12 rue de la Liberté Dijon")
    other.get_by_role("button", name=translate("en", "waste.show")).click()
    favourite = other.get_by_role("button", name=translate("en", "account.favourite.add"))
    with _told_the_account(other, "/api/v1/resident/favourites"):
        favourite.click()
    expect(other.get_by_role("button", name=translate("en", "account.favourite.added"))).to_have_attribute(
        "aria-pressed", "true"
    )
    check_a11y(other, "waste days with the reminder form (en)")
    other.get_by_label("Garden waste").uncheck()
    other.get_by_label("Recycling (yellow bin)").uncheck()
    other.get_by_label("Household waste (grey bin)").uncheck()
    other.get_by_role("button", name=translate("en", "account.waste.save")).click()
    expect(other.get_by_role("alert")).to_have_text(translate("en", "account.refused.streams"))
    check_a11y(other, "a reminder refused (en)")
    other.go_back()
    other.get_by_label("Household waste (grey bin)").check()
    other.get_by_label(translate("en", "account.waste.at")).fill("20:30")
    other.get_by_role("button", name=translate("en", "account.waste.save")).click()
    expect(other.locator("#rappels")).to_contain_text("20:30")
    with v.db.session() as s:
        assert s.scalar(select(ReminderRow.at)) == "20:30"
    other.reload()
    expect(other.locator("#h-account-favourites + ul")).to_contain_text("Liberté")
    check_a11y(other, "the account (en)")
    other.get_by_role("link", name=translate("en", "account.data.read")).click()
    expect(other.get_by_role("cell", name=report.reference or "")).to_be_visible()
    check_a11y(other, "my data (en)")

    # Listed with the places, on each device (the computer has them from the account).
    page.goto("/lieux")
    expect(page.locator("#my-favourites")).to_contain_text("12 Rue de la Liberté")
    check_a11y(page, "places with my favourites")

    # Deleted from the computer, from the keyboard: both devices are signed out.
    page.goto("/compte")
    page.get_by_label(translate("fr", "account.delete.confirm")).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name=translate("fr", "account.delete.button")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=translate("fr", "account.deleted.title"))).to_be_visible()
    check_a11y(page, "the account deleted")
    other.goto("/compte?lang=en")
    expect(other.get_by_role("heading", name=translate("en", "account.sign_in.title"))).to_be_visible()
    # Everything still works without an account: the report and the favourite stay on this device.
    other.goto("/mes-signalements?lang=en")
    expect(other.locator("#my-list")).to_contain_text(report.reference or "")
    other.goto("/lieux?lang=en")
    expect(other.locator("#my-favourites")).to_contain_text("12 Rue de la Liberté")
