"""Alarm timers: escalation, missing heartbeats, lighting programs, command time-outs.

One periodic task (``VIGIE_ALARM_TIMER_SECONDS``) that acts only in the process
holding the ingest lock, so that several workers never escalate twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from vigie.runtime import Vigie

log = logging.getLogger(__name__)


def tick(v: Vigie) -> dict[str, int]:
    """One round of every timer; returns what each did. Safe to call from tests."""
    from vigie.alarms.actions import do_escalate_due
    from vigie.telemetry.lighting import ensure_default_schedule, expire_commands, run_schedules

    done = {"heartbeats": 0, "escalated": 0, "expired": 0, "programs": 0}
    pipeline = v.ingest.pipeline
    if pipeline is not None:
        done["heartbeats"] = pipeline.check_heartbeats()
    done["escalated"] = do_escalate_due(v)
    done["expired"] = expire_commands(v)
    if v.settings.lighting_scheduler and v.ingest.source is not None:
        if not v.caches.default_schedule_ensured:
            ensure_default_schedule(v)
            v.caches.default_schedule_ensured = True
        done["programs"] = run_schedules(v)
    return done


class AlarmTimers:
    name = "alarm-timers"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        period = max(self.v.settings.alarm_timer_seconds, 0.5)
        while True:
            await asyncio.sleep(period)
            if not self.v.ingest.leader:
                continue
            try:
                await asyncio.to_thread(tick, self.v)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("alarm timers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


def make_background(v: Vigie) -> list[AlarmTimers]:
    return [AlarmTimers(v)]
