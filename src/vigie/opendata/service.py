"""Scheduled releases: a periodic task that releases the datasets whose frequency is due.

It acts only in the process holding the ingest lock (one per platform), like the
alarm timers, so that several workers never publish the same release twice;
``vigie opendata release-due`` does the same from cron.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from vigie.opendata.actions import do_release_due
from vigie.runtime import Vigie

log = logging.getLogger(__name__)


class ReleaseScheduler:
    name = "opendata-releases"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.v.settings.opendata_schedule_seconds > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.v.settings.opendata_schedule_seconds)
            if not self.v.ingest.leader:
                continue
            try:
                await asyncio.to_thread(do_release_due, self.v)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduled open data releases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


def make_background(v: Vigie) -> list[ReleaseScheduler]:
    return [ReleaseScheduler(v)]
