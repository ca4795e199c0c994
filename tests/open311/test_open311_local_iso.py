"""Open311 dates carry the city's offset; the cached offsets agree with the time zone database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vigie.open311.params import local_iso


@pytest.mark.parametrize(
    "zone",
    ["Europe/Paris", "America/Los_Angeles", "Australia/Adelaide", "Australia/Lord_Howe", "Asia/Kathmandu"],
)
def test_open311_local_iso_matches_zoneinfo_across_transitions(zone):
    tz = ZoneInfo(zone)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    while t < datetime(2027, 1, 1, tzinfo=UTC):
        assert local_iso(t, tz) == t.astimezone(tz).isoformat(timespec="seconds"), t
        t += timedelta(minutes=14, seconds=59)


def test_open311_local_iso_formats_dijon_winter_and_summer():
    tz = ZoneInfo("Europe/Paris")
    assert local_iso(datetime(2026, 11, 26, 9, 0, 5, 123, tzinfo=UTC), tz) == "2026-11-26T10:00:05+01:00"
    assert local_iso(datetime(2026, 7, 1, 9, 0, tzinfo=UTC), tz) == "2026-07-01T11:00:00+02:00"
    assert local_iso(None, tz) is None
