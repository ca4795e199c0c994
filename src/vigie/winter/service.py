"""The embedded simulator's salting runs: with the plan at intervention, the winter vehicles
of the in-process fleet simulator drive their first circuit salting (the demo then shows
coverage climbing), re-routed when the shift's rota gives them another; back to a lower
level, they are freed. Real fleets report their own
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
        self.driving: dict[str, int] = {}  # vehicle -> the circuit it was sent along
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> int:
        """Send, re-route or free the vehicles as the plan's level and the shift's rota say;
        returns how many changed."""
        source: Any = self.v.ingest.source
        sim = getattr(source, "simulator", None)
        if sim is None or not hasattr(sim, "drive"):
            return 0
        intervention = current_level(self.v)["level"] == PlanLevel.INTERVENTION
        lock = getattr(source, "_lock", None) or contextlib.nullcontext()
        wanted: dict[str, tuple[int, list[tuple[float, float]]]] = {}
        if intervention:
            # A vehicle drives the first of its circuits (P1 first), as assigned now.
            for c in list_circuits(self.v, with_geometry=True):
                vid = c["vehicle_id"]
                if vid and vid not in wanted and vid in sim.devices:
                    wanted[vid] = (c["id"], [(float(p[0]), float(p[1])) for p in c["coordinates"]])
        changed = 0
        with lock:
            for vid, (cid, path) in wanted.items():
                if self.driving.get(vid) != cid:
                    sim.drive(vid, path)
                    changed += 1
            for vid in set(self.driving) - set(wanted):
                sim.drive(vid, [])
                changed += 1
        self.driving = {vid: cid for vid, (cid, _) in wanted.items()}
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
