"""Retention periods, one per kind of data, enforced in one place (docs/retention.md).

Each context expires its own data (``reports.retention``: residents' contact data
after their report closed; ``opendata.retention``: superseded release files and
uploads); this module runs them together, daily in the web app (in the process
holding the ingest lock) and from ``vigie retention run``. The outbox and the
telemetry apply their own periods as they run (``VIGIE_OUTBOX_RETENTION_DAYS``,
``VIGIE_TELEMETRY_*_RETENTION_DAYS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from vigie.opendata.retention import do_expire_releases
from vigie.reports.retention import do_expire_contacts
from vigie.runtime import Vigie

log = logging.getLogger(__name__)
DAY = 86_400.0


def run_retention(v: Vigie) -> dict[str, dict[str, int]]:
    return {
        "reporter_contacts": do_expire_contacts(v, v.settings.retention_contact_days),
        "opendata_files": do_expire_releases(v, v.settings.retention_release_days),
    }


class RetentionService:
    name = "retention"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(DAY)
            if not self.v.ingest.leader:
                continue
            try:
                done = await asyncio.to_thread(run_retention, self.v)
                log.info("retention applied: %s", done)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
