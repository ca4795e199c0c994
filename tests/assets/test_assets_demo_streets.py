"""The demo's light points named after their street from the gazetteer, so that the retrofit
planner can convert a whole street together."""

from __future__ import annotations

from pathlib import Path

from tests.addresses.conftest import BAN_HEADER, BAN_ROWS
from vigie.accounts.domain import SYSTEM
from vigie.addresses.importer import do_import_addresses
from vigie.assets.actions import do_create_asset, get_asset
from vigie.assets.demo_streets import name_demo_lights
from vigie.assets.domain import AssetDraft
from vigie.lighting.planner import PlanOptions
from vigie.lighting.planner_service import plan_city
from vigie.runtime import Vigie

M = 1 / 111_320  # a metre of latitude, in degrees
# Three lights along Dijon's Rue de la Gare, two along Quetigny's avenue, one 300 m from any
# street, one already named (kept as it is).
LIGHTS = [
    ("SL-G1", 47.3230 + 10 * M, 5.0300, ""),
    ("SL-G2", 47.3231 + 10 * M, 5.0303, ""),
    ("SL-G3", 47.3233 + 10 * M, 5.0306, ""),
    ("SL-Q1", 47.3130 - 15 * M, 5.1010, ""),
    ("SL-Q2", 47.3130 - 15 * M, 5.1060, ""),
    ("SL-X1", 47.3300, 5.0300, ""),
    ("SL-N1", 47.3230, 5.0301, "Place de la Gare"),
]


def test_demo_streets_name_lights_and_group_them_in_the_plan(vigie: Vigie, tmp_path: Path) -> None:
    ban = tmp_path / "adresses-21.csv"
    ban.write_text(BAN_HEADER + "\n" + "\n".join(BAN_ROWS) + "\n", encoding="utf-8")
    do_import_addresses(vigie, ban, None, "ban-21")
    for id_, lat, lon, name in LIGHTS:
        attrs = {"lampTechnology": "HPS", "powerRating": 100, "dateLastLampChange": "2024-01-01"}
        do_create_asset(
            vigie,
            AssetDraft(id=id_, type="street_light", name=name, lat=lat, long=lon, attributes=attrs),
            SYSTEM,
        )
    line = name_demo_lights(vigie)[0]
    assert line.startswith("demo street names: 5 of 6 light points on 2 streets")
    names = {id_: get_asset(vigie, id_).name for id_, *_ in LIGHTS}
    assert names == {
        "SL-G1": "Rue de la Gare",
        "SL-G2": "Rue de la Gare",
        "SL-G3": "Rue de la Gare",
        "SL-Q1": "Avenue du Général de Gaulle",
        "SL-Q2": "Avenue du Général de Gaulle",
        "SL-X1": "",
        "SL-N1": "Place de la Gare",
    }
    # Run again: only the point with no street is left to name, and stays unnamed.
    assert name_demo_lights(vigie)[0].startswith("demo street names: 0 of 1 light points")
    # Converting whole streets: three conversions a year fit the Rue de la Gare, not both streets.
    cp = plan_city(
        vigie, None, PlanOptions(start_year=2027, years=3, crew=3, together="street"), check_permission=False
    )
    year = dict(zip(cp.points.ids.tolist(), cp.plan.point_year.tolist(), strict=True))
    assert year["SL-G1"] == year["SL-G2"] == year["SL-G3"] > 0
    assert year["SL-Q1"] == year["SL-Q2"] > 0
    assert year["SL-G1"] != year["SL-Q1"]
