"""Measured against modelled: cabinets' power readings against what their lights should draw."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from tests.lighting.helpers import add_light
from vigie.alarms.engine import RuleEngine
from vigie.alarms.rules import RULES_DIR, load_rules
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.lighting.domain import Schedule
from vigie.lighting.measured import cabinet_energy, equivalent_hours, level_at, measured_vs_model
from vigie.lighting.storage import SwitchOffRow
from vigie.runtime import Vigie
from vigie.telemetry import sun
from vigie.telemetry.lighting import ensure_default_schedule
from vigie.telemetry.registry import AssetRegistry
from vigie.telemetry.simulator import RATES, FleetSimulator
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


def test_lighting_equivalent_hours_of_a_span_hand_checked() -> None:
    evening = datetime(2026, 1, 15, 19, 0, tzinfo=UTC)  # 20:00 in Dijon, long after sunset
    two_am = datetime(2026, 1, 16, 1, 0, tzinfo=UTC)
    # 20:00-22:00 at full flux, 22:00-02:00 at 70 %.
    assert equivalent_hours(Schedule(), evening, two_am, PARIS, 47.32, 5.04) == pytest.approx(2 + 4 * 0.7)
    # Switched off from midnight: 2 h + 2 h at 70 %.
    off = Schedule(off_start="00:00", off_end="05:00")
    assert equivalent_hours(off, evening, two_am, PARIS, 47.32, 5.04) == pytest.approx(2 + 2 * 0.7)
    # From noon: lit from sunset on.
    sunset = sun.sunset(date(2026, 1, 15), 47.32, 5.04)
    lit = (evening - sunset).total_seconds() / 3600
    assert equivalent_hours(Schedule(), NOON, evening, PARIS, 47.32, 5.04) == pytest.approx(lit)
    # A whole day is one night's hours: about 15 h 40 of darkness in mid-January, 7 h dimmed.
    day = equivalent_hours(Schedule(), NOON, NOON + timedelta(days=1), PARIS, 47.32, 5.04)
    night = (sun.sunrise(date(2026, 1, 16), 47.32, 5.04) - sunset).total_seconds() / 3600
    assert day == pytest.approx(night - 7 * 0.3)


def test_lighting_cabinet_energy_over_a_span(cabinets: Vigie) -> None:
    add_light(cabinets, "SL-5", "HPS", 0, cabinet="CAB-0004")  # no rated power recorded
    evening = datetime(2026, 1, 15, 19, 0, tzinfo=UTC)
    two_am = datetime(2026, 1, 16, 1, 0, tzinfo=UTC)
    spans = [(c, evening, two_am) for c in ("CAB-0001", "CAB-0002", "CAB-0004", "CAB-9999")]
    kwh = cabinet_energy(cabinets, spans)
    assert kwh[0] == pytest.approx((40 + 162.5) * 4.8 / 1000)
    assert kwh[1] == pytest.approx(187.5 * 4.8 / 1000)
    assert kwh[2:] == [None, None]  # a lamp of unknown power; a cabinet without lights


def add_cabinet(
    v: Vigie, cab_id: str, lights: int, watts: float, zone: str = "21231", **attributes: Any
) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": cab_id,
            "type": "control_cabinet",
            "name": cab_id,
            "lat": 47.3222,
            "long": 5.0342,
            "zone": zone,
            "status": "in_service",
            "group": "",
            "attributes": attributes,
            "links": {},
            "created_at": now,
            "updated_at": now,
        }
    ]
    rows += [
        {
            **rows[0],
            "id": f"SL-{cab_id}-{i:02d}",
            "type": "street_light",
            "group": "G-001",
            "attributes": {"lampTechnology": "HPS", "powerRating": watts},
            "links": {"refStreetlightControlCabinet": cab_id},
        }
        for i in range(lights)
    ]
    with v.db.session(write=True) as s:
        s.execute(insert(AssetRow), rows)
        s.commit()


def test_lighting_demo_cabinets_raise_and_clear_abnormal_consumption(vigie: Vigie) -> None:
    """The simulated cabinets' meters against the model, through Dijon's alarm rule."""
    ensure_default_schedule(vigie)
    add_cabinet(vigie, "CAB-0100", 30, 100)  # 30 x 135 W: about 4 kW at full flux
    # Saint-Apollinaire switches off from midnight to 05:00: its cabinet's clock cuts the lights.
    add_cabinet(vigie, "CAB-0200", 30, 100, zone="21540", switchingMode="night-OFF")
    with vigie.db.session(write=True) as s:
        s.add(SwitchOffRow(zone="21540", off_start="00:00", off_end="05:00", note="", updated_at=utcnow()))
        s.commit()
    registry = AssetRegistry(vigie.db)
    registry.refresh()
    rules = [r for r in load_rules(RULES_DIR / "dijon.yaml") if r.id == "cabinet-abnormal-consumption"]
    engine = RuleEngine(rules, partial(cabinet_energy, vigie))
    rates = dict.fromkeys(RATES, 0.0)
    sim = FleetSimulator(list(registry.assets.values()), seed=3, rates=rates)
    seen: list[tuple[str, str, str]] = []

    def run(start: datetime, hours: float) -> datetime:
        at = start
        while at < start + timedelta(hours=hours):
            at += timedelta(minutes=5)
            for asset_id, msg in sim.step(at):
                info = registry.get(asset_id)
                if info is not None and info.kind == "cabinet":
                    engine.evaluate(info, msg, msg, at)
            windows = engine.meter_windows(at)
            engine.model_windows(windows)
            seen.extend((op.kind, op.asset.id, op.detail["direction"]) for op in engine.judge_meters(windows))
        return at

    # A January night from 17:00: the meters follow the model (the night-OFF cabinet cuts at midnight).
    at = run(datetime(2026, 1, 15, 16, 0, tzinfo=UTC), 10)
    assert seen == []
    # Lights stuck at full flux and a fault to earth: 60 % more on one cabinet.
    sim.devices["CAB-0100"].state["overdraw"] = 1.6
    at = run(at, 3.5)
    assert {(kind, cab) for kind, cab, _ in seen} == {("raise", "CAB-0100"), ("repeat", "CAB-0100")}
    assert seen[0] == ("raise", "CAB-0100", "over")
    sim.devices["CAB-0100"].state["overdraw"] = 1.0
    run(at, 3.5)
    assert [(kind, cab) for kind, cab, _ in seen if kind != "repeat"] == [
        ("raise", "CAB-0100"),
        ("clear", "CAB-0100"),
    ]


def test_lighting_abnormal_consumption_raises_at_once_after_a_restart(vigie: Vigie) -> None:
    """The alarm's window is seeded from the readings the series holds: an ingest started
    after 3.5 hours of stored readings of a cabinet drawing 60 % too much raises at its
    first judgement, instead of a whole window later; a normal cabinet raises nothing."""
    import json

    from vigie.alarms.ingest import build_pipeline
    from vigie.alarms.queries import active_keys
    from vigie.telemetry import writer

    ensure_default_schedule(vigie)
    add_cabinet(vigie, "CAB-0100", 30, 100)  # drawing 60 % too much
    add_cabinet(vigie, "CAB-0300", 30, 100)  # normal
    registry = AssetRegistry(vigie.db)
    registry.refresh()
    sim = FleetSimulator(list(registry.assets.values()), seed=3, rates=dict.fromkeys(RATES, 0.0))
    sim.devices["CAB-0100"].state["overdraw"] = 1.6
    at = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)  # a January night, 18:00 in Dijon
    samples: list[tuple[str, int, str]] = []
    for _ in range(42):  # 3.5 hours, every 5 minutes
        at += timedelta(minutes=5)
        for asset_id, msg in sim.step(at):
            if asset_id.startswith("CAB-"):
                samples.append((asset_id, int(at.timestamp() * 1000), json.dumps(msg, default=str)))
    with vigie.db.session(write=True) as s:
        writer.write_samples(s, samples)
        s.commit()

    def restarted():  # type: ignore[no-untyped-def]
        return build_pipeline(vigie, partial(cabinet_energy, vigie))

    cold = restarted()  # what a restart did before: nothing to judge for three hours
    assert cold.check_meters(at) == 0
    pipeline = restarted()
    assert pipeline.seed_meters(list(pipeline.registry.assets.values()), now=at) == 2
    assert pipeline.check_meters(at) == 1
    pipeline.flush_alarms()
    assert active_keys(vigie) == [("CAB-0100", "cabinet-abnormal-consumption")]


def test_lighting_measured_lights_without_coordinates_take_the_city_position() -> None:
    from types import SimpleNamespace

    import numpy as np

    from vigie.lighting.measured import _position

    nowhere = SimpleNamespace(lat=np.array([np.nan, np.nan]), long=np.array([np.nan, np.nan]))
    assert _position(nowhere, np.array([0, 1]), (48.78, -3.05)) == (48.78, -3.05)  # type: ignore[arg-type]
    placed = SimpleNamespace(lat=np.array([48.0, 49.0]), long=np.array([-3.0, -4.0]))
    assert _position(placed, np.array([0, 1]), (0.0, 0.0)) == (48.5, -3.5)  # type: ignore[arg-type]
