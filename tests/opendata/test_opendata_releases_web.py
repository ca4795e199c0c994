"""The staff's releases page: every dataset and its releases, the on-demand build button (a
form, CSRF-checked, role checked first), in French and English."""

from __future__ import annotations

from tests.opendata.helpers import CARPARK_COLUMNS, approve, carpark_dataset, committee, create
from vigie.accounts.actions import do_create_login
from vigie.opendata.building import build_lock
from vigie.opendata.queries import releases
from vigie.opendata.review import proposals
from vigie.web.deps import SESSION_COOKIE

PAGE = "/donnees/gestion/publications"


def _sign_in(client, vigie, agent) -> str:
    session, csrf = do_create_login(vigie.db, agent, "session", 1)
    client.cookies.set(SESSION_COOKIE, session)
    return csrf


def test_opendata_releases_web_page_for_publishers_only(client, vigie, make_agent):
    assert client.get(PAGE, follow_redirects=False).headers["location"].startswith("/connexion")
    refused = client.post(f"{PAGE}/parkings/construire", data={"csrf_token": "x"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/connexion")
    _sign_in(client, vigie, make_agent("operator"))
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}/parkings/construire", data={"csrf_token": "x"}).status_code == 403

    publisher = make_agent("supervisor")
    create(vigie, publisher, "attente", columns=CARPARK_COLUMNS)
    _sign_in(client, vigie, publisher)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "<h1>Versions des données ouvertes</h1>" in page.text
    assert "en cours d&#39;examen par le comité" in page.text and "/construire" not in page.text
    english = client.get(PAGE + "?lang=en").text
    assert "<h1>Open data releases</h1>" in english and "under the ethics committee&#39;s review" in english
    assert 'href="/donnees/gestion/publications"' in client.get("/pilotage/sessions").text


def test_opendata_releases_web_build_button_builds_once(client, vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=200)
    csrf = _sign_in(client, vigie, publisher)
    page = client.get(PAGE)
    assert 'action="/donnees/gestion/publications/parkings/construire"' in page.text
    assert "Construire maintenant une version de « Jeu d&#39;essai »" in page.text

    assert client.post(f"{PAGE}/parkings/construire", data={}).status_code == 403  # no CSRF token
    done = client.post(f"{PAGE}/parkings/construire", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?done=published&dataset=parkings#ds-parkings"
    assert [r.version for r in releases(vigie, "parkings")] == [1]
    shown = client.get(done.headers["location"]).text
    assert "Une nouvelle version de « parkings » est publiée." in shown
    assert "version 1 publiée (200 lignes)" in shown

    with build_lock(vigie, "parkings"):
        running = client.post(
            f"{PAGE}/parkings/construire", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert running.headers["location"] == f"{PAGE}?done=running&dataset=parkings#ds-parkings"
        during = client.get(PAGE).text
        assert "Une version est en cours de construction" in during
        assert 'action="/donnees/gestion/publications/parkings/construire"' not in during
    assert len(releases(vigie, "parkings")) == 1  # the second click built nothing

    assert client.post(f"{PAGE}/nulle-part/construire", data={"csrf_token": csrf}).status_code == 404
    # An outcome is said only of a dataset of the page, never echoed from the address.
    assert "est publiée" not in client.get(PAGE + "?done=published&dataset=autre").text


def test_opendata_releases_web_rules_page_proposes_changed_rules(client, vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "eclairage", source="lighting")  # a built-in dataset
    approve(vigie, members, "eclairage")
    _sign_in(client, vigie, make_agent("operator"))
    assert client.get(f"{PAGE}/eclairage/regles").status_code == 403
    assert client.post(f"{PAGE}/eclairage/regles", data={"csrf_token": "x"}).status_code == 403
    csrf = _sign_in(client, vigie, publisher)
    assert 'href="/donnees/gestion/publications/eclairage/regles"' in client.get(PAGE).text
    page = client.get(f"{PAGE}/eclairage/regles")
    assert page.status_code == 200 and "Règles de publication de « Jeu d&#39;essai »" in page.text
    assert 'id="rule-k" name="k" type="text" inputmode="numeric" value="5"' in page.text
    form = {"csrf_token": csrf, "location": "grid", "location_m": "300", "min_count": "0", "k": "3"}
    form |= {"suppress_share": "5", "qi": "commune", "summary": "Par commune."}

    refused = client.post(f"{PAGE}/eclairage/regles", data=form)

    assert refused.status_code == 422
    assert 'id="rules-error" class="alert error-summary" role="alert" tabindex="-1"' in refused.text
    # In the page's language (reason rules.k), not the API's English detail.
    assert "k-anonymat : k doit être un nombre entier d&#39;au moins 5." in refused.text
    assert "rules.k must be" not in refused.text and 'href="#rule-k"' in refused.text
    refused_en = client.post(f"{PAGE}/eclairage/regles", data=form, headers={"Accept-Language": "en"})
    assert "k-anonymity: k must be a whole number of at least 5." in refused_en.text
    assert 'value="3" aria-invalid="true" aria-describedby="rule-k-hint rules-error"' in refused.text
    assert [p.kind for p in proposals(vigie, "eclairage")] == ["new"]  # nothing proposed

    done = client.post(f"{PAGE}/eclairage/regles", data=form | {"k": "6"}, follow_redirects=False)
    assert done.headers["location"] == f"{PAGE}?done=proposed&dataset=eclairage#ds-eclairage"
    proposal = next(p for p in proposals(vigie, "eclairage") if p.status == "open")
    assert (proposal.kind, proposal.summary) == ("rules", "Par commune.")
    assert proposal.rules["quasi_identifiers"] == ["commune"] and proposal.rules["k"] == 6
    assert proposal.rules["location_m"] == 300 and proposal.rules["suppress_share"] == 0.05
    assert proposal.rules["exclude_sensitive"] is False  # its box was not ticked
    again = client.get(f"{PAGE}/eclairage/regles").text
    assert "Les règles en cours d&#39;examen par le comité." in again and 'value="6"' in again
    busy = client.post(f"{PAGE}/eclairage/regles", data=form | {"k": "7"})
    assert busy.status_code == 409 and "déjà une proposition en cours d&#39;examen" in busy.text
    assert client.get(f"{PAGE}/nulle-part/regles").status_code == 404
    assert "Publication rules of “Test dataset”" in client.get(f"{PAGE}/eclairage/regles?lang=en").text
