"""Scheduled releases: a periodic task that releases the datasets whose frequency is due.

It acts only in the process holding the ingest lock (one per platform), like the
alarm timers, so that several workers never publish the same release twice;
``vigie opendata release-due`` does the same from cron.
"""

from __future__ import annotations

from vigie.periodic import LeaderJob
from vigie.runtime import Vigie


def _release_due(v: Vigie) -> object:
    # Imported when the job runs; the release's engines (pyarrow, the charter's numpy
    # work) are loaded only when a dataset is due (vigie.opendata.actions.do_release).
    from vigie.opendata.actions import do_release_due

    return do_release_due(v)


def make_background(v: Vigie) -> list[LeaderJob]:
    period = v.settings.opendata_schedule_seconds
    return [LeaderJob(v, "scheduled open data releases", _release_due, period)] if period > 0 else []
