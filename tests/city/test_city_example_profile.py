"""The example profile of docs/city-profiles.md, loaded and served like a real city."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.city.profile import load_profile
from vigie.runtime import Vigie

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-profile"
CENTRE = {"lat": 48.9000, "long": 6.6120}  # in the Centre quartier


@pytest.fixture
def example(vigie_settings) -> Iterator[Vigie]:
    v = build_vigie(vigie_settings.model_copy(update={"city": str(EXAMPLE)}))
    yield v
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()


@pytest.fixture
def client(example: Vigie) -> Iterator[TestClient]:
    with TestClient(create_app(vigie=example)) as c:
        yield c


def test_city_example_profile_loads_with_its_own_words_and_holidays():
    city = load_profile(str(EXAMPLE))
    assert city.name == "Sainte-Aube-sur-Seille" and city.reference_prefix == "SAS"
    assert [z.code for z in city.zones.zones] == ["centre", "gare", "vignes", "za"]
    assert city.terms("fr")["zone"] == "Quartier" and city.terms("en")["zones"] == "Neighbourhoods"
    assert city.business_hours.is_holiday(date(2026, 12, 26))  # St Stephen's day in Moselle
    assert sorted(city.legal) == ["accessibility", "contact", "notice", "privacy"]


def test_city_example_profile_serves_residents_with_its_footer_and_pages(client: TestClient):
    home = client.get("/")
    assert home.status_code == 200
    assert "Sainte-Aube-sur-Seille" in home.text
    assert "3 rue des Vignes, Sainte-Aube-sur-Seille" in home.text  # the address hint
    assert "12 rue de la Liberté" not in home.text and "Allo mairie" not in home.text
    for href, label in [
        ("/informations/notice", "Mentions légales"),
        ("/informations/privacy", "Données personnelles"),
        ("/informations/accessibility", "Accessibilité : partiellement conforme"),
        ("/informations/contact", "Contact"),
    ]:
        assert f'<a href="{href}">{label}</a>' in home.text
    assert "Quartiers : tracé fictif" in home.text
    notice = client.get("/informations/notice")
    assert notice.status_code == 200 and "<h1>Mentions légales</h1>" in notice.text
    assert "Directeur de la publication" in notice.text
    assert client.get("/informations/unknown").status_code == 404
    carte = client.get("/carte")
    assert '<label for="f-zone">Quartier</label>' in carte.text
    assert "Zone d&#39;activités du Moulin" in carte.text
    english = client.get("/carte?lang=en")
    assert '<label for="f-zone">Neighbourhood</label>' in english.text
    assert '<a href="/informations/notice">Legal notice</a>' in english.text


def test_city_example_profile_takes_reports_in_its_zones(client: TestClient, api_key: str):
    services = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert services == ["nid-de-poule", "lampadaire", "depot-sauvage", "seringues"]
    r = client.post(
        "/api/v1/reports",
        json={"service_code": "depot-sauvage", "description": "Canapé sur le trottoir", **CENTRE},
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["reference"].startswith("SAS-") and report["zone"] == "centre"
    outside = client.post(
        "/api/v1/reports", json={"service_code": "depot-sauvage", "lat": 47.32, "long": 5.04}
    )
    assert outside.status_code == 422 and "outside Sainte-Aube-sur-Seille" in outside.text


def test_city_example_profile_phone_intake_names_its_phone_service(client: TestClient, example: Vigie):
    from vigie.accounts.actions import do_add_user

    do_add_user(example.db, "accueil@sainte-aube.example", "operator", PASSWORD, name="Accueil")
    r = client.post("/api/v1/auth/login", json={"email": "accueil@sainte-aube.example", "password": PASSWORD})
    assert r.status_code == 200
    page = client.get("/pilotage/appel")
    assert page.status_code == 200
    assert "Appel téléphonique — Sainte-Aube à l&#39;écoute" in page.text
    assert "Appel (Sainte-Aube à l&#39;écoute)" in page.text and "balayage-programme" in page.text
    assert '<a href="/informations/privacy">Données personnelles</a>' in page.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_city_example_profile_residents_pages_show_nothing_of_dijon(client: TestClient, lang: str):
    pages = [
        "/",
        "/carte",
        "/mes-signalements",
        "/infos",
        "/compte",
        "/donnees",
    ]
    for path in pages:
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 200, path
        for dijon in ["Dijon", "Liberté", "métropole", "metropolis", "Commune"]:
            assert dijon not in page.text, (path, dijon)
    # No stops, places, waste rounds or library: each page says so rather than an empty page.
    for path in ["/transports", "/lieux", "/dechets", "/bibliotheque"]:
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 404 and "Sainte-Aube-sur-Seille" in page.text, path
        for dijon in ["Dijon", "Liberté", "métropole", "metropolis", "Commune"]:
            assert dijon not in page.text, (path, dijon)


def test_city_product_text_names_no_city_of_its_own():
    # Product text is every city's: a city's name or words come from its profile ({city}, {zone}…).
    locales = sorted((Path(__file__).resolve().parents[2] / "src" / "vigie").glob("*/locales/*.yaml"))
    assert locales
    for path in locales:
        text = path.read_text(encoding="utf-8").lower()
        for word in [
            "dijon",
            "allo mairie",
            "métropole",
            "metropolis",
            "divia",
            "commune centre",
            "central commune",
        ]:
            assert word not in text, (path.name, word)


def test_city_example_profile_demo_loads_no_data_of_dijon(example: Vigie):
    # `VIGIE_CITY=docs/example-profile make run` runs `vigie demo`: accounts, a key and
    # reports in the profile's zones, but none of Dijon's own data (shops, stops, lights…).
    from sqlalchemy import text

    from vigie.demo import load_demo

    lines = load_demo(example, reports=40)
    assert "demo reports: 40 created" in lines
    assert any("Dijon's own data" in line for line in lines)
    with example.db.session() as s:
        for table in ["assets", "places", "address_points", "transit_stops", "video_cameras"]:
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table  # noqa: S608
        zones = {z for (z,) in s.execute(text("SELECT DISTINCT zone FROM reports"))}
    assert zones and zones <= {"centre", "gare", "vignes", "za"}


@pytest.mark.parametrize(
    ("lang", "portal", "lab"),
    [
        ("fr", "Sainte-Aube-sur-Seille n'a encore publié aucun jeu de données", "Aucune pour l'instant"),
        ("en", "Sainte-Aube-sur-Seille has not published any dataset yet", "None yet"),
    ],
)
def test_city_example_profile_open_data_without_datasets_says_why(
    client: TestClient, lang: str, portal: str, lab: str
):
    page = client.get(f"/donnees?lang={lang}")
    text = page.text.replace("&#39;", "'")
    assert page.status_code == 200 and portal in text and 'href="/donnees/comite"' in text
    # Not "no dataset matches this search": nothing was searched.
    assert "cette recherche" not in text and "this search" not in text
    searched = client.get(f"/donnees?lang={lang}&q=vélo").text.replace("&#39;", "'")
    assert portal in searched
    assert lab in client.get(f"/labo?lang={lang}").text.replace("&#39;", "'")
