"""Residents' app pages: rendering in both languages, tracking, public map, privacy."""

from __future__ import annotations

import re

from tests.citizen.helpers import pothole
from tests.reports.helpers import jpeg_bytes, sensitive_service, valid_attributes

PERSONAL = {
    "reporter_name": "Camille Secret",
    "reporter_email": "camille.secret@example.org",
    "reporter_phone": "0611223344",
}


def submit(client, **over):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/reports", json=pothole(**over))
    assert r.status_code == 201, r.text
    return r.json()


def test_pages_render_in_french_by_default_and_in_english(client):
    token = submit(client)["token"]
    pages = {
        "/": ("Signaler un problème", "Report a problem"),
        "/mes-signalements": ("Mes signalements", "My reports"),
        "/carte": ("Carte des signalements", "Map of reports"),
        f"/suivi/{token}": ("Historique", "History"),
        "/hors-ligne": ("Vous êtes hors connexion", "You are offline"),
    }
    for url, (fr, en) in pages.items():
        client.cookies.clear()
        r = client.get(url)
        assert r.status_code == 200, url
        assert '<html lang="fr"' in r.text and fr in r.text, url
        r = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert r.status_code == 200, url
        assert '<html lang="en"' in r.text and en in r.text, url
        assert fr not in r.text or fr == en, url
    # The choice is remembered in a cookie.
    assert '<html lang="en"' in client.get("/").text


def test_home_lists_the_catalogue_with_groups_and_extra_questions(client, vigie):
    html = client.get("/").text
    for group in vigie.catalogue.groups.values():
        assert f'data-group="{group.code}"' in html
    assert 'data-code="nid-de-poule"' in html
    config = re.search(r'<script type="application/json" id="citizen-config">(.*?)</script>', html, re.S)
    assert config is not None
    import json

    data = json.loads(config.group(1))
    attrs = {a["code"]: a for a in data["services"]["nid-de-poule"]["attributes"]}
    assert attrs["danger_immediat"]["required"] is True
    assert attrs["danger_immediat"]["type"] == "singlevaluelist"
    assert {a["type"] for s in data["services"].values() for a in s["attributes"]} == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    assert data["leaflet"]["js"].startswith("/static/vendor/leaflet/leaflet.js?v=")
    # Leaflet is not loaded by the home page itself: only when the map step is shown.
    assert "leaflet.js" not in re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)


def test_pages_follow_the_content_security_policy(client):
    token = submit(client)["token"]
    for url in ("/", "/mes-signalements", "/carte", f"/suivi/{token}", "/hors-ligne", "/suivi/unknown"):
        html = client.get(url).text
        assert " style=" not in html, url
        for script in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in script or 'type="application/json"' in script, (url, script)
        assert re.search(r"\son[a-z]+=", html) is None, url
        assert re.search(r"""(src|href)=["']?(https?:)?//""", html) is None, url  # nothing from another host


def test_home_page_is_compressed_when_the_browser_accepts_it(client):
    r = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < 40_000
    assert "Signaler un problème" in r.text


def test_unknown_tracking_token_gives_a_friendly_page(client):
    r = client.get("/suivi/not-a-real-token")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Signalement introuvable" in r.text
    assert 'href="/mes-signalements"' in r.text
    r = client.get("/suivi/not-a-real-token?lang=en")
    assert "Report not found" in r.text


def test_tracking_page_shows_status_history_and_photos_without_personal_data(client, auth):
    r = client.post(
        "/api/v1/reports",
        data={
            **{k: str(v) for k, v in pothole(**PERSONAL).items() if k != "attributes"},
            "attributes": '{"danger_immediat": "oui"}',
        },
        files=[("photos", ("trou.jpg", jpeg_bytes(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    report = r.json()
    headers = auth("operator")
    client.post(
        f"/api/v1/reports/{report['id']}/acknowledge",
        json={"public_note": "Équipe prévenue"},
        headers=headers,
    )
    html = client.get(f"/suivi/{report['token']}").text
    assert report["reference"] in html
    assert "Pris en compte" in html and "Équipe prévenue" in html and "Signalement reçu" in html
    assert 'class="badge badge--acknowledged"' in html
    # Photos are shown from this site (the API writes its public base URL in front of them).
    assert f'src="/api/v1/photos/{report["photos"][0]["id"]}/thumbnail"' in html
    for value in PERSONAL.values():
        assert value not in html
    assert r.headers.get("referrer-policy") != "unsafe-url"


def test_tracking_page_links_external_media_but_never_loads_them(client, vigie):
    from vigie.citizen.views import media_items

    base = vigie.settings.public_base_url
    entry = {
        "media": [
            f"{base}/api/v1/photos/{'a' * 32}",
            "https://elsewhere.example/p.jpg",
            "javascript:alert(1)",
        ]
    }
    assert media_items(entry, base) == [
        {"src": f"/api/v1/photos/{'a' * 32}", "href": f"/api/v1/photos/{'a' * 32}"},
        {"src": "", "href": "https://elsewhere.example/p.jpg"},
    ]


def test_public_map_lists_public_reports_only_with_filters_and_no_personal_data(client, vigie):
    kept = submit(client, **PERSONAL)
    code, attributes = sensitive_service(vigie)
    hidden = submit(client, service_code=code, attributes=attributes, address="Rue Confidentielle, Dijon")
    service = next(s for s in vigie.catalogue.services.values() if s.public and s.group != "voirie")
    other = submit(client, service_code=service.code, attributes=valid_attributes(service))
    html = client.get("/carte").text
    assert kept["reference"] in html
    assert hidden["reference"] not in html and "Rue Confidentielle" not in html
    for value in PERSONAL.values():
        assert value not in html
    assert f'<option value="{code}"' not in html  # sensitive categories are not even offered
    # Filters.
    assert kept["reference"] in client.get("/carte?service=nid-de-poule&status=open").text
    assert kept["reference"] not in client.get("/carte?status=resolved").text
    assert kept["reference"] in client.get(f"/carte?zone={kept['zone']}").text
    assert kept["reference"] not in client.get("/carte?zone=21003").text or kept["zone"] == "21003"
    assert kept["reference"] in client.get("/carte?start=2000-01-01&end=2100-12-31").text
    assert kept["reference"] not in client.get("/carte?end=2000-01-01").text
    assert "Aucun signalement" in client.get("/carte?start=2100-01-01").text
    page = client.get("/carte?service=nid-de-poule").text
    assert other["reference"] not in page and kept["reference"] in page
    # Unknown filter values are ignored, never an error.
    assert client.get("/carte?service=nope&status=nope&zone=nope&start=nope&page=1").status_code == 200
    # The map script asks the API with the same filters.
    page = client.get("/carte?status=resolved&zone=21231").text
    assert "status=resolved" in page and "zone=21231" in page


def test_map_list_is_paged(client):
    for _ in range(3):
        submit(client)
    from vigie.citizen import web

    old = web.MAP_PAGE_SIZE
    web.MAP_PAGE_SIZE = 2
    try:
        first = client.get("/carte").text
        assert 'rel="next"' in first and 'rel="prev"' not in first
        second = client.get("/carte?page=2").text
        assert 'rel="prev"' in second and 'rel="next"' not in second
    finally:
        web.MAP_PAGE_SIZE = old


def test_tracking_page_shows_the_resolution_photo(client, vigie, auth):
    from vigie.db import utcnow
    from vigie.reports.storage import PhotoRow, ReportUpdateRow

    report = submit(client)
    key = "b" * 32
    vigie.photos.put(key, jpeg_bytes(), "image/jpeg")
    vigie.photos.put(key + "_t", jpeg_bytes(), "image/jpeg")
    with vigie.db.session(write=True) as s:
        s.add(
            PhotoRow(
                report_id=int(report["id"]),
                key=key,
                kind="resolution",
                content_type="image/jpeg",
                width=64,
                height=48,
                size=100,
                created_at=utcnow(),
            )
        )
        s.add(
            ReportUpdateRow(
                report_id=int(report["id"]),
                kind="status",
                status="resolved",
                previous_status="new",
                public_note="Réparé",
                detail={"media": [f"{vigie.settings.public_base_url}/api/v1/photos/{key}"]},
                at=utcnow(),
            )
        )
        s.commit()
    html = client.get(f"/suivi/{report['token']}").text
    assert "Photos de l&#39;intervention" in html or "Photos de l'intervention" in html
    assert f'<img src="/api/v1/photos/{key}/thumbnail" alt="Photo de l&#39;intervention 1"' in html
    assert f'<img src="/api/v1/photos/{key}" alt="Photo jointe"' in html  # the history entry's picture
    assert 'id="report-photos" hidden' in html  # no photo sent with the report
    assert client.get(f"/api/v1/photos/{key}/thumbnail").status_code == 200
