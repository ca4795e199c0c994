"""The open data portal and the publishers' and committee's API."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest

from tests.opendata.helpers import (
    CARPARK_COLUMNS,
    METADATA,
    approve,
    carpark_csv,
    committee,
    create,
    published_carparks,
)
from tests.reports.helpers import submit_report
from vigie.accounts.actions import do_create_login
from vigie.errors import ValidationFailed
from vigie.opendata import views
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.queries import published_dataset, read_release
from vigie.opendata.review import proposals
from vigie.opendata.views import public_kpis


def _flow(client, auth, make_agent, vigie):
    """A supervisor creates and uploads; two committee members approve; the dataset is released."""
    publisher = auth("supervisor")
    body = {
        "id": "parkings",
        "metadata": {**METADATA, "title_en": "Car parks", "title_fr": "Parkings"},
        "source": "upload",
        "columns": CARPARK_COLUMNS,
        "rules": {"time": {"datetime": "hour"}},
        "summary": "Occupation des parkings",
    }
    created = client.post("/api/v1/opendata/datasets", json=body, headers=publisher)
    assert created.status_code == 201 and created.json()["status"] == "in_review"
    r = client.post(
        "/api/v1/opendata/datasets/parkings/file?format=csv", content=carpark_csv(50), headers=publisher
    )
    assert r.status_code == 200 and r.json()["rows"] == 50
    refused = client.post("/api/v1/opendata/datasets/parkings/releases", headers=publisher)
    assert refused.status_code == 409 and "ethics committee" in refused.json()["detail"]
    admin = auth("admin")
    members = [make_agent("supervisor") for _ in range(2)]
    for m in members:
        assert client.put(f"/api/v1/opendata/committee/{m.id}", headers=admin).status_code == 200
    heads = [{"Authorization": "Bearer " + do_create_login(vigie.db, m, "bearer", 1)[0]} for m in members]
    [proposal] = proposals(vigie)
    assert created.json()["proposal"] == proposal.id  # what an API client posts its votes to
    url = f"/api/v1/opendata/proposals/{created.json()['proposal']}"
    assert (
        client.post(
            url + "/comments", json={"body": "Aucune donnée personnelle."}, headers=heads[0]
        ).status_code
        == 201
    )
    early = client.post(url + "/decision", json={"reasons": "ok"}, headers=heads[0])
    assert early.status_code == 409 and "voted" in early.json()["detail"]
    for h in heads:
        assert client.post(url + "/votes", json={"vote": "approve"}, headers=h).status_code == 200
    decided = client.post(
        url + "/decision", json={"reasons": "Mesures de capteurs agrégées."}, headers=heads[1]
    )
    assert decided.json()["status"] == "approved"
    released = client.post("/api/v1/opendata/datasets/parkings/releases", headers=publisher)
    assert released.status_code == 200 and released.json()["status"] == "published"
    return publisher


def test_opendata_web_publish_review_and_read_on_the_portal(client, auth, make_agent, vigie):
    _flow(client, auth, make_agent, vigie)

    page = client.get("/donnees/parkings")
    assert page.status_code == 200
    assert "Parkings" in page.text and "CLEMENCEAU" in page.text  # the preview table
    assert "Mesures de capteurs agrégées." in page.text  # the committee's reasons, public
    assert "First release: 50 rows." in page.text  # the changelog
    assert "/api/explore/v2.1/catalog/datasets/parkings/records" in page.text
    assert "Car parks" in client.get("/donnees/parkings?lang=en").text

    portal = client.get("/donnees", params={"q": "parkings"})
    assert 'href="/donnees/parkings"' in portal.text
    assert 'href="/donnees/parkings"' not in client.get("/donnees", params={"q": "trams"}).text
    assert 'href="/donnees/parkings"' not in client.get("/donnees", params={"licence": "odbl-1.0"}).text
    assert 'href="/donnees/parkings"' in client.get("/donnees", params={"theme": "TRAN"}).text
    assert "Occupation des parkings" in client.get("/donnees/comite").text

    parquet = client.get("/donnees/parkings/versions/1")
    assert parquet.status_code == 200
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 50
    again = client.get("/donnees/parkings/versions/1", headers={"If-None-Match": parquet.headers["etag"]})
    assert again.status_code == 304


def test_opendata_web_unpublished_dataset_is_not_on_the_portal(client, auth):
    body = {"id": "brouillon", "metadata": METADATA, "source": "upload", "columns": CARPARK_COLUMNS}
    assert client.post("/api/v1/opendata/datasets", json=body, headers=auth("supervisor")).status_code == 201
    assert client.get("/donnees/brouillon").status_code == 404
    assert client.get("/donnees/brouillon/versions/1").status_code == 404
    assert "brouillon" not in client.get("/donnees").text


def test_opendata_web_bad_inputs_are_4xx_naming_the_problem(client, auth):
    h = auth("supervisor")
    r = client.post("/api/v1/opendata/datasets", content=b"{not json", headers=h)
    assert r.status_code == 422 and "not JSON" in r.json()["detail"]
    r = client.post("/api/v1/opendata/datasets", json={"id": "x"}, headers=h)
    assert r.status_code == 422 and "id must be" in r.json()["detail"]
    body = {
        "id": "ok-id",
        "metadata": {**METADATA, "licence": "cc-by"},
        "source": "upload",
        "columns": CARPARK_COLUMNS,
    }
    r = client.post("/api/v1/opendata/datasets", json=body, headers=h)
    assert r.status_code == 422 and "licence" in r.json()["detail"]
    body = {"id": "ok-id", "metadata": METADATA, "source": "reports", "rules": {"k": 2}}
    r = client.post("/api/v1/opendata/datasets", json=body, headers=h)
    assert r.status_code == 422 and "rules.k" in r.json()["detail"]


def test_opendata_web_blocked_release_says_why_on_the_dataset_page(client, auth, make_agent, vigie):
    publisher = _flow(client, auth, make_agent, vigie)
    # The next upload carries a resident's e-mail in a published column: blocked, and the page says why.
    leaked = carpark_csv(5) + b"2023-06-21T10:00:00,ecrire a jean.dupont@example.org,40\n"
    client.post("/api/v1/opendata/datasets/parkings/file?format=csv", content=leaked, headers=publisher)
    r = client.post("/api/v1/opendata/datasets/parkings/releases", headers=publisher)
    assert r.json()["status"] == "blocked"
    page = client.get("/donnees/parkings").text  # in French, the city's language
    assert "ressemblent à des adresses e-mail" in page
    assert "jean.dupont" not in page
    submit_report(vigie)  # nothing of a report reaches the portal of an upload
    assert "habitant@example.org" not in page


def test_opendata_web_portal_filters_refuse_unknown_values_by_name(client):
    # Found by schemathesis: an unknown theme or licence was a 500 (the template looked it up).
    answer = client.get("/donnees", params={"theme": "x", "licence": "é"})
    assert answer.status_code == 422 and answer.json()["field"] == "theme"
    answer = client.get("/donnees", params={"licence": "zz"})
    assert answer.status_code == 422 and "etalab-2.0" in answer.json()["detail"]
    assert client.get("/donnees", params={"theme": "TRAN", "licence": "etalab-2.0"}).status_code == 200


def test_opendata_web_kpis_per_commune_add_up_to_the_city(vigie, make_agent, client):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    for _ in range(6):
        submit_report(vigie)
    create(
        vigie, publisher, "indicateurs", source="kpis", metadata={**METADATA, "themes": ["GOVE"]}, rules={}
    )
    approve(vigie, members, "indicateurs")
    assert do_release(vigie, publisher, "indicateurs").status == "published"
    rows = read_release(vigie, "indicateurs").to_pylist()
    whole = public_kpis(vigie)
    assert whole is not None and whole["commune"] == "" and whole["communes"]
    per_commune = {code: public_kpis(vigie, code) for code, _ in whole["communes"]}
    for code, kpis in per_commune.items():
        assert kpis is not None and sum(kpis["received"]) == sum(
            r["received"] or 0 for r in rows if r["commune"] == code
        )
    assert sum(sum(k["received"]) for k in per_commune.values()) == sum(whole["received"]) == 6
    names = dict(whole["communes"])
    assert all(name and name != code for code, name in names.items())  # names from the city profile
    with pytest.raises(ValidationFailed, match="commune"):
        public_kpis(vigie, "00000")
    # The chooser says the profile's zone word and "the whole city", not Dijon's "métropole".
    portal = client.get("/donnees").text
    assert '<label for="kpi-commune">Commune</label>' in portal
    assert '<option value="">Toute la ville</option>' in portal and "métropole" not in portal


def test_opendata_web_dataset_page_offers_the_spreadsheet_formats(client, auth, make_agent, vigie):
    """A resident or a journalist opens a spreadsheet, not Parquet: the dataset page links the
    latest version's CSV, XLSX and JSON Lines exports (GeoJSON for a dataset with a position)."""
    _flow(client, auth, make_agent, vigie)
    page = client.get("/donnees/parkings").text
    base = "/api/explore/v2.1/catalog/datasets/parkings/exports/"
    for fmt in ("csv", "xlsx", "jsonl"):
        assert f'href="{base}{fmt}"' in page, fmt
        assert client.get(base + fmt).status_code == 200, fmt
    assert f'href="{base}geojson"' not in page  # the car parks' rows have no position
    assert "Version 1, whole" in client.get("/donnees/parkings?lang=en").text


def test_opendata_web_committee_page_shows_open_proposals_before_decisions(client, auth, make_agent, vigie):
    _flow(client, auth, make_agent, vigie)
    meta = {**METADATA, "title_fr": "Jeu proposé"}
    create(vigie, make_agent("supervisor"), "brouillon", metadata=meta, columns=CARPARK_COLUMNS)
    page = client.get("/donnees/comite").text
    under_review = page.index('<h2 id="open-heading">En cours d&#39;examen (1)</h2>')
    decisions = page.index('<h2 id="decided-heading">Décisions (1)</h2>')
    assert under_review < page.index("Jeu proposé") < decisions < page.index("Parkings")
    assert "Under review (1)" in client.get("/donnees/comite?lang=en").text


def test_opendata_web_dataset_chart_counts_rows_of_a_category_whose_values_repeat(vigie, make_agent):
    """Rows per station address (one row each) would be bars of height 1: the district it is."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    columns = [
        {"name": "adresse", "type": "string", "kind": "category", "fr": "Adresse", "en": "Address"},
        {"name": "quartier", "type": "string", "kind": "category", "fr": "Quartier", "en": "District"},
        {"name": "zone", "type": "string", "kind": "category", "fr": "Zone", "en": "Zone"},
    ]
    create(vigie, publisher, "stations", columns=columns, rules={})
    rows = "".join(f"{i} rue Test,{'Centre' if i % 3 else 'Université'},Dijon\n" for i in range(12))
    do_upload(vigie, publisher, "stations", ("adresse,quartier,zone\n" + rows).encode(), "csv")
    approve(vigie, members, "stations")
    do_release(vigie, publisher, "stations")
    drawn = views.chart(vigie, published_dataset(vigie, "stations"))
    assert drawn is not None and drawn["x_column"] == "quartier"
    assert drawn["x"] == ["Centre", "Université"] and drawn["y"] == [8, 4]


def test_opendata_web_version_download_answers_head_with_its_size(client, vigie, make_agent):
    published_carparks(vigie, make_agent)
    url = "/donnees/parkings/versions/1"
    whole = client.get(url)
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(whole.content) > 0
    assert head.headers["etag"] == whole.headers["etag"]
    assert client.head("/donnees/parkings/versions/9").status_code == 404
