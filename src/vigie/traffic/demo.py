"""The Dijon demo's traffic: each detector's usual profile learnt from three weeks of the
simulator's counts (what a city gets by importing its previous system's history)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.telemetry.registry import assets_of_kind
from vigie.telemetry.schema import TRAFFIC_DETECTOR
from vigie.telemetry.simulator import FleetSimulator
from vigie.traffic.observer import learn_profiles
from vigie.traffic.storage import TrafficProfileRow

WEEKS = 2  # counts every 5 minutes: six per slot of the week, enough to judge


def load_demo_traffic(v: Vigie) -> list[str]:
    with v.db.session() as s:
        if s.scalar(select(func.count()).select_from(TrafficProfileRow)):
            return ["demo traffic profiles: already learnt"]
    detectors = assets_of_kind(v.db, TRAFFIC_DETECTOR)
    if not detectors:
        return ["demo traffic profiles: no detector"]
    sim = FleetSimulator(detectors, seed=18, periods={TRAFFIC_DETECTOR: 300})
    end = utcnow().replace(second=0, microsecond=0)
    step = timedelta(seconds=sim.periods[TRAFFIC_DETECTOR])
    times = [
        end - WEEKS * timedelta(weeks=1) + k * step for k in range(1, WEEKS * timedelta(weeks=1) // step + 1)
    ]
    slots = learn_profiles(v, sim.detector_history(times))
    seen = len(times) * len(detectors)
    return [f"demo traffic profiles: {slots} slots learnt from {seen} counts of {len(detectors)} detectors"]
