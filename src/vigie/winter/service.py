"""The embedded simulator's salting runs: with the plan at intervention, the winter vehicles
of the in-process fleet simulator drive their first circuit salting (the demo then shows
coverage climbing); back to a lower level, they are freed. Real fleets report their own
positions over MQTT: then there is no simulator and this does nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from vigie.runtime import Vigie
from vigie.winter.actions import current_level, list_circuits
from vigie.winter.domain import PlanLevel

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0


class SaltingSimulation:
    name = "winter-simulation"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self.driving: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> int:
        """Send or free the vehicles as the plan's level says; returns how many changed."""
        source: Any = self.v.ingest.source
        sim = getattr(source, "simulator", None)
        if sim is None or not hasattr(sim, "drive"):
            return 0
        intervention = current_level(self.v)["level"] == PlanLevel.INTERVENTION
        changed = 0
        lock = getattr(source, "_lock", None) or contextlib.nullcontext()
        if intervention:
            routes: dict[str, list[tuple[float, float]]] = {}
            for c in list_circuits(self.v, with_geometry=True):
                vid = c["vehicle_id"]
                if vid and vid not in routes and vid not in self.driving and vid in sim.devices:
                    routes[vid] = [(float(p[0]), float(p[1])) for p in c["coordinates"]]
            with lock:
                for vid, path in routes.items():
                    sim.drive(vid, path)
            self.driving |= set(routes)
            changed = len(routes)
        elif self.driving:
            with lock:
                for vid in self.driving:
                    sim.drive(vid, [])
            changed, self.driving = len(self.driving), set()
        return changed

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.tick)
            except Exception:
                log.exception("winter salting simulation")
            await asyncio.sleep(TICK_SECONDS)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
