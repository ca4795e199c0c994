"""The compliance check on a timer (``VIGIE_VIDEO_COMPLIANCE_MINUTES``), in the process that
holds the ingest lock only, so that several workers never open the same alert twice (the
unique open key would refuse it anyway)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from vigie.runtime import Vigie
from vigie.videoprotection.actions import do_check_compliance

log = logging.getLogger(__name__)


class ComplianceTimer:
    name = "video-compliance"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        period = max(self.v.settings.video_compliance_minutes * 60, 1.0)
        first = True
        while True:
            # A first check soon after start (an authorisation may have expired while the
            # platform was down), then one per period.
            await asyncio.sleep(min(period, 30.0) if first else period)
            first = False
            if not self.v.ingest.leader:
                continue
            try:
                await asyncio.to_thread(do_check_compliance, self.v)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("video-protection compliance check")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


def make_background(v: Vigie) -> list[ComplianceTimer]:
    return [ComplianceTimer(v)] if v.settings.video_compliance_minutes > 0 else []
