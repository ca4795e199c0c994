"""Control room and field pages: who may open what, languages, CSP-safe markup."""

from __future__ import annotations

import re

import pytest

from tests.pilotage.conftest import submit
from vigie.reports import actions

PAGES = ["/pilotage", "/pilotage/appel", "/pilotage/tableau-de-bord", "/terrain"]
KEY_LEAK = re.compile(
    r"(?<![\w/.-])(?:pilotage|terrain)\.[a-z_]+\.[a-z_]+|(?<![\w/.-])terrain\.(?!js\b)[a-z_]+"
)


def test_logged_out_visitors_are_sent_to_sign_in(anon):
    report = submit(anon)
    for path in [*PAGES, f"/pilotage/signalements/{report['id']}", f"/terrain/signalements/{report['id']}"]:
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/connexion?next=" + path, path
    r = anon.get(f"/pilotage/signalements/{report['id']}/panneau", follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "operator",
            {"/pilotage": 200, "/pilotage/appel": 200, "/pilotage/tableau-de-bord": 403, "/terrain": 200},
        ),
        (
            "supervisor",
            {"/pilotage": 200, "/pilotage/appel": 200, "/pilotage/tableau-de-bord": 200, "/terrain": 200},
        ),
        (
            "admin",
            {"/pilotage": 200, "/pilotage/appel": 200, "/pilotage/tableau-de-bord": 200, "/terrain": 200},
        ),
        (
            "field_agent",
            {"/pilotage": 303, "/pilotage/appel": 403, "/pilotage/tableau-de-bord": 403, "/terrain": 200},
        ),
    ],
)
def test_pages_follow_roles(role, expected, make_agent, session_client):
    client = session_client(make_agent(role))
    for path, status in expected.items():
        r = client.get(path, follow_redirects=False)
        assert r.status_code == status, (role, path, r.text[:200])
        if status == 403:
            assert "Accès refusé" in r.text
        if status == 303:
            assert r.headers["location"] == "/terrain"


def test_report_pages_for_each_role(anon, vigie, make_agent, session_client):
    field = make_agent("field_agent", "voirie-nord")
    other_field = make_agent("field_agent")
    operator = make_agent("operator")
    report = submit(anon, reporter_name="Alix Déclarante", reporter_phone="06 12 34 56 78")
    rid = report["id"]
    actions.do_assign(vigie, rid, operator, user_id=field.id)

    op = session_client(operator)
    page = op.get(f"/pilotage/signalements/{rid}")
    assert page.status_code == 200
    assert "Alix Déclarante" in page.text and 'href="tel:0612345678"' in page.text
    assert '<meta name="csrf-token"' in page.text
    assert "Votre signalement a été confié" in page.text  # procedure template, page data
    panel = op.get(f"/pilotage/signalements/{rid}/panneau")
    assert panel.status_code == 200 and "<html" not in panel.text and "Alix Déclarante" in panel.text
    assert op.get("/pilotage/signalements/999999").status_code == 404

    mine = session_client(field)
    assert mine.get(f"/terrain/signalements/{rid}").status_code == 200
    r = mine.get(f"/pilotage/signalements/{rid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/terrain/signalements/{rid}"

    stranger = session_client(other_field)
    r = stranger.get(f"/terrain/signalements/{rid}")
    assert r.status_code == 404 and "Alix" not in r.text
    assert stranger.get(f"/pilotage/signalements/{rid}/panneau").status_code == 404


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_is_complete_in_both_languages_and_csp_safe(lang, anon, make_agent, session_client):
    report = submit(anon, reporter_name="Alix")
    client = session_client(make_agent("admin"))
    paths = [*PAGES, f"/pilotage/signalements/{report['id']}", f"/terrain/signalements/{report['id']}"]
    for path in paths:
        r = client.get(path, params={"lang": lang})
        assert r.status_code == 200, path
        html = r.text
        assert f'<html lang="{lang}"' in html
        leaks = KEY_LEAK.findall(html)
        assert leaks == [], (path, leaks)
        assert " style=" not in html, path  # the CSP forbids inline styles
        for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):
            assert 'type="application/json"' in script, (path, script)
    english = client.get("/pilotage", params={"lang": "en"}).text
    assert "Control room" in english and "Salle de contrôle" not in english


def test_help_dialog_lists_the_shortcuts(make_agent, session_client, anon):
    report = submit(anon)
    client = session_client(make_agent("operator"))
    html = client.get(f"/pilotage/signalements/{report['id']}").text
    dialog = html[html.index('id="help-dialog"') :]
    for key in ("a", "s", "t", "r", "x", "c", "d", "f", "j", "k", "u", "?"):
        assert f'<kbd class="kbd">{key}</kbd>' in dialog, key
    queue = client.get("/pilotage").text
    assert 'aria-keyshortcuts="?"' in queue and '<th scope="col">' in queue


@pytest.mark.parametrize(
    ("lang", "thousands", "day"), [("fr", "12\u202f345", "07/12/2026"), ("en", "12,345", "7 Dec 2026")]
)
def test_dashboard_writes_numbers_and_days_as_the_language_does(
    lang, thousands, day, make_agent, session_client, monkeypatch
):
    # A city that imported its history has thousands open: "12 345", never "12345".
    from vigie.pilotage import web

    real = web.compute_stats

    def big(*args, **kwargs):
        stats = real(*args, **kwargs)
        stats["open_total"] = 12345
        stats["open_by_zone"] = [{"code": "21231", "name": "Dijon", "count": 12345}]
        stats["per_day"][-1].update(date="2026-12-07", created=12345)
        return stats

    monkeypatch.setattr(web, "compute_stats", big)
    page = session_client(make_agent("supervisor")).get(f"/pilotage/tableau-de-bord?lang={lang}").text
    assert f'<span class="kpi__value" id="kpi-open">{thousands}</span>' in page
    assert f"<td>{thousands}</td>" in page and ">12345<" not in page
    assert f'<time datetime="2026-12-07">{day}</time>' in page


def test_pilotage_pages_script_messages_exist_in_both_languages():
    # A message the control room's scripts ask for and the catalogue lacks shows as its key in
    # French and falls back to French in English: every literal one is in both languages.
    from pathlib import Path

    from vigie.web.i18n import catalog

    scripts = Path(__file__).resolve().parents[2] / "src" / "vigie" / "static" / "js" / "pilotage"
    messages = catalog()
    asked: set[str] = set()
    for name in ("common", "queue", "detail", "terrain", "intake", "dashboard"):
        text = (scripts / f"{name}.js").read_text(encoding="utf-8")
        for kind, key in re.findall(r'P\.(t|plural)\(\s*"([a-z0-9_]+[a-z0-9])"', text):
            asked.update([key] if kind == "t" else [f"{key}_one", f"{key}_other"])
    assert {"bulk_refused_status", "bulk_failed_one", "days_hours"} <= asked
    missing = sorted(
        f"{lang}: pilotage.js.{key}"
        for key in asked
        for lang in ("fr", "en")
        if f"pilotage.js.{key}" not in messages[lang]
    )
    assert missing == []
