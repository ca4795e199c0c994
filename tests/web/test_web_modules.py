"""Optional modules (city.yaml ``modules``): menus, pages and APIs follow the city's profile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD
from vigie.accounts.actions import do_add_user
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.city.profile import load_profile
from vigie.errors import ConfigurationError
from vigie.runtime import Vigie

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-profile"
# Each module's pages and one of its APIs.
MODULE_PAGES = {
    "lighting": ["/pilotage/eclairage", "/pilotage/eclairage/plan", "/eclairage"],
    "traffic": ["/pilotage/trafic"],
    "winter": ["/pilotage/hiver", "/pilotage/hiver/affectations"],
    "videoprotection": [
        "/pilotage/videoprotection",
        "/pilotage/videoprotection/registre",
        "/videoprotection",
    ],
}
MODULE_APIS = {
    "lighting": ["/api/v1/lighting/energy", "/api/v1/lighting/plan", "/api/v1/lighting/schedules"],
    "traffic": ["/api/v1/traffic/controllers"],
    "winter": ["/api/v1/winter/conditions"],
    "videoprotection": ["/api/v1/videoprotection/public.json"],
}
PLACES_MAPPING = """\
format: csv
location: {lat: lat, long: lon}
fields:
  name: {column: nom}
  theme: {value: facilities}
"""
MENU_LINKS = ['href="/pilotage/eclairage"', 'href="/pilotage/trafic"', 'href="/pilotage/hiver"']


@pytest.fixture
def town(vigie_settings) -> Iterator[Vigie]:
    """The docs' example town: a profile that declares no optional module."""
    v = build_vigie(vigie_settings.model_copy(update={"city": str(EXAMPLE)}))
    yield v
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()


@contextmanager
def _signed_in(v: Vigie, role: str) -> Iterator[TestClient]:
    do_add_user(v.db, f"{role}@town.example", role, PASSWORD, name=role)
    with TestClient(create_app(vigie=v)) as c:
        r = c.post("/api/v1/auth/login", json={"email": f"{role}@town.example", "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield c


def test_web_modules_menus_leave_out_what_the_city_does_not_use(town: Vigie) -> None:
    assert town.city.modules == frozenset()
    with _signed_in(town, "admin") as c:
        for path in ["/pilotage", "/pilotage/tableau-de-bord", "/pilotage/appel"]:
            page = c.get(path)
            assert page.status_code == 200, path
            for link in [*MENU_LINKS, 'href="/pilotage/videoprotection"']:
                assert link not in page.text, (path, link)
            assert 'href="/pilotage/equipements"' in page.text  # not optional
        # The equipment map offers the layers of the modules in use only (vehicles: every city's).
        equipment = c.get("/pilotage/equipements").text
        assert 'data-layer="vehicle"' in equipment
        for layer in ["street_light", "control_cabinet", "camera", "traffic_signal_controller"]:
            assert f'data-layer="{layer}"' not in equipment, layer
        home = c.get("/")
        assert home.status_code == 200 and 'href="/eclairage"' not in home.text
        assert 'href="/carte"' in home.text and 'href="/infos"' in home.text
        infos = c.get("/infos").text  # no library search configured: not promised either
        assert "ses services en ligne." in infos and "bibliothèque" not in infos
        # Nor transport, places or waste pages: the town has no stops, places or rounds.
        for link in ['href="/transports"', 'href="/lieux"', 'href="/dechets"']:
            assert link not in home.text, link


def test_web_modules_residents_menu_follows_the_city_data(town: Vigie, tmp_path: Path) -> None:
    from tests.residents.conftest import ROUNDS
    from vigie.places.importer import do_import_places

    rounds = tmp_path / "waste.yaml"
    rounds.write_text(ROUNDS, encoding="utf-8")
    town.settings.waste_rounds = str(rounds)
    places = tmp_path / "lieux.csv"
    places.write_text("id,nom,lat,lon\n1,Mairie,48.9000,6.6120\n", encoding="utf-8")
    mapping = tmp_path / "lieux.yaml"
    mapping.write_text(PLACES_MAPPING, encoding="utf-8")
    do_import_places(town, places, str(mapping))
    with TestClient(create_app(vigie=town)) as c:
        home = c.get("/").text
        assert 'href="/dechets"' in home and 'href="/lieux"' in home
        assert 'href="/transports"' not in home
        assert c.get("/dechets").status_code == 200


def test_web_modules_menus_list_what_dijon_declares(vigie: Vigie) -> None:
    assert vigie.city.modules == {"lighting", "traffic", "winter", "videoprotection"}
    with _signed_in(vigie, "admin") as c:
        page = c.get("/pilotage")
        for link in MENU_LINKS:
            assert link in page.text, link
        assert 'href="/eclairage"' in c.get("/").text
        equipment = c.get("/pilotage/equipements").text
        assert 'data-layer="street_light"' in equipment and 'data-layer="road_weather_station"' in equipment


@pytest.mark.parametrize(
    ("lang", "words"), [("fr", "n'utilise pas ce module"), ("en", "does not use this module")]
)
def test_web_modules_pages_of_an_unused_module_answer_a_clear_404(town: Vigie, lang: str, words: str) -> None:
    with _signed_in(town, "admin") as c:
        for module, paths in MODULE_PAGES.items():
            for path in paths:
                page = c.get(f"{path}?lang={lang}")
                assert page.status_code == 404, path
                assert page.headers["content-type"].startswith("text/html"), path
                assert words in page.text.replace("&#39;", "'"), path
                assert "Sainte-Aube-sur-Seille" in page.text
        for module, paths in MODULE_APIS.items():
            for path in paths:
                r = c.get(path)
                assert r.status_code == 404, path
                assert r.json()["type"].endswith("module_not_in_use") and module in r.json()["detail"], path


# Each residents' section that follows the city's data: its pages and its APIs.
SECTION_PAGES = {
    "transport": ["/transports", "/transports/arrets/1"],
    "places": ["/lieux", "/lieux/1"],
    "waste": ["/dechets", "/dechets/calendrier.ics?commune=57001"],
    "library": ["/bibliotheque"],
}
SECTION_APIS = {
    "transport": [
        "/api/v1/transport/stops/near?lat=48.9&lon=6.612",
        "/api/v1/transport/stops/1/departures",
        "/api/v1/transport/car-parks",
    ],
    "places": ["/api/v1/places", "/api/v1/places/1"],
    "library": ["/api/v1/library/search?q=colette"],
}


@pytest.mark.parametrize(
    ("lang", "words", "back"),
    [
        ("fr", "Sainte-Aube-sur-Seille ne publie pas de données pour cette page", "signaler un problème"),
        ("en", "Sainte-Aube-sur-Seille publishes no data for this page", "report a problem"),
    ],
)
def test_web_modules_residents_sections_without_data_answer_a_clear_404(
    town: Vigie, lang: str, words: str, back: str
) -> None:
    with TestClient(create_app(vigie=town)) as c:
        for section, paths in SECTION_PAGES.items():
            for path in paths:
                page = c.get(path, params={"lang": lang})
                assert page.status_code == 404, path
                assert page.headers["content-type"].startswith("text/html"), path
                text = page.text.replace("&#39;", "'")
                assert words in text, path
                assert '<a href="/">' in text and '<a href="/infos">' in text and back in text, path
        for section, paths in SECTION_APIS.items():
            for path in paths:
                r = c.get(path)
                assert r.status_code == 404, path
                problem = r.json()
                assert problem["type"].endswith("no_data_published"), path
                detail = f"Sainte-Aube-sur-Seille publishes no {section} data ("
                assert problem["detail"].startswith(detail), path


def test_web_modules_residents_section_opens_once_its_data_is_there(town: Vigie, tmp_path: Path) -> None:
    from vigie.places.importer import do_import_places

    with TestClient(create_app(vigie=town)) as c:
        assert c.get("/api/v1/places").status_code == 404
        places = tmp_path / "lieux.csv"
        places.write_text("id,nom,lat,lon\n1,Mairie,48.9000,6.6120\n", encoding="utf-8")
        mapping = tmp_path / "lieux.yaml"
        mapping.write_text(PLACES_MAPPING, encoding="utf-8")
        do_import_places(town, places, str(mapping))
        town.caches.resident_sections = None  # the minute the answer is kept, gone by
        assert [p["name"] for p in c.get("/api/v1/places").json()["places"]] == ["Mairie"]
        assert "Mairie" in c.get("/lieux").text
        town.settings.library_sru_url = "http://127.0.0.1:9/sru"  # a setting is read at once
        assert c.get("/api/v1/library/search", params={"q": "colette"}).status_code == 502


def test_web_modules_video_roles_land_on_the_operations_log_without_video(town: Vigie) -> None:
    with _signed_in(town, "video_operator") as c:
        r = c.get("/pilotage", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/pilotage/main-courante"
        log = c.get("/pilotage/main-courante")
        assert log.status_code == 200
        # The log offers the services of the modules in use only, and names no city's desk.
        assert '<option value="reports">Signalements des habitants</option>' in log.text
        for module_service in ['value="lighting"', 'value="video"', 'value="traffic"', 'value="winter"']:
            assert module_service not in log.text
        offered = [s["code"] for s in c.get("/api/v1/oplog/services").json()["services"]]
        assert offered == ["control", "reports"]


def test_web_modules_unknown_module_is_an_error_of_city_yaml(tmp_path: Path) -> None:
    for name in ["city.yaml", "quartiers.geojson", "catalogue.yaml"]:
        (tmp_path / name).write_text((EXAMPLE / name).read_text(encoding="utf-8"), encoding="utf-8")
    city = tmp_path / "city.yaml"
    text = city.read_text(encoding="utf-8").replace("modules: []", "modules: [lighting, tramway]")
    text = "\n".join(line for line in text.splitlines() if not line.strip().endswith(".md"))
    city.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as exc:
        load_profile(str(tmp_path))
    message = str(exc.value)
    assert "city.yaml:" in message and "modules[1]" in message and "'tramway' is not one of" in message
