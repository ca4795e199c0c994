"""Measured against modelled: each control cabinet's latest power reading against the model.

A cabinet's telemetry carries the power its circuits draw (``powerConsumption``,
W). The model says what its lit light points should draw at that instant: the
sum of their system watts times the level their schedule gives them then (0 by
day and in a switch-off window, the dimming level inside the dimming window).
A reading more than :data:`TOLERANCE` away from the model is ``over`` or
``under``; a cabinet drawing power when the model says its lights are off is
``day_burning``. Readings older than :data:`FRESH` are not judged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from vigie.lighting.domain import Schedule, system_watts
from vigie.lighting.fleet import load_fleet
from vigie.runtime import Vigie
from vigie.telemetry import sun
from vigie.telemetry.queries import latest_values

TOLERANCE = 0.25
FRESH = timedelta(minutes=30)
IDLE_WATTS = 50.0  # a cabinet's own draw (controller, modem): below it, its lights are off
STATUSES = ("ok", "over", "under", "day_burning", "no_reading")


def _at(day: date, hm: str, tz: ZoneInfo) -> datetime:
    h, m = (int(x) for x in hm.split(":"))
    when = day + timedelta(days=1) if h < 12 else day
    return datetime.combine(when, time(h, m), tz).astimezone(UTC)


def level_at(s: Schedule, at: datetime, tz: ZoneInfo, lat: float, long: float) -> float:
    """The level a schedule gives its lights at ``at`` (0 to 1)."""
    local = at.astimezone(tz)
    night = local.date() if local.hour >= 12 else local.date() - timedelta(days=1)
    on = sun.sunset(night, lat, long) + timedelta(minutes=s.on_offset_minutes)
    off = sun.sunrise(night + timedelta(days=1), lat, long) + timedelta(minutes=s.off_offset_minutes)
    if not on <= at < off:
        return 0.0
    if s.off_start and s.off_end and _at(night, s.off_start, tz) <= at < _at(night, s.off_end, tz):
        return 0.0
    if s.dim_start and s.dim_end and _at(night, s.dim_start, tz) <= at < _at(night, s.dim_end, tz):
        return s.dim_level
    return 1.0


def _when(values: dict[str, Any], received_ms: float) -> datetime:
    ts = values.get("ts")
    if isinstance(ts, str):
        try:
            return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(received_ms / 1000, UTC)


def measured_vs_model(v: Vigie, now: datetime | None = None) -> dict[str, Any]:
    """Each cabinet's latest power reading against what the model expects then."""
    now = now or datetime.now(UTC)
    fleet = load_fleet(v)
    tz = v.city.timezone
    watts = np.where(
        fleet.lit, system_watts(fleet.tech, fleet.watts) + system_watts(fleet.tech, fleet.second_watts), 0.0
    )
    cabinets = fleet.cabinet.astype(str)
    latest = latest_values(v)
    rows: list[dict[str, Any]] = []
    counts = dict.fromkeys(STATUSES, 0)
    for cab in sorted(set(cabinets.tolist()) - {""}):
        mine = np.flatnonzero(cabinets == cab)
        reading = latest.get(cab)
        row: dict[str, Any] = {"cabinet": cab, "points": int(len(mine))}
        power = reading[1].get("powerConsumption") if reading else None
        when = _when(reading[1], reading[0]) if reading else None
        if power is None or when is None or now - when > FRESH:
            row["status"] = "no_reading"
            counts["no_reading"] += 1
            rows.append(row)
            continue
        lat = float(np.nanmean(fleet.lat[mine])) if not np.isnan(fleet.lat[mine]).all() else sun.DIJON[0]
        long = float(np.nanmean(fleet.long[mine])) if not np.isnan(fleet.long[mine]).all() else sun.DIJON[1]
        expected = 0.0
        for k in np.unique(fleet.schedule_index[mine]).tolist():
            part = mine[fleet.schedule_index[mine] == k]
            expected += float(watts[part].sum()) * level_at(fleet.schedules[k], when, tz, lat, long)
        measured = float(power)
        if expected <= 0:
            status = "day_burning" if measured > IDLE_WATTS else "ok"
        else:
            ratio = measured / expected
            status = "over" if ratio > 1 + TOLERANCE else "under" if ratio < 1 - TOLERANCE else "ok"
            row["ratio"] = round(ratio, 3)
        row.update(
            {"at": when.isoformat(), "measured_w": round(measured, 1), "expected_w": round(expected, 1)}
        )
        row["status"] = status
        counts[status] += 1
        rows.append(row)
    rows.sort(key=lambda r: (r["status"] in ("ok", "no_reading"), -abs(r.get("ratio", 1) - 1)))
    return {"as_of": now.isoformat(), "tolerance": TOLERANCE, "counts": counts, "cabinets": rows}


__all__ = ["level_at", "measured_vs_model"]
