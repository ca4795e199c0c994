"""The control room's queue at 1440×900: what it shows, pages, bulk actions, CSV export, print."""

from __future__ import annotations

import csv
import io
import re

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import check_a11y, login
from tests.browser.test_browser_pilotage import DESKTOP, live, script_errors  # noqa: F401 - fixture
from tests.conftest import PASSWORD
from tests.reports.helpers import submit_report


def test_browser_queue_fits_pages_and_acts_in_bulk(new_context, live, make_agent, vigie):  # noqa: F811
    ids = [
        str(submit_report(vigie, description=f"Trou numéro {i}", address=f"{i} rue de la Préfecture, Dijon"))
        for i in range(55)
    ]
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    expect(page.locator("#queue-count")).to_have_text("55 signalements")
    expect(page.locator("#queue-body tr")).to_have_count(50)
    # Due time, address and status in view without scrolling sideways.
    scroll = page.locator("#queue-scroll")
    assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth"), "the queue scrolls sideways at 1440 px"
    first = page.locator("#queue-body tr").first
    for selector in ("[data-countdown]", ".queue-table__address", ".badge"):
        cell = first.locator(selector)
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= DESKTOP["width"]
    expect(first.locator(".queue-table__address")).to_contain_text("rue de la Préfecture")
    # A number never wraps away from its unit ("13 j" / "20 h" kept whole in a narrow column).
    since = "new Date(Date.now() - 13 * 86400e3 - 20 * 3600e3 - 6e4).toISOString()"
    late = page.evaluate(f"Pilotage.countdown({since}, 'new').text")
    assert late == "Retard 13\u00a0j 20\u00a0h", late
    check_a11y(page, "queue with selection boxes")

    # The second page comes from the server.
    page.locator("#queue-next").click()
    expect(page.locator("#queue-body tr")).to_have_count(5)
    expect(page.locator("#queue-page")).to_have_text("Page 2 sur 2")
    page.locator("#queue-prev").click()
    expect(page.locator("#queue-body tr")).to_have_count(50)

    # A search runs on the server over every report.
    page.locator("#f-q").fill("numéro 3")
    expect(page.locator("#queue-count")).to_have_text(re.compile(r"^\d+ signalements?$"))
    expect(page.locator("#queue-body tr")).to_have_count(11)  # 3, 30–39
    page.locator("#f-q").fill("")
    expect(page.locator("#queue-count")).to_have_text("55 signalements")

    # CSV export of the current filter.
    page.select_option("#f-zone", "21231")
    expect(page.locator("#queue-export")).to_have_attribute("href", re.compile("zone=21231"))
    href = page.locator("#queue-export").get_attribute("href")
    assert href
    cookies = {c["name"]: c["value"] for c in ctx.cookies()}
    export = httpx.get(live.url + href, cookies=cookies, timeout=30)
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert export.status_code == 200 and len(rows) == 55 and rows[0]["zone"] == "Dijon"
    page.select_option("#f-zone", "")

    # Bulk: select the page, acknowledge all of it at once.
    page.locator("#queue-pick-all").check()
    expect(page.locator("#bulk-count")).to_have_text("50 sélectionnés")
    page.locator("#bulk-acknowledge").click()
    expect(page.locator("#queue-error")).to_be_hidden()
    expect(page.locator("#bulk-result")).to_have_text("50 signalements pris en compte.", timeout=60_000)
    page.select_option("#f-status", "new")
    expect(page.locator("#queue-count")).to_have_text("5 signalements")
    # Then assign two of the remaining ones to a team.
    boxes = page.locator("#queue-body .queue-pick")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("#bulk-team", "voirie-nord")
    page.locator("#bulk-assign").click()
    expect(page.locator("#bulk-result")).to_have_text("2 signalements affectés.")
    expect(page.locator("#queue-count")).to_have_text("3 signalements")
    assert errors == []
    assert ids


def test_browser_report_prints_as_a_work_order(new_context, live, make_agent, vigie):  # noqa: F811
    rid = submit_report(vigie, description="Trou profond", address="3 rue Monge, Dijon")
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, operator.email, PASSWORD)
    page.goto(f"/pilotage/signalements/{rid}")
    expect(page.locator("#print-order")).to_be_visible()
    expect(page.locator(".print-title")).to_be_hidden()
    expect(page.get_by_text("habitant@example.org")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".print-title")).to_have_text(re.compile("^Bon d'intervention — Dijon"))
    expect(page.locator(".print-sign")).to_be_visible()
    for hidden in ("#actions", ".site-header", ".detail-nav", "#move-form", "#duplicates", "#reporter"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.get_by_text("habitant@example.org")).to_be_hidden()
    expect(page.locator("#report-title")).to_be_visible()
    expect(page.get_by_text("3 rue Monge, Dijon")).to_be_visible()
    # The box the crew fills in comes last, after the place.
    below = page.evaluate(
        "document.querySelector('#location').compareDocumentPosition(document.querySelector('.print-sign'))"
    )
    assert below & 4, "the work order's box to fill in is printed before the report's place"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


HISTORY_MAPPING = """\
external_id: {column: numero}
dates: {formats: ["%d/%m/%Y %H:%M"]}
location: {lat: lat, long: lon}
fields:
  service_code: {value: nid-de-poule}
  address: {column: adresse}
  requested_at: {column: ouvert}
  status: {column: etat}
attributes:
  danger_immediat: {value: non}
"""


def test_browser_queue_fits_imported_history_of_every_status(
    new_context,
    live,  # noqa: F811
    make_agent,
    vigie,
    tmp_path,
):
    # A city's first day: its history imported (every open status, no due time, dates of
    # past years) beside today's reports. Still no sideways scroll, and the year is shown.
    from vigie.importer.run import run_import

    statuses = ["new", "acknowledged", "assigned", "in_progress", "reopened"]
    lines = ["numero,adresse,ouvert,etat,lat,lon"]
    for i in range(20):
        street = f"{i} avenue du Maréchal-de-Lattre-de-Tassigny, Dijon"
        lines.append(f'{48000 + i},"{street}",02/03/2019 10:{i:02d},{statuses[i % 5]},47.3220,5.0415')
    (tmp_path / "ancien.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "ancien.yaml").write_text(HISTORY_MAPPING, encoding="utf-8")
    result = run_import(vigie, tmp_path / "ancien.csv", str(tmp_path / "ancien.yaml"))
    assert result.created == 20, result.failed
    for i in range(3):
        submit_report(vigie, description=f"Trou {i}", address=f"{i} rue de la Préfecture, Dijon")
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, operator.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    expect(page.locator("#queue-count")).to_have_text("23 signalements")
    scroll = page.locator("#queue-scroll")
    widths = scroll.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], f"the queue scrolls sideways at 1440 px: {widths}"
    imported = page.locator("#queue-body tr", has_text="Maréchal").first
    expect(imported.locator("time")).to_have_text(re.compile(r"^02/03/2019"))
    expect(imported.locator("[data-countdown]")).to_have_text("Sans échéance")
    today = page.locator("#queue-body tr", has_text="rue de la Préfecture").first
    expect(today.locator("time")).not_to_have_text(re.compile("20[0-9][0-9]"))


def test_browser_queue_bulk_names_what_it_refused(new_context, live, make_agent, vigie):  # noqa: F811
    # Three reports selected; a colleague acknowledges one meanwhile. The bulk acknowledgement
    # says how many were done and which one was refused, why, and leaves it selected.
    from tests.browser.test_browser_pilotage import bearer
    from vigie.reports.storage import ReportRow

    ids = [submit_report(vigie, description=f"Trou {i}", address=f"{i} rue Monge, Dijon") for i in range(3)]
    with vigie.db.session() as s:
        taken = s.get(ReportRow, ids[1])
        assert taken is not None
        reference = taken.reference
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    expect(page.locator("#queue-count")).to_have_text("3 signalements")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.locator("#queue-pick-all").check()
    expect(page.locator("#bulk-count")).to_have_text("3 sélectionnés")
    colleague = bearer(vigie, make_agent())
    r = httpx.post(f"{live.url}/api/v1/reports/{ids[1]}/acknowledge", json={}, headers=colleague, timeout=10)
    assert r.status_code == 200, r.text
    # The live update shows the colleague's change; the selection stays.
    row = page.locator(f'#queue-body tr[data-id="{ids[1]}"]')
    expect(row.locator(".badge")).to_have_text("Pris en compte")
    expect(page.locator("#bulk-count")).to_have_text("3 sélectionnés")

    page.locator("#bulk-acknowledge").click()
    result = "2 signalements pris en compte. 1 refusé, resté sélectionné :"
    expect(page.locator("#bulk-result")).to_have_text(result)
    refused = f"{reference} : son statut « Pris en compte » ne le permet pas"
    expect(page.locator("#bulk-refused li")).to_have_text([refused])
    expect(page.locator("#bulk-count")).to_have_text("1 sélectionné")
    expect(row.locator(".queue-pick")).to_be_checked()
    check_a11y(page, "queue after a bulk action with a refusal")

    # In English too.
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    expect(page.locator("#queue-count")).to_have_text("3 reports")
    # The bulk actions stay on one line at 1440 px (a long team name once pushed "Assign" below).
    tops = {page.locator(s).bounding_box()["y"] for s in ("#bulk-acknowledge", "#bulk-assign")}  # type: ignore[index]
    assert len(tops) == 1, tops
    page.locator(f'#queue-body tr[data-id="{ids[0]}"] .queue-pick').check()
    page.locator("#bulk-acknowledge").click()
    expect(page.locator("#bulk-result")).to_have_text("0 reports acknowledged. 1 refused, left selected:")
    expect(page.locator("#bulk-refused li")).to_have_count(1)
    expect(page.locator("#bulk-refused li")).to_contain_text("its status “Acknowledged” does not allow it")
    assert errors == []


def test_browser_queue_keyboard_selection_survives_live_updates(new_context, live, make_agent, vigie):  # noqa: F811
    # An operator selects reports with the keyboard while colleagues work: each live update
    # rebuilds the rows, and the focus stays on the same selection box (or the one now in
    # the place of a report that left the view).
    from tests.browser.test_browser_pilotage import bearer

    ids = [submit_report(vigie, description=f"Trou {i}", address=f"{i} rue Monge, Dijon") for i in range(4)]
    newest_first = [str(i) for i in reversed(ids)]
    colleague = bearer(vigie, make_agent())
    operator = make_agent("operator")
    ctx, _ = new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = script_errors(page)
    login(page, operator.email, PASSWORD)
    page.wait_for_url("**/pilotage")
    page.select_option("#f-status", "new")
    expect(page.locator("#queue-count")).to_have_text("4 signalements")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    def focused() -> str | None:
        return page.evaluate("document.activeElement.getAttribute('aria-label')")  # type: ignore[no-any-return]

    def label(report_id: str) -> str:
        box = page.locator(f'#queue-body tr[data-id="{report_id}"] .queue-pick')
        return box.get_attribute("aria-label") or ""

    page.locator("#queue-pick-all").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the second report's selection box
    assert focused() == label(newest_first[1])
    page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("1 sélectionné")
    second = label(newest_first[1])

    # A colleague assigns the first report: it leaves the "new" view, the rows are rebuilt.
    r = httpx.post(
        f"{live.url}/api/v1/reports/{newest_first[0]}/assign",
        json={"team": "voirie-sud"},
        headers=colleague,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    expect(page.locator("#queue-body tr")).to_have_count(3)
    assert focused() == second
    page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("0 sélectionné")
    page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("1 sélectionné")

    # Now the focused report itself leaves the view: the focus goes to the box now in its place
    # (the selection, which spans pages, keeps the report; a bulk action would name its refusal).
    r = httpx.post(
        f"{live.url}/api/v1/reports/{newest_first[1]}/acknowledge", json={}, headers=colleague, timeout=10
    )
    assert r.status_code == 200, r.text
    expect(page.locator("#queue-body tr")).to_have_count(2)
    assert focused() == label(newest_first[2])
    page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("2 sélectionnés")

    # j moves to the next report, x ticks it (and unticks it); the help lists x.
    page.keyboard.press("j")
    expect(page.locator(f'#queue-body tr[data-id="{newest_first[3]}"]')).to_have_class(
        re.compile("is-current")
    )
    page.keyboard.press("x")
    expect(page.locator("#bulk-count")).to_have_text("3 sélectionnés")
    expect(page.locator(f'#queue-body tr[data-id="{newest_first[3]}"] .queue-pick')).to_be_checked()
    page.keyboard.press("x")
    expect(page.locator("#bulk-count")).to_have_text("2 sélectionnés")
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_contain_text("Cocher ou décocher le signalement surligné")
    page.keyboard.press("Escape")
    assert errors == []
