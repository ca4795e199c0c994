"""/openapi.json follows the city served: the routes of the modules its profile uses and of the
residents' sections it has data for (as menus and 404s do), examples from its own place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.test_web_modules import PLACES_MAPPING
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.runtime import Vigie

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-profile"
MODULE_PREFIXES = ["/api/v1/lighting", "/api/v1/traffic", "/api/v1/winter", "/api/v1/videoprotection"]


@pytest.fixture
def town(vigie_settings) -> Iterator[Vigie]:
    """The docs' example town: no optional module, no places or stops imported."""
    v = build_vigie(vigie_settings.model_copy(update={"city": str(EXAMPLE)}))
    yield v
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()


def _paths(c: TestClient, prefix: str) -> list[str]:
    return [p for p in c.get("/openapi.json").json()["paths"] if p.startswith(prefix)]


def test_web_openapi_leaves_out_the_modules_and_sections_a_city_does_not_show(town: Vigie) -> None:
    with TestClient(create_app(vigie=town)) as c:
        paths = c.get("/openapi.json").json()["paths"]
        assert "/api/v1/reports" in paths and "/open311/v2/requests.{fmt}" in paths
        for prefix in [*MODULE_PREFIXES, "/api/v1/places", "/api/v1/transport"]:
            assert not [p for p in paths if p.startswith(prefix)], prefix
        assert "Liberté" not in c.get("/openapi.json").text


def test_web_openapi_lists_the_modules_dijon_uses_with_an_example_at_its_centre(vigie: Vigie) -> None:
    with TestClient(create_app(vigie=vigie)) as c:
        for prefix in MODULE_PREFIXES:
            assert _paths(c, prefix), prefix
        document = c.get("/openapi.json")
        assert "Liberté" not in document.text
        body = document.json()["paths"]["/api/v1/traffic/events"]["post"]["requestBody"]
        (example,) = body["content"]["application/json"]["schema"]["examples"]
        lat, long = vigie.city.centre
        points = example["geometry"]["coordinates"]
        assert all(abs(x - long) < 0.01 and abs(y - lat) < 0.01 for x, y in points)
        assert example["starts_at"].endswith("+01:00")  # Europe/Paris in December
        assert c.get("/docs").status_code == 200


def test_web_openapi_lists_a_section_once_its_data_is_imported(town: Vigie, tmp_path: Path) -> None:
    from vigie.places.importer import do_import_places

    with TestClient(create_app(vigie=town)) as c:
        assert _paths(c, "/api/v1/places") == []
        places = tmp_path / "lieux.csv"
        places.write_text("id,nom,lat,lon\n1,Mairie,48.9000,6.6120\n", encoding="utf-8")
        mapping = tmp_path / "lieux.yaml"
        mapping.write_text(PLACES_MAPPING, encoding="utf-8")
        do_import_places(town, places, str(mapping))
        town.caches.resident_sections = None  # the menu's answer is kept a minute
        assert "/api/v1/places" in _paths(c, "/api/v1/places")
