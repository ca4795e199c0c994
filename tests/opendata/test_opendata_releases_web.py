"""The staff's releases page: every dataset and its releases, the on-demand build button (a
form, CSRF-checked, role checked first), in French and English."""

from __future__ import annotations

from tests.opendata.helpers import CARPARK_COLUMNS, carpark_dataset, committee, create
from vigie.accounts.actions import do_create_login
from vigie.opendata.building import build_lock
from vigie.opendata.queries import releases
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
