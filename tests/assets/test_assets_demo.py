"""The Dijon demo fleet: counts, realism, positions inside communes, idempotency."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from sqlalchemy import func, select

from vigie.assets import demo
from vigie.assets.actions import draft_of
from vigie.assets.demo import build_demo_fleet, load_demo_fleet
from vigie.assets.demo_plan import CABINETS, LED_LIGHTS, LIGHTS
from vigie.assets.domain import check_asset
from vigie.assets.storage import AssetRow
from vigie.errors import Forbidden
from vigie.runtime import Vigie

EXPECTED = {
    "street_light": 34_000,
    "control_cabinet": 1_100,
    "camera": 269,
    "traffic_signal_controller": 113,
    "road_weather_station": 6,
    "vehicle": 205,
    "traffic_detector": 226,  # two counting loops per signalled junction
}
WATTS = {
    "HPS": {70, 100, 150, 250},
    "MH": {70, 150},
    "MV": {125, 250},
    "LED": {20, 25, 30, 40, 50, 60, 75, 90},
}


@pytest.fixture(scope="module")
def fleet(module_vigie: Vigie) -> list[AssetRow]:
    """The 35,919 assets, loaded once for the module: the tests below only read them."""
    lines = load_demo_fleet(module_vigie)
    assert lines[0].startswith("demo assets: 35919 created")
    with module_vigie.db.session() as s:
        return list(s.scalars(select(AssetRow)))


@pytest.mark.slow
def test_demo_fleet_counts_follow_the_metropoles_figures(fleet: list[AssetRow]) -> None:
    assert Counter(r.type for r in fleet) == EXPECTED
    assert (LIGHTS, CABINETS, LED_LIGHTS) == (34_000, 1_100, 20_400)
    lights = [r for r in fleet if r.type == "street_light"]
    techs = Counter(r.attributes["lampTechnology"] for r in lights)
    assert techs["LED"] == 20_400
    assert set(techs) == {"LED", "HPS", "MH", "MV"}
    for r in lights:
        assert r.attributes["powerRating"] in WATTS[r.attributes["lampTechnology"]], r.id
    # Dijon has the most lights; every commune has some.
    by_zone = Counter(r.zone for r in lights)
    assert by_zone.most_common(1)[0][0] == "21231"
    assert len(by_zone) == 23
    assert min(by_zone.values()) > 50
    vehicles = Counter(r.attributes["vehicleRole"] for r in fleet if r.type == "vehicle")
    assert (vehicles["snow_plough"], vehicles["salt_spreader"]) == (25, 20)
    assert all(r.attributes["busPriority"] for r in fleet if r.type == "traffic_signal_controller")
    # Every asset passes the asset rules (sample of the lights, every camera).
    for r in random.Random(3).sample(fleet, 3000) + [r for r in fleet if r.type == "camera"]:
        check_asset(draft_of(r))
    cams = [r.attributes for r in fleet if r.type == "camera"]
    assert max(a["retentionDays"] for a in cams) <= 30
    assert {a["cameraType"] for a in cams} == {"fixed", "ptz"}


@pytest.mark.slow
def test_demo_fleet_links_hold_together_and_points_lie_in_their_commune(
    module_vigie: Vigie, fleet: list[AssetRow]
) -> None:
    by_id = {r.id: r for r in fleet}
    assert {"SL-021231-00001", "CAB-0001", "CAB-1100", "CAM-0001", "CAM-0269", "TLC-001"} <= set(by_id)
    assert {"TLC-113", "RWS-01", "RWS-06", "VEH-001", "VEH-205"} <= set(by_id)
    cabinet_groups = {
        g: r.id for r in fleet if r.type == "control_cabinet" for g in r.attributes["refStreetlightGroup"]
    }
    for r in fleet:
        if r.type != "street_light":
            continue
        cab = by_id[r.links["refStreetlightControlCabinet"]]
        assert cab.type == "control_cabinet"
        assert cab.zone == r.zone
        assert r.group.startswith(r.zone + "-G")
        assert cabinet_groups[r.group] == cab.id
    groups = {r.group for r in fleet if r.type == "street_light"}
    assert 1_100 <= len(groups) <= 3_300
    sample = random.Random(7).sample(fleet, 2000) + [r for r in fleet if r.type != "street_light"]
    for r in sample:
        assert r.lat is not None and r.long is not None
        zone = module_vigie.city.zones.locate(r.lat, r.long)
        assert zone is not None and zone.code == r.zone, r.id


@pytest.mark.slow
def test_demo_fleet_is_idempotent_and_deterministic(module_vigie: Vigie, fleet: list[AssetRow]) -> None:
    assert load_demo_fleet(module_vigie) == ["demo assets: all 35919 already present"]
    with module_vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AssetRow)) == 35_919
    again = {r["id"]: r for r in build_demo_fleet(module_vigie)}
    for row in random.Random(5).sample(fleet, 500):
        other = again[row.id]
        assert (other["lat"], other["long"], other["attributes"], other["group"]) == (
            row.lat,
            row.long,
            row.attributes,
            row.group,
        )


def test_demo_fleet_refused_in_production(vigie: Vigie) -> None:
    vigie.settings = vigie.settings.model_copy(update={"environment": "production"})
    with pytest.raises(Forbidden):
        load_demo_fleet(vigie)


def test_demo_camera_authorised_on_29_february_expires_on_28_february(
    vigie: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every date drawn is 29 February 2024 (the demo used to crash on such a camera).
    monkeypatch.setattr(demo, "random_day", lambda rng, start, end: "2024-02-29")
    builder = demo.FleetBuilder(vigie)
    builder.cameras()
    cameras = [r for r in builder.rows if r["type"] == "camera"]
    assert len(cameras) == 269
    for r in cameras:
        assert r["attributes"]["authorisationDate"] == "2024-02-29"
        assert r["attributes"]["authorisationExpiry"] == "2029-02-28"
        check_asset(draft_of(AssetRow(**r)))  # at most five years: the domain's rule agrees
