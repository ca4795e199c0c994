"""Measured against modelled: cabinets' power readings against what their lights should draw."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from tests.lighting.helpers import add_light
from vigie.lighting.domain import Schedule
from vigie.lighting.measured import level_at, measured_vs_model
from vigie.runtime import Vigie
from vigie.telemetry.lighting import ensure_default_schedule
from vigie.telemetry.storage import TelemetryLatestRow

PARIS = ZoneInfo("Europe/Paris")
NIGHT = datetime(2026, 1, 15, 23, 0, tzinfo=UTC)  # midnight in Dijon: 70 % flux
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def reading(v: Vigie, cabinet: str, at: datetime, watts: float) -> None:
    now = datetime.now(UTC)
    with v.db.session(write=True) as s:
        s.execute(
            insert(TelemetryLatestRow),
            [
                {
                    "asset_id": cabinet,
                    "ts": at,
                    "received_at": now,
                    "data": {"ts": at.isoformat(), "powerConsumption": watts},
                }
            ],
        )
        s.commit()


def test_lighting_level_of_a_schedule_at_an_instant() -> None:
    dimmed = Schedule()
    assert level_at(dimmed, datetime(2026, 1, 15, 19, 0, tzinfo=UTC), PARIS, 47.32, 5.04) == 1.0  # 20:00
    assert level_at(dimmed, NIGHT, PARIS, 47.32, 5.04) == 0.7
    assert level_at(dimmed, NOON, PARIS, 47.32, 5.04) == 0.0
    off = Schedule(off_start="00:00", off_end="05:00")
    assert level_at(off, NIGHT.replace(hour=23, minute=30), PARIS, 47.32, 5.04) == 0.0  # 00:30 local


@pytest.fixture
def cabinets(vigie: Vigie) -> Vigie:
    ensure_default_schedule(vigie)
    add_light(vigie, "SL-1", "LED", 40, cabinet="CAB-0001")
    add_light(vigie, "SL-2", "MV", 125, cabinet="CAB-0001")  # 162.5 W with its ballast
    add_light(vigie, "SL-3", "HPS", 150, cabinet="CAB-0002")  # 187.5 W
    add_light(vigie, "SL-4", "HPS", 100, cabinet="CAB-0003")
    return vigie


def test_lighting_measured_against_model_at_night(cabinets: Vigie) -> None:
    reading(cabinets, "CAB-0001", NIGHT, 150.0)  # model: (40 + 162.5) x 0.7 = 141.75 W
    reading(cabinets, "CAB-0002", NIGHT, 300.0)  # model: 187.5 x 0.7 = 131.25 W
    out = measured_vs_model(cabinets, NIGHT)
    rows = {r["cabinet"]: r for r in out["cabinets"]}
    assert rows["CAB-0001"]["expected_w"] == pytest.approx(141.8, abs=0.1)
    assert (rows["CAB-0001"]["status"], rows["CAB-0002"]["status"]) == ("ok", "over")
    assert rows["CAB-0002"]["ratio"] == pytest.approx(300 / 131.25, abs=0.001)
    assert rows["CAB-0003"]["status"] == "no_reading"
    assert out["counts"] == {"ok": 1, "over": 1, "under": 0, "day_burning": 0, "no_reading": 1}
    assert out["cabinets"][0]["cabinet"] == "CAB-0002"  # the worst first


def test_lighting_measured_power_by_day_is_day_burning(cabinets: Vigie) -> None:
    reading(cabinets, "CAB-0001", NOON, 200.0)
    reading(cabinets, "CAB-0002", NOON, 20.0)  # the cabinet's own draw
    rows = {r["cabinet"]: r for r in measured_vs_model(cabinets, NOON)["cabinets"]}
    assert (rows["CAB-0001"]["status"], rows["CAB-0002"]["status"]) == ("day_burning", "ok")
    # An old reading is not judged.
    assert measured_vs_model(cabinets, NIGHT)["counts"]["no_reading"] == 3
