"""Scheduled releases: a periodic task that releases the datasets whose frequency is due.

It acts only in the process holding the ingest lock (one per platform), like the
alarm timers, so that several workers never publish the same release twice;
``vigie opendata release-due`` does the same from cron.
"""

from __future__ import annotations

from vigie.opendata.actions import do_release_due
from vigie.periodic import LeaderJob
from vigie.runtime import Vigie


def make_background(v: Vigie) -> list[LeaderJob]:
    period = v.settings.opendata_schedule_seconds
    return [LeaderJob(v, "scheduled open data releases", do_release_due, period)] if period > 0 else []
