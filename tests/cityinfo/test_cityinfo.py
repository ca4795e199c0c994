from __future__ import annotations

from pathlib import Path

import pytest

from tests.cityinfo.sru_server import SruServer
from vigie.cityinfo.actions import do_save_page, get_page
from vigie.cityinfo.domain import render_markdown
from vigie.cityinfo.library import CatalogueUnavailable, cql, parse_response, search
from vigie.cityinfo.links import load_links
from vigie.errors import ConfigurationError, Forbidden, Unauthorized, ValidationFailed
from vigie.runtime import Vigie

PAGE = {
    "title_fr": "Travaux d'eau",
    "title_en": "Water works",
    "body_fr": "# Coupure\n\nRue *Piron*.",
    "body_en": "# Outage",
}


def _search(url: str, words: str, **kw):  # type: ignore[no-untyped-def]
    return search(url, words, index="cql.serverChoice", schema="dc", version="1.2", **kw)


def test_library_searches_the_sru_server_and_reads_dublin_core():
    with SruServer() as url:
        result = _search(url, "colette")
        assert result.total == 2 and [b.title for b in result.books] == ["Le Blé en herbe", "Sido"]
        assert result.books[1].creators == ["Colette"] and result.books[1].identifier.startswith("https://")
        paged = _search(url, "colette", limit=1, start=2)
        assert paged.total == 2 and [b.title for b in paged.books] == ["Sido"]
        assert _search(url, "dijon histoire").books[0].title == "Dijon, ville d'art & <d'histoire>"


def test_library_quotes_in_the_words_cannot_break_the_cql():
    assert cql('le "blé"  en\\herbe', "dc.title") == 'dc.title all "le blé en herbe"'


def test_library_diagnostics_and_bad_answers_are_a_clear_502():
    with SruServer() as url, pytest.raises(CatalogueUnavailable) as err:
        search(url, "colette", index="bad index", schema="dc", version="1.2")
    assert err.value.status == 502 and "Query syntax error" in err.value.message
    with pytest.raises(CatalogueUnavailable):
        parse_response(b"<html><body>maintenance</body></html>")
    with pytest.raises(CatalogueUnavailable) as err:
        search("http://127.0.0.1:9/sru", "x", index="i", schema="dc", version="1.2", timeout=1)
    assert "cannot be reached" in err.value.message


def test_library_page_and_api(client, vigie: Vigie):
    with SruServer() as url:
        vigie.settings.library_sru_url = url
        r = client.get("/api/v1/library/search", params={"q": "colette"})
        assert r.status_code == 200 and r.json()["total"] == 2
        assert client.get("/api/v1/library/search", params={"q": "a"}).status_code == 422
        page = client.get("/bibliotheque", params={"q": "bourgogne"})
        assert page.status_code == 200 and "Histoire de la Bourgogne" in page.text
        assert (
            "Dijon, ville d&#39;art &amp; &lt;d&#39;histoire&gt;" in client.get("/bibliotheque?q=dijon").text
        )
    vigie.settings.library_sru_url = "http://127.0.0.1:9/sru"
    assert "ne répond pas" in client.get("/bibliotheque", params={"q": "colette"}).text
    assert client.get("/api/v1/library/search", params={"q": "colette"}).status_code == 502


def test_info_pages_need_info_manage_and_are_audited(vigie: Vigie, make_agent):
    with pytest.raises(Unauthorized):
        do_save_page(vigie, None, "travaux", PAGE)
    with pytest.raises(Forbidden):
        do_save_page(vigie, make_agent("operator"), "travaux", PAGE)
    page, created = do_save_page(vigie, make_agent("supervisor"), "travaux", PAGE)
    assert created and get_page(vigie, "travaux").title("en") == "Water works"
    with pytest.raises(ValidationFailed) as err:
        do_save_page(vigie, make_agent("admin"), "Travaux!", PAGE)
    assert err.value.field == "slug"
    with pytest.raises(ValidationFailed) as err:
        do_save_page(vigie, make_agent("admin"), "travaux", {**PAGE, "body_fr": " "})
    assert err.value.field == "body_fr"


def test_info_pages_markdown_is_rendered_without_raw_html():
    html = str(render_markdown("Bonjour <script>alert(1)</script> [lien](javascript:alert(1)) **gras**"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and "<strong>gras</strong>" in html


def test_info_pages_web_in_french_and_english(client, vigie: Vigie, make_agent, auth):
    headers = auth("supervisor")
    r = client.put("/api/v1/info-pages/travaux", json=PAGE, headers=headers)
    assert r.status_code == 201
    assert client.put("/api/v1/info-pages/travaux", json=PAGE, headers=auth("operator")).status_code == 403
    assert client.put("/api/v1/info-pages/travaux", json={"title_fr": "x"}).status_code == 401
    fr = client.get("/infos/travaux")
    assert fr.status_code == 200 and "<h1>Coupure</h1>" in fr.text and "<em>Piron</em>" in fr.text
    assert "<h1>Outage</h1>" in client.get("/infos/travaux?lang=en").text
    assert 'href="/infos/travaux"' in client.get("/infos").text
    assert client.get("/infos/nope").status_code == 404
    assert client.delete("/api/v1/info-pages/travaux", headers=headers).status_code == 204


def test_service_links_directory_loads_and_checks(tmp_path: Path):
    path = tmp_path / "services.yaml"
    path.write_text(
        "groups:\n  - title: {fr: Famille, en: Family}\n    links:\n"
        "      - url: https://famille.example\n        title: {fr: Portail famille, en: Family portal}\n"
        "        description: {fr: Inscriptions, en: Enrolment}\n",
        encoding="utf-8",
    )
    groups = load_links(path)
    assert groups[0].title("en") == "Family" and groups[0].links[0].description("fr") == "Inscriptions"
    path.write_text(
        "groups:\n  - title: {fr: F}\n    links:\n      - url: http://x.example\n        title: {fr: X}\n"
    )
    with pytest.raises(ConfigurationError) as err:
        load_links(path)
    assert "groups[0].links[0].url" in str(err.value)


def test_info_pages_staff_page_lists_and_fills_the_form(client, vigie: Vigie, make_agent):
    from vigie.accounts.actions import do_create_login
    from vigie.web.deps import SESSION_COOKIE

    supervisor = make_agent("supervisor")
    do_save_page(vigie, supervisor, "travaux", PAGE)
    token, _ = do_create_login(vigie.db, supervisor, "session", 1)
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/pilotage/pages-info?page=travaux")
    assert page.status_code == 200 and "Modifier « Travaux d&#39;eau »" in page.text
    assert 'value="travaux"' in page.text and "# Coupure" in page.text
    operator_token, _ = do_create_login(vigie.db, make_agent("operator"), "session", 1)
    client.cookies.set(SESSION_COOKIE, operator_token)
    assert client.get("/pilotage/pages-info").status_code == 403
