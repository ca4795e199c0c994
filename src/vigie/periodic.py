"""Jobs a deployment runs once per period, whatever its number of workers and nodes.

Every worker starts the job; only the one that holds the leader lock (the telemetry
ingest's PostgreSQL advisory lock, or the only process of the embedded default) does
the work, in a thread, so that the event loop keeps serving. A failure is logged and
the job goes on at its next period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigie.runtime import Vigie

__all__ = ["LeaderJob"]

log = logging.getLogger(__name__)


class LeaderJob:
    """``work(v)`` every ``period`` seconds on the leader; the first run after ``first_after``."""

    def __init__(
        self,
        v: Vigie,
        name: str,
        work: Callable[[Vigie], object],
        period: float,
        first_after: float | None = None,
        log_result: bool = False,
    ) -> None:
        self.v = v
        self.name = name
        self.work = work
        self.period = period
        self.first_after = period if first_after is None else first_after
        self.log_result = log_result
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        wait = self.first_after
        while True:
            await asyncio.sleep(wait)
            wait = self.period
            if not self.v.ingest.leader:
                continue
            try:
                done = await asyncio.to_thread(self.work, self.v)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", self.name)
                continue
            if self.log_result:
                log.info("%s: %s", self.name, done)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
