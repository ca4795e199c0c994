"""Why a release is blocked, kept as codes with their values and shown in the reader's
language: the dataset page in French or English, the API with a stable code and a message."""

from __future__ import annotations

from tests.opendata.helpers import carpark_csv
from tests.opendata.test_opendata_charter import _reports_dataset, _submit
from tests.opendata.test_opendata_web import _flow
from vigie.accounts.actions import do_create_login
from vigie.db import utcnow
from vigie.opendata.actions import do_release
from vigie.opendata.queries import releases
from vigie.opendata.releases_web import PAGE as RELEASES
from vigie.opendata.storage import ReleaseRow
from vigie.web.deps import SESSION_COOKIE
from vigie.web.i18n import reason_text


def test_opendata_release_reasons_keep_the_k_anonymity_code_and_values(vigie, make_agent):
    _submit(vigie, 6)
    _submit(vigie, 1, service_code="affichage-sauvage", attributes={})
    publisher = _reports_dataset(vigie, make_agent)

    do_release(vigie, publisher, "signalements")

    [kept] = releases(vigie, "signalements")[0].reasons  # read back from the database
    assert kept == {
        "code": "charter.k_anonymity",
        "params": {
            "k": 5,
            "columns": ["service_code", "commune", "requested_at"],
            "found": 1,
            "rows": 1,
            "share": 0.0,
        },
    }


def _blocked_by_an_email(client, auth, make_agent, vigie):
    publisher = _flow(client, auth, make_agent, vigie)
    leaked = carpark_csv(5) + b"2023-06-21T10:00:00,ecrire a jean.dupont@example.org,40\n"
    client.post("/api/v1/opendata/datasets/parkings/file?format=csv", content=leaked, headers=publisher)
    return publisher


def test_opendata_release_reasons_in_the_page_language(client, auth, make_agent, vigie):
    publisher = _blocked_by_an_email(client, auth, make_agent, vigie)
    assert client.post("/api/v1/opendata/datasets/parkings/releases", headers=publisher).status_code == 200

    fr = client.get("/donnees/parkings?lang=fr").text
    en = client.get("/donnees/parkings?lang=en").text
    assert (
        "Bloquée par la charte : dans la colonne « parking », valeurs qui ressemblent à des "
        "adresses e-mail : 1" in fr
    )
    assert "look like e-mail addresses" not in fr
    assert "Blocked by the charter: in column “parking”, values that look like e-mail addresses: 1" in en
    assert "jean.dupont" not in fr + en


def test_opendata_release_reasons_api_has_code_and_message(client, auth, make_agent, vigie):
    publisher = _blocked_by_an_email(client, auth, make_agent, vigie)

    body = client.post("/api/v1/opendata/datasets/parkings/releases?lang=fr", headers=publisher).json()
    assert body["status"] == "blocked"
    [reason] = body["reasons"]
    assert reason["code"] == "scan.email" and reason["params"] == {"column": "parking", "values": 1}
    assert reason["message"].startswith("dans la colonne « parking », valeurs qui")
    assert "jean.dupont" not in str(body)
    listed = client.get("/api/v1/opendata/datasets", headers={**publisher, "Accept-Language": "en"}).json()[
        "datasets"
    ]
    [last] = [d["last_release"] for d in listed if d["id"] == "parkings"]
    assert last["reasons"][0]["code"] == "scan.email"
    assert last["reasons"][0]["message"].startswith("in column “parking”, values that")


def test_opendata_release_reasons_of_an_older_release_show_its_text(client, auth, make_agent, vigie):
    """A release blocked before reasons had codes keeps its English text: shown as it is."""
    publisher = _flow(client, auth, make_agent, vigie)
    old = "k-anonymity: k=5 on commune: 2 combination(s) are shared by fewer than 5 rows"
    with vigie.db.session(write=True) as s:
        s.add(ReleaseRow(dataset_id="parkings", status="blocked", reason=old, checks=[], created_at=utcnow()))
        s.commit()

    assert old in client.get("/donnees/parkings?lang=fr").text
    listed = client.get("/api/v1/opendata/datasets?lang=fr", headers=publisher).json()["datasets"]
    [last] = [d["last_release"] for d in listed if d["id"] == "parkings"]
    assert last["reasons"] == [{"code": None, "params": {}, "message": old}]


def test_opendata_release_reasons_on_the_files_page_in_its_language(client, auth, make_agent, vigie):
    publisher = _blocked_by_an_email(client, auth, make_agent, vigie)
    client.post("/api/v1/opendata/datasets/parkings/releases", headers=publisher)
    session, _ = do_create_login(vigie.db, make_agent("supervisor"), "session", 1)
    client.cookies.set(SESSION_COOKIE, session)

    fr = client.get("/donnees/gestion/fichiers?lang=fr").text
    en = client.get("/donnees/gestion/fichiers?lang=en").text
    assert "dernière version bloquée : dans la colonne « parking », valeurs" in fr
    assert "latest release blocked: in column “parking”, values" in en
    releases_fr = client.get(f"{RELEASES}?lang=fr").text
    assert "Bloquée par la charte : dans la colonne « parking », valeurs" in releases_fr
    releases_en = client.get(f"{RELEASES}?lang=en").text
    assert "Blocked by the charter: in column “parking”, values" in releases_en


def test_opendata_release_reasons_write_lists_and_numbers_by_the_language() -> None:
    params = {"k": 5, "columns": ["commune", "service"], "found": 1200, "rows": 3, "share": 12.5}
    fr = reason_text("fr", "charter.k_anonymity", params)
    assert "sur commune, service : combinaisons partagées par moins de 5 lignes : 1\u202f200" in fr
    assert "12,5 %" in fr
    en = reason_text("en", "charter.k_anonymity", params)
    assert "on commune, service: combinations shared by fewer than 5 rows: 1,200" in en
