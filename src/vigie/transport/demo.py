"""The Dijon demo's timetable: Divia's recorded day of 31 October 2023, rebuilt and imported.

Divia's October 2023 feed has no stop times; its GTFS-Realtime recording of
31 October 2023 gives, for 2,527 of its trips, observed times and delays, from
which that day's timetable is rebuilt (scheduled = observed - delay) as a feed
that runs every day from today (:func:`vigie.transport.replay.rebuild_day`),
then imported as ``vigie import gtfs`` would. docs/transport.md says what is
real and what is derived.
"""

from __future__ import annotations

from datetime import datetime

from vigie.runtime import Vigie
from vigie.transport.importer import do_import_gtfs
from vigie.transport.replay import rebuild_day

FEED = "dijon/divia_gtfs_2023-10"
RECORDING = "observed_stop_times_2023-10-31_gtfsrt.csv"


def load_demo_timetable(v: Vigie, progress: bool = False) -> list[str]:
    feed = v.settings.open_data_dir / FEED
    recording = feed / RECORDING
    if not recording.is_file():
        return [f"timetable: {recording} not found, skipped (set VIGIE_OPEN_DATA_DIR)"]
    out = v.settings.data_dir / "divia_replay"
    today = datetime.now(v.city.timezone).date()
    day, trips, _ = rebuild_day(feed, recording, out, today)
    result = do_import_gtfs(v, out, progress=progress)
    return [
        f"timetable: Divia's day of {day} rebuilt ({trips} trips, {result.stop_times} stop times), "
        f"running every day from {today}"
    ]


__all__ = ["load_demo_timetable"]
