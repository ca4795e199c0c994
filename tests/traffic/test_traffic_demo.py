"""The demo's traffic profiles and winter circuits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.telemetry.helpers import add_asset
from vigie.runtime import Vigie
from vigie.traffic.demo import load_demo_traffic
from vigie.traffic.domain import MIN_COUNTS
from vigie.traffic.storage import TrafficProfileRow
from vigie.winter.actions import list_circuits, salt_stock
from vigie.winter.demo import FEED, load_demo_winter


def test_traffic_demo_profiles_learnt_enough_to_judge(vigie: Vigie) -> None:
    add_asset(vigie, "DET-001", "traffic_detector", detectorType="inductiveLoop")
    (line,) = load_demo_traffic(vigie)
    assert "672 slots" in line
    with vigie.db.session() as s:
        assert s.scalar(select(func.min(TrafficProfileRow.n))) >= MIN_COUNTS
    assert load_demo_traffic(vigie) == ["demo traffic profiles: already learnt"]


def test_winter_demo_circuits_from_divia(vigie: Vigie) -> None:
    if not (vigie.settings.open_data_dir / FEED).is_dir():
        pytest.skip("needs Divia's GTFS in the shared data")
    add_asset(vigie, "VEH-001", "vehicle", vehicleRole="salt_spreader")
    (line,) = load_demo_winter(vigie)
    circuits = list_circuits(vigie)
    assert len(circuits) == 136 and {c["vehicle_id"] for c in circuits} == {"VEH-001"}
    assert 1100 < sum(c["length_m"] for c in circuits) / 1000 < 1130
    # The tiers by kind of line: trams and trunk lines, other urban lines, school and service runs.
    km = {t: sum(c["length_m"] for c in circuits if c["tier"] == t) / 1000 for t in ("P1", "P2", "P3")}
    assert 320 < km["P1"] < 350 and 460 < km["P2"] < 500 and 280 < km["P3"] < 320, km
    tram = next(c for c in circuits if c["name"].startswith("Tram T1"))
    school = next(c for c in circuits if c["name"].startswith("Bus 61"))
    assert (tram["tier"], school["tier"]) == ("P1", "P3")
    assert "38 P1, 61 P2, 37 P3" in line
    assert salt_stock(vigie)["stock_tonnes"] == 2500
    assert load_demo_winter(vigie) == ["demo winter circuits: already present"]
