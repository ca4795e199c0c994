"""The telemetry ingest spread over every process of a PostgreSQL deployment with a broker.

Each process runs one :class:`IngestPipeline` and consumes the partitions it holds
(:mod:`vigie.telemetry.partitions`): per partition, one MQTT connection whose
client id names the partition (``{VIGIE_MQTT_CLIENT_ID}-p3of8``), with a
persistent session subscribed to the topics of that partition's assets one by one.
A device's messages thus reach one process at a time, in order, and the session
outlives its consumer: while a partition changes hands the broker queues its QoS 1
messages and delivers them to the next owner, which first loads the partition's
latest states and active alarms from the database. Hysteresis, heartbeats and the
latest state therefore continue where the previous owner left them.

The process holding the leader lock (:mod:`vigie.telemetry.leader`) also runs what
must happen once: the command dispatcher and acknowledgements (a session of its own,
``{VIGIE_MQTT_CLIENT_ID}``, on ``{prefix}/ack/+``), the retention of samples and the
leader jobs (:mod:`vigie.periodic`). Why: docs/decisions/0004-partitioned-ingest.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from vigie.runtime import Ingest, Vigie
from vigie.telemetry.leader import Leadership
from vigie.telemetry.mqtt import MqttConfig, MqttSource
from vigie.telemetry.partitions import PartitionLeases, fair_share, partition_of
from vigie.telemetry.pipeline import IngestPipeline
from vigie.telemetry.service import ProcessTuning

log = logging.getLogger(__name__)
ROUND_SECONDS = 1.0  # rebalancing and command dispatch
LEADER_RETRY_SECONDS = 10.0
REGISTRY_REFRESH_SECONDS = 30.0


def partitioned(v: Vigie) -> bool:
    """Whether this deployment spreads its ingest: PostgreSQL, a broker, two partitions or more."""
    s = v.settings
    return bool(s.mqtt_url) and v.db.dialect == "postgresql" and s.telemetry_partitions > 1


class PartitionedIngest:
    name = "telemetry"

    def __init__(self, v: Vigie, build_pipeline: Callable[[Vigie], IngestPipeline]) -> None:
        self.v = v
        self.build_pipeline = build_pipeline
        self.n = v.settings.telemetry_partitions
        url = v.settings.resolved_database_url
        self.leases = PartitionLeases(url, self.n)
        self.leader = Leadership(url)
        self.cfg = MqttConfig.from_url(v.settings.mqtt_url, v.settings)
        self.pipeline: IngestPipeline | None = None
        self.sources: dict[int, MqttSource] = {}
        self.assets_of: dict[int, set[str]] = {}
        self.acquired_at: dict[int, datetime] = {}
        self.control: MqttSource | None = None
        self.moves = {"taken": 0, "given": 0}
        self._task: asyncio.Task[None] | None = None
        self.tuning = ProcessTuning()
        self._dispatch = asyncio.Event()
        self._next_leader_try = 0.0
        self._next_refresh = 0.0
        self._next_heartbeats = 0.0
        self._next_retention = 0.0

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._start_pipeline)
        self._task = asyncio.create_task(self._loop())

    def _start_pipeline(self) -> None:
        pipeline = self.build_pipeline(self.v)
        # It owns nothing until it holds a partition: no latest state, no active alarm.
        pipeline.release(set(pipeline.registry.assets))
        pipeline.start(preload=False)
        self.pipeline = pipeline
        # As the single ingest's process: the collector and the switch interval tuned for
        # the stream (they were not, and the partitions' process paid for it).
        self.tuning.apply(self.v.settings.telemetry_switch_interval_ms)
        # The latest state of the whole fleet is no process's memory: readers use the
        # database copy (vigie.telemetry.queries), hence no v.ingest.pipeline here.
        self.v.ingest.status = self.status
        interval = self.v.settings.telemetry_retention_interval_hours * 3600
        self._next_retention = time.monotonic() + interval if interval > 0 else float("inf")

    async def _loop(self) -> None:
        from vigie.telemetry.lighting import dispatch_pending

        loop = asyncio.get_running_loop()
        self.v.ingest.wake_dispatch = lambda: loop.call_soon_threadsafe(self._dispatch.set)
        while True:
            try:
                await asyncio.to_thread(self.round)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._dispatch.wait(), timeout=ROUND_SECONDS)
                self._dispatch.clear()
                if self.control is not None:
                    await asyncio.to_thread(dispatch_pending, self.v, self.control.publish_command)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("partitioned ingest round")
                await asyncio.sleep(1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await asyncio.to_thread(self._stop_all)

    def _stop_all(self) -> None:
        for source in [*self.sources.values(), *([self.control] if self.control else [])]:
            with contextlib.suppress(Exception):
                source.stop()
        self.sources.clear()
        self.control = None
        if self.pipeline is not None:
            self.pipeline.stop()  # writes what waits, then the partitions are free to go
            self.pipeline = None
        self.leases.leave()
        self.leader.release()
        self.v.ingest = Ingest()
        self.tuning.undo()

    # --- one round: leases, leadership, registry, heartbeats, retention ----------------

    def round(self) -> None:
        """Hold a fair share of the partitions; take the leader's work if it is free."""
        now = time.monotonic()
        self._balance()
        if not self.leader.held and now >= self._next_leader_try:
            self._next_leader_try = now + LEADER_RETRY_SECONDS
            if self.leader.try_acquire():
                self._start_control()
        if now >= self._next_refresh:
            self._next_refresh = now + REGISTRY_REFRESH_SECONDS
            self._refresh_registry()
        if now >= self._next_heartbeats:
            self._next_heartbeats = now + max(self.v.settings.alarm_timer_seconds, 0.5)
            self._check_alarms()
        if self.leader.held and now >= self._next_retention:
            self._next_retention = now + self.v.settings.telemetry_retention_interval_hours * 3600
            from vigie.telemetry.retention import apply_retention

            apply_retention(self.v)

    def _balance(self) -> None:
        leases = self.leases
        if not leases.connected:
            try:
                leases.join()
            except Exception as exc:
                log.warning("could not join the partitioned ingest: %s", exc)
                return
        try:
            target = fair_share(self.n, leases.members())
        except Exception as exc:  # the session is gone, and our locks with it: stop at once
            log.warning("lost the partition leases (%s); stopping every partition", exc)
            for partition in sorted(self.sources):
                self._give_back(partition, unlock=False)
            leases.leave()
            return
        for partition in sorted(leases.held, reverse=True)[: max(len(leases.held) - target, 0)]:
            self._give_back(partition)
        if len(leases.held) < target:
            for partition in leases.candidates():
                if len(leases.held) >= target:
                    break
                if leases.try_take(partition):
                    self._take(partition)

    def _take(self, partition: int) -> None:
        assert self.pipeline is not None
        ids = sorted(a for a in self.pipeline.registry.assets if partition_of(a, self.n) == partition)
        self.pipeline.take_over(ids)
        prefix = self.cfg.prefix
        cfg = replace(self.cfg, client_id=f"{self.cfg.client_id}-p{partition}of{self.n}")
        source = MqttSource(cfg, topics=[f"{prefix}/telemetry/{a}" for a in ids])
        source.start(self.pipeline.submit_many)
        self.sources[partition] = source
        self.assets_of[partition] = set(ids)
        self.acquired_at[partition] = datetime.now(UTC)
        self.moves["taken"] += 1
        log.info("telemetry partition %d of %d taken (%d assets)", partition, self.n, len(ids))

    def _give_back(self, partition: int, unlock: bool = True) -> None:
        """Stop consuming a partition: the broker queues its messages in the partition's
        session meanwhile; what this process holds of it is written before the lock goes."""
        assert self.pipeline is not None
        source = self.sources.pop(partition, None)
        if source is not None:
            source.stop()
        try:
            self.pipeline.flush(latest=True)
        except Exception:
            log.exception("could not write partition %d before giving it back", partition)
        self.pipeline.release(self.assets_of.pop(partition, set()))
        self.acquired_at.pop(partition, None)
        if unlock:
            self.leases.give_back(partition)
        self.moves["given"] += 1
        log.info("telemetry partition %d of %d given back", partition, self.n)

    def _start_control(self) -> None:
        assert self.pipeline is not None
        prefix = self.cfg.prefix
        # The deployment's former single-ingest session took every telemetry topic: it
        # must not any more, or the broker would keep queueing the whole fleet for it.
        control = MqttSource(self.cfg, topics=[f"{prefix}/ack/+"], drop=(f"{prefix}/telemetry/+",))
        control.start(self.pipeline.submit_many)
        self.control = control
        self.v.ingest.source = control
        self.v.ingest.leader = True
        log.info("this process leads the ingest: commands, acknowledgements, retention")

    def _refresh_registry(self) -> None:
        """Assets added to the registry: their partition's owner subscribes to their topic."""
        assert self.pipeline is not None
        registry = self.pipeline.registry
        registry.refresh()
        prefix = self.cfg.prefix
        for partition, source in self.sources.items():
            known = self.assets_of[partition]
            new = sorted(
                a for a in registry.assets if a not in known and partition_of(a, self.n) == partition
            )
            if new:
                self.pipeline.take_over(new)
                known.update(new)
                source.add_topics([f"{prefix}/telemetry/{a}" for a in new])

    def _check_alarms(self) -> None:
        """The alarm timer's work on this process's assets: heartbeats and meters."""
        assert self.pipeline is not None
        assets = self.pipeline.registry.assets
        self.pipeline.reconcile_alarms()  # alarms cleared by hand through another process
        for partition, ids in list(self.assets_of.items()):
            mine = [assets[a] for a in ids if a in assets]
            self.pipeline.check_heartbeats(assets=mine, since=self.acquired_at.get(partition))
        # The meters' readings of this process's partitions (consumption rules).
        self.pipeline.check_meters()

    def status(self) -> dict[str, Any]:
        """What this process consumes (``GET /api/v1/telemetry/status`` answered by it)."""
        pipeline = self.pipeline
        return {
            "partitions": self.n,
            "held": sorted(self.leases.held),
            "leader": self.leader.held,
            "moves": dict(self.moves),
            "connected": {p: s.connected.is_set() for p, s in sorted(self.sources.items())},
            "pipeline": pipeline.snapshot() if pipeline is not None else None,
        }
