"""Each light point's dated lamp history: recorded by agents, imported from a city's file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.lighting.helpers import add_light
from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import get_asset
from vigie.assets.lamps import import_lamp_changes, lamp_history
from vigie.lighting.fleet import load_fleet
from vigie.runtime import Vigie


def test_lamp_change_recorded_through_the_api_updates_the_registry(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    add_light(vigie, "SL-1", "HPS", 100, installed_on=date(2001, 1, 1), colorTemperature=2000)
    body = {"changed_on": "2024-03-05", "lampTechnology": "LED", "powerRating": 36, "colorTemperature": 2700}
    r = client.post("/api/v1/assets/SL-1/lamps", json=body, headers=auth("supervisor"))
    assert r.status_code == 201, r.text
    attrs = get_asset(vigie, "SL-1").attributes
    assert (attrs["lampTechnology"], attrs["powerRating"], attrs["colorTemperature"]) == ("LED", 36, 2700)
    assert attrs["luminaireInstalledOn"] == "2024-03-05"  # a conversion installs a new head
    # Again the same day: a conflict, nothing written twice.
    assert client.post("/api/v1/assets/SL-1/lamps", json=body, headers=auth("supervisor")).status_code == 409
    # An earlier relamp enters the history without changing today's attributes.
    old = {"changed_on": "2015-01-02", "kind": "relamp", "lampTechnology": "HPS", "powerRating": 100}
    assert client.post("/api/v1/assets/SL-1/lamps", json=old, headers=auth("supervisor")).status_code == 201
    assert get_asset(vigie, "SL-1").attributes["lampTechnology"] == "LED"
    history = client.get("/api/v1/assets/SL-1/lamps").json()["changes"]
    assert [(c["changed_on"], c["kind"], c["source"]) for c in history] == [
        ("2015-01-02", "relamp", "agent"),
        ("2024-03-05", "conversion", "agent"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"changed_on": "2024-03-05", "lampTechnology": "sodium"}, "lampTechnology"),
        ({"changed_on": "2999-01-01", "lampTechnology": "LED"}, "changed_on"),
        ({"changed_on": "2024-03-05", "lampTechnology": "LED", "kind": "repaint"}, "kind"),
        ({"changed_on": "2024-03-05", "lampTechnology": "LED", "powerRating": -5}, "powerRating"),
    ],
)
def test_lamp_change_bad_input_is_a_4xx_naming_the_field(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]], body: dict[str, object], field: str
) -> None:
    add_light(vigie, "SL-1", "HPS", 100)
    r = client.post("/api/v1/assets/SL-1/lamps", json=body, headers=auth("supervisor"))
    assert 400 <= r.status_code < 500 and field in r.text, r.text
    assert client.get("/api/v1/assets/SL-1/lamps").json()["changes"] == []


def test_lamp_change_needs_assets_manage_and_an_existing_light(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    add_light(vigie, "SL-1", "HPS", 100)
    body = {"changed_on": "2024-03-05", "lampTechnology": "LED"}
    assert client.post("/api/v1/assets/SL-1/lamps", json=body, headers=auth("operator")).status_code == 403
    assert client.post("/api/v1/assets/SL-9/lamps", json=body, headers=auth("admin")).status_code == 404


CSV = """asset_id,changed_on,kind,lampTechnology,powerRating,colorTemperature,upwardLightRatio,note
SL-1,1998-04-01,installed,HPS,150,,,
SL-1,2021-10-12,conversion,LED,60,3000,0,marché 2021-07
SL-2,2019-02-01,conversion,LED,30,2700,0,
"""


def test_lamp_import_loads_past_conversions_once(vigie: Vigie, tmp_path: Path) -> None:
    add_light(vigie, "SL-1", "HPS", 150, installed_on=date(1998, 4, 1))
    add_light(vigie, "SL-2", "MV", 125)
    path = tmp_path / "conversions.csv"
    path.write_text(CSV, encoding="utf-8")
    first = import_lamp_changes(vigie, SYSTEM, path)
    assert (first.lines, first.added, first.skipped, first.updated_points) == (3, 3, 0, 2)
    assert get_asset(vigie, "SL-1").attributes["powerRating"] == 60
    again = import_lamp_changes(vigie, SYSTEM, path)
    assert (again.added, again.skipped) == (0, 3)
    assert len(lamp_history(vigie, "SL-1")) == 2
    # The fleet of the end of 2019: SL-1 still sodium, SL-2 already LED.
    fleet = load_fleet(vigie)
    exists, tech, watts = fleet.history.at(fleet, date(2019, 12, 31))
    assert tech.tolist() == ["HPS", "LED"] and watts.tolist() == [150, 30] and exists.all()
    exists, _, _ = fleet.history.at(fleet, date(1990, 1, 1))
    assert exists.tolist() == [False, False]  # SL-1 came in 1998; SL-2's history starts in 2019


def test_lamp_import_is_all_or_nothing_and_names_each_bad_line(vigie: Vigie, tmp_path: Path) -> None:
    add_light(vigie, "SL-1", "HPS", 150)
    path = tmp_path / "bad.csv"
    path.write_text(CSV.replace("LED,60", "led,60").replace("2019-02-01", "2019-13-01"), encoding="utf-8")
    result = import_lamp_changes(vigie, SYSTEM, path)
    assert result.added == 0
    assert result.problems == [
        "bad.csv:3: lampTechnology: lampTechnology 'led' is not one of HPS, LPS, LED, MH, MV, INC, other",
        "bad.csv:4: changed_on: changed_on is a date YYYY-MM-DD",
    ]
    assert lamp_history(vigie, "SL-1") == []
    path.write_text(CSV, encoding="utf-8")
    assert import_lamp_changes(vigie, SYSTEM, path).problems == [
        "conversions.csv: SL-2: no such asset".replace("conversions", "bad")
    ]
    assert lamp_history(vigie, "SL-1") == []
