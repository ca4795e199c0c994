"""Background service of the telemetry context: ingest pipeline, its source, retention.

Started by the app lifespan (``vigie.background`` hands it the pipeline to run).
Only the process holding the ingest lock runs it (see :mod:`vigie.telemetry.leader`); the others retry now
and then. The pipeline is published as ``v.ingest.pipeline`` for
queries of the latest state, the alarm timers and manual alarm clearing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from vigie.runtime import Ingest, Vigie
from vigie.telemetry.leader import Leadership
from vigie.telemetry.pipeline import IngestPipeline

log = logging.getLogger(__name__)
REGISTRY_REFRESH_SECONDS = 30.0
LEADER_RETRY_SECONDS = 10.0
DISPATCH_SECONDS = 1.0


class ProcessTuning:
    """The interpreter settings of a process that ingests a stream (either layout:
    :class:`TelemetryService`, or :class:`vigie.telemetry.partitioned.PartitionedIngest`),
    undone when it stops."""

    def __init__(self) -> None:
        self._saved: tuple[tuple[int, int, int], float] | None = None

    def apply(self, switch_interval_ms: float) -> None:
        if self._saved is not None:
            return
        # The registry, the latest states and the libraries live as long as the process:
        # keep them out of the cyclic garbage collector's full passes, which otherwise
        # stop every thread for a few hundred milliseconds now and then under load.
        gc.collect()
        gc.freeze()
        threshold = gc.get_threshold()
        self._saved = (threshold, sys.getswitchinterval())
        gc.set_threshold(max(threshold[0], 20_000), *threshold[1:])
        # Hand the global lock round faster: the alarm writer's database calls each
        # wait for it (setting telemetry_switch_interval_ms says by how much).
        sys.setswitchinterval(switch_interval_ms / 1000)

    def undo(self) -> None:
        if self._saved is None:
            return
        threshold, interval = self._saved
        self._saved = None
        gc.unfreeze()
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)


def simulator_enabled(v: Vigie) -> bool:
    mode = v.settings.telemetry_simulator.lower()
    if mode == "on":
        return True
    if mode == "off" or v.settings.mqtt_url:
        return False
    return v.settings.environment != "test"


def build_source(v: Vigie, pipeline: IngestPipeline) -> Any:
    if v.settings.mqtt_url:
        from vigie.telemetry.mqtt import MqttConfig, MqttSource

        return MqttSource(MqttConfig.from_url(v.settings.mqtt_url, v.settings))
    if simulator_enabled(v):
        from vigie.telemetry.simulator import FleetSimulator
        from vigie.telemetry.sources import InProcessSource

        sim = FleetSimulator(list(pipeline.registry.assets.values()))
        return InProcessSource(
            sim, pipeline.ingest, pipeline.ingest_ack, speed=v.settings.telemetry_simulator_speed
        )
    return None


class TelemetryService:
    name = "telemetry"

    def __init__(self, v: Vigie, build_pipeline: Callable[[Vigie], IngestPipeline]) -> None:
        self.v = v
        # The pipeline comes with its listeners (the alarm rules) from the wiring: this
        # context does not know who listens to its messages.
        self.build_pipeline = build_pipeline
        self.leader = Leadership(v.settings.resolved_database_url)
        self.pipeline: IngestPipeline | None = None
        self.source: Any = None
        self._task: asyncio.Task[None] | None = None
        self._dispatch = asyncio.Event()
        self.tuning = ProcessTuning()

    async def start(self) -> None:
        if await asyncio.to_thread(self.leader.try_acquire):
            await asyncio.to_thread(self._start_ingest)
        self._task = asyncio.create_task(self._loop())

    def _start_ingest(self) -> None:
        v = self.v
        pipeline = self.build_pipeline(v)
        pipeline.start()
        self.pipeline = pipeline
        v.ingest.pipeline = pipeline
        v.ingest.leader = True
        source = build_source(v, pipeline)
        if source is not None:
            self.tuning.apply(v.settings.telemetry_switch_interval_ms)
            source.start(pipeline.submit_many)
            self.source = source
            v.ingest.source = source
        log.info(
            "telemetry ingest started (%d assets, source: %s)",
            len(pipeline.registry),
            source.name if source else "none",
        )

    def wake_dispatch(self) -> None:
        self._dispatch.set()

    async def _loop(self) -> None:
        v = self.v
        last_refresh = last_retention = time.monotonic()
        loop = asyncio.get_running_loop()
        v.ingest.wake_dispatch = lambda: loop.call_soon_threadsafe(self._dispatch.set)
        while True:
            try:
                if self.pipeline is None:
                    await asyncio.sleep(LEADER_RETRY_SECONDS)
                    if await asyncio.to_thread(self.leader.try_acquire):
                        await asyncio.to_thread(self._start_ingest)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._dispatch.wait(), timeout=DISPATCH_SECONDS)
                self._dispatch.clear()
                if self.source is not None:
                    from vigie.telemetry.lighting import dispatch_pending

                    await asyncio.to_thread(dispatch_pending, v, self.source.publish_command)
                now = time.monotonic()
                if now - last_refresh >= REGISTRY_REFRESH_SECONDS:
                    last_refresh = now
                    await asyncio.to_thread(self.pipeline.registry.refresh)
                    if self.source is not None and hasattr(self.source, "simulator"):
                        await asyncio.to_thread(self._sync_simulator)
                interval = v.settings.telemetry_retention_interval_hours * 3600
                if interval > 0 and now - last_retention >= interval:
                    last_retention = now
                    from vigie.telemetry.retention import apply_retention

                    await asyncio.to_thread(apply_retention, v)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("telemetry service loop")
                await asyncio.sleep(1)

    def _sync_simulator(self) -> None:
        """Assets added to the registry start reporting in the embedded simulator."""
        assert self.pipeline is not None
        sim = self.source.simulator
        new = [a for a in self.pipeline.registry.assets.values() if a.id not in sim.devices]
        if new:
            from vigie.telemetry.simulator import FleetSimulator

            with self.source._lock:
                fresh = FleetSimulator(list(self.pipeline.registry.assets.values()))
                for asset_id, d in sim.devices.items():
                    if asset_id in fresh.devices:
                        fresh.devices[asset_id].state = d.state
                        fresh.devices[asset_id].override = d.override
                fresh.last = sim.last
                self.source.simulator = fresh

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        v = self.v
        if self.source is not None:
            await asyncio.to_thread(self.source.stop)
            self.source = None
        if self.pipeline is not None:
            await asyncio.to_thread(self.pipeline.stop)
            self.pipeline = None
        v.ingest = Ingest()
        await asyncio.to_thread(self.leader.release)
        self.tuning.undo()
