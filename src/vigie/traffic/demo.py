"""The Dijon demo's traffic: each detector's usual profile learnt from three weeks of the
simulator's counts (what a city gets by importing its previous system's history)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, select

from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.telemetry.registry import AssetRegistry
from vigie.telemetry.schema import TRAFFIC_DETECTOR
from vigie.telemetry.simulator import FleetSimulator
from vigie.traffic.observer import learn_profiles
from vigie.traffic.storage import TrafficProfileRow

WEEKS = 2  # counts every 5 minutes: six per slot of the week, enough to judge


def load_demo_traffic(v: Vigie) -> list[str]:
    with v.db.session() as s:
        if s.scalar(select(func.count()).select_from(TrafficProfileRow)):
            return ["demo traffic profiles: already learnt"]
    registry = AssetRegistry(v.db)
    registry.refresh()
    detectors = registry.of_kind(TRAFFIC_DETECTOR)
    if not detectors:
        return ["demo traffic profiles: no detector"]
    sim = FleetSimulator(
        detectors, seed=18, rates={"detector_congestion": 0.0}, periods={TRAFFIC_DETECTOR: 300}
    )
    end = utcnow().replace(second=0, microsecond=0)
    seen = 0

    def counts() -> Iterator[tuple[str, datetime, float, float | None, float | None]]:
        nonlocal seen
        t = end - timedelta(weeks=WEEKS)
        while t < end:
            t += timedelta(minutes=5)
            for d in detectors:
                msg = sim.count_at(d.id, t)
                seen += 1
                yield d.id, t, msg["occupancy"], msg["averageVehicleSpeed"], msg["intensity"]

    slots = learn_profiles(v, counts())
    return [f"demo traffic profiles: {slots} slots learnt from {seen} counts of {len(detectors)} detectors"]
