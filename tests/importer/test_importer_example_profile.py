"""A city's history imported into the example profile, from its docs alone, and served.

docs/example-profile/historique/ holds what a new city writes by following
docs/city-profiles.md and docs/import.md: its previous system's export, with the
coordinates in a dict column (both quote styles and key spellings), and the mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD
from vigie.accounts.actions import do_add_user
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.importer.run import run_import
from vigie.runtime import Vigie

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-profile"
HISTORY = EXAMPLE / "historique"


@pytest.fixture(scope="module")
def imported(module_vigie: Vigie, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Vigie, object]]:
    settings = module_vigie.settings.model_copy(
        update={"city": str(EXAMPLE), "data_dir": tmp_path_factory.mktemp("example")}
    )
    v = build_vigie(settings)
    result = run_import(v, HISTORY / "signalements.csv", HISTORY / "mapping.yaml")
    yield v, result
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()


@pytest.fixture(scope="module")
def client(imported) -> Iterator[TestClient]:
    v, _ = imported
    do_add_user(v.db, "accueil@sainte-aube.example", "operator", PASSWORD, name="Accueil")
    with TestClient(create_app(vigie=v)) as c:
        r = c.post("/api/v1/auth/login", json={"email": "accueil@sainte-aube.example", "password": PASSWORD})
        assert r.status_code == 200
        yield c


def test_importer_example_profile_imports_dict_coordinates_and_refuses_what_is_outside(imported):
    _, result = imported
    assert result.created == 3
    assert [line for line, _ in result.failed] == [5]  # route de Metz: outside the town
    assert "outside" in result.failed[0][1]


def test_importer_example_profile_history_in_open311(client: TestClient):
    listed = client.get("/open311/v2/requests.json", params={"start_date": "2019-01-01T00:00:00Z"}).json()
    by_text = {r["description"]: r for r in listed}
    assert len(listed) == 3
    hole = by_text["Trou devant la mairie"]
    light = by_text["Lampadaire éteint rue de la Gare"]
    dump = by_text["Encombrants au pied de l'église"]
    assert (hole["lat"], hole["long"], hole["status"]) == (48.9, 6.612, "open")  # {'lon': …, 'lat': …}
    assert (light["lat"], light["long"]) == (48.901, 6.625)  # {"lat": …, "lng": …}
    assert (dump["lat"], dump["long"]) == (48.908, 6.62)  # {'Latitude': …, 'Longitude': …}
    assert light["status"] == "closed" and light["status_notes"] == "Lampe changée."
    assert hole["requested_datetime"].startswith("2019-03-02T10:00:00+01:00")  # the town's time
    assert light["service_code"] == "lampadaire" and dump["service_code"] == "depot-sauvage"


def test_importer_example_profile_history_in_the_queue_never_overdue(client: TestClient):
    queue = client.get("/api/v1/pilotage/queue").json()
    assert queue["total"] == 2
    assert {item["reference"] for item in queue["items"]} == {"SAS-2019-48213", "SAS-2019-48215"}
    assert {item["zone"] for item in queue["items"]} == {"centre", "vignes"}
    assert client.get("/api/v1/pilotage/queue", params={"sla": "overdue"}).json()["total"] == 0
    found = client.get("/api/v1/pilotage/queue", params={"q": "église"}).json()
    assert [item["reference"] for item in found["items"]] == ["SAS-2019-48215"]
