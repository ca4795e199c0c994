"""The staff's page and API for uploaded files: preview, publish, errors as 4xx naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.opendata.helpers import METADATA, carpark_csv
from vigie.accounts.actions import do_create_login
from vigie.web.deps import SESSION_COOKIE

API = "/api/v1/opendata/uploads"


def test_opendata_uploads_web_preview_then_publish_a_new_dataset(client, auth):
    publisher = auth("supervisor")
    files = {"file": ("occupation.csv", carpark_csv(60), "text/csv")}

    preview = client.post(API, files=files, data={"encoding": "auto", "delimiter": "auto"}, headers=publisher)

    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["rows"] == 60 and [c["name"] for c in body["columns"]] == [
        "datetime",
        "parking",
        "pourcentage",
    ]
    # Not published, it is removed after VIGIE_RETENTION_UNPUBLISHED_UPLOAD_DAYS: the preview says when.
    assert datetime.fromisoformat(body["removed_after"]) > datetime.now(UTC) + timedelta(days=89)
    payload = {"id": "parkings", "metadata": METADATA, "columns": body["columns"], "summary": "Capteurs."}
    done = client.post(f"{API}/{body['key']}/publish", json=payload, headers=publisher)
    assert done.status_code == 200 and done.json() == {
        "dataset": "parkings",
        "rows": 60,
        "status": "in_review",
    }
    assert client.post(f"{API}/{body['key']}/publish", json=payload, headers=publisher).status_code == 404


def test_opendata_uploads_web_errors_are_4xx_naming_the_field(client, auth):
    publisher = auth("admin")
    bad = client.post(API, files={"file": ("x.csv", b"a,b\n1,2\n3,4,5\n", "text/csv")}, headers=publisher)
    assert bad.status_code == 422
    assert bad.json()["field"] == "file" and "line 3 has 3 fields" in bad.json()["detail"]
    option = client.post(
        API, files={"file": ("x.csv", b"a,b\n", "text/csv")}, data={"encoding": "ebcdic"}, headers=publisher
    )
    assert option.status_code == 422 and option.json()["field"] == "encoding"
    assert (
        client.post(API, files={"other": ("x.csv", b"a\n", "text/csv")}, headers=publisher).status_code == 422
    )
    assert client.post(API, content=b"a,b\n", headers=publisher).status_code == 415
    assert (
        client.post(API, files={"file": ("x.csv", b"a\n", "text/csv")}, headers=auth("operator")).status_code
        == 403
    )
    assert client.post(f"{API}/0123456789abcdef/publish", json={}, headers=publisher).status_code == 404


def test_opendata_uploads_web_page_in_french_and_english_for_publishers(client, vigie, make_agent):
    assert client.get("/donnees/gestion/fichiers", follow_redirects=False).status_code == 303
    session, csrf = do_create_login(vigie.db, make_agent("supervisor"), "session", 1)
    client.cookies.set(SESSION_COOKIE, session)
    page = client.get("/donnees/gestion/fichiers")
    assert page.status_code == 200
    assert 'for="upload-file">Fichier (CSV ou GeoJSON)' in page.text
    assert f'<meta name="csrf-token" content="{csrf}">' in page.text
    assert 'for="upload-file">File (CSV or GeoJSON)' in client.get("/donnees/gestion/fichiers?lang=en").text
    # The page's script posts with the session's CSRF token; without it the API refuses.
    files = {"file": ("occupation.csv", carpark_csv(5), "text/csv")}
    assert client.post(API, files=files).status_code == 403
    assert client.post(API, files=files, headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.set(SESSION_COOKIE, do_create_login(vigie.db, make_agent("operator"), "session", 1)[0])
    assert client.get("/donnees/gestion/fichiers").status_code == 403


def test_opendata_uploads_web_back_office_links_the_files_page_for_publishers(client, vigie, make_agent):
    """A data-team member reaches the files page from the back office's menu; an agent who may
    not publish is not shown the link."""
    link = 'href="/donnees/gestion/fichiers"'
    client.cookies.set(SESSION_COOKIE, do_create_login(vigie.db, make_agent("supervisor"), "session", 1)[0])
    assert link in client.get("/pilotage").text
    assert "Open data: files" in client.get("/pilotage?lang=en").text
    client.cookies.set(SESSION_COOKIE, do_create_login(vigie.db, make_agent("operator"), "session", 1)[0])
    page = client.get("/pilotage")
    assert page.status_code == 200 and link not in page.text


def test_opendata_uploads_web_rules_editor_preview_and_refusals(client, auth, vigie, make_agent):
    publisher = auth("supervisor")
    files = {"file": ("occupation.csv", carpark_csv(30), "text/csv")}
    body = client.post(API, files=files, headers=publisher).json()
    assert body["rules_from"] == "suggested" and body["rules"]["time"] == {"datetime": "hour"}
    assert [p["name"] for p in body["profiles"]] == ["datetime", "parking", "pourcentage"]
    payload = {"id": "parkings", "metadata": METADATA, "columns": body["columns"], "rules": {"k": 4}}
    refused = client.post(f"{API}/{body['key']}/publish", json=payload, headers=publisher)
    assert refused.status_code == 422 and refused.json()["field"] == "rules.k"
    session, _ = do_create_login(vigie.db, make_agent("supervisor"), "session", 1)
    client.cookies.set(SESSION_COOKIE, session)
    assert "<legend>Règles de publication</legend>" in client.get("/donnees/gestion/fichiers").text
    assert "<legend>Publication rules</legend>" in client.get("/donnees/gestion/fichiers?lang=en").text


def test_opendata_uploads_web_errors_have_a_code_and_a_message_in_the_request_language(client, auth):
    publisher = auth("supervisor")

    def refused(content, name="x.csv", lang="fr", **data):
        r = client.post(
            f"{API}?lang={lang}", files={"file": (name, content, "text/csv")}, data=data, headers=publisher
        )
        assert r.status_code == 422, r.text
        return r.json()

    twice = refused(b"a,a\n1,2\n")
    assert twice["code"] == "upload.header_twice" and twice["params"] == {"column": "a"}
    assert twice["message"] == "Ligne 1 : la colonne « a » figure deux fois dans l'en-tête."
    assert refused(b"a,a\n1,2\n", lang="en")["message"] == "Line 1: column “a” appears twice in the header."
    assert twice["detail"] == "line 1: column 'a' appears twice in the header"  # the API's English kept
    geo = refused(b'{"type":"Feature"}', name="x.geojson", lang="en")
    assert geo["code"] == "upload.not_feature_collection"
    assert refused(b"a,b\n1,2\n", encoding="ebcdic")["code"] == "upload.encoding_choice"
    assert refused(b"", lang="en")["code"] == "upload.empty"
    short = refused(b"a,b\n1,2\n3,4,5\n", lang="fr")
    assert short["code"] == "upload.csv_unreadable"
    assert short["message"].startswith("Le fichier CSV ne peut pas être lu. Détail : « line 3 has 3 fields")
