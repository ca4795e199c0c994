"""Measured against modelled: each control cabinet's latest power reading against the model.

A cabinet's telemetry carries the power its circuits draw (``powerConsumption``,
W). The model says what its lit light points should draw at that instant: the
sum of their system watts times the level their schedule gives them then (0 by
day and in a switch-off window, the dimming level inside the dimming window).
A reading more than :data:`TOLERANCE` away from the model is ``over`` or
``under``; a cabinet drawing power when the model says its lights are off is
``day_burning``. Readings older than :data:`FRESH` are not judged.

Over a span of time the model's energy is the same sum integrated exactly: the
level is constant between the night's switching times (sunset and sunrise with
the offsets, the dimming and switch-off windows), so :func:`equivalent_hours`
adds up those pieces. :func:`cabinet_energy` is what the alarm rules of kind
``consumption`` judge the cabinets' meters against (handed to them by the wiring).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from vigie.lighting.domain import Schedule, system_watts
from vigie.lighting.fleet import Fleet, load_fleet
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


def _switch_times(s: Schedule, night: date, tz: ZoneInfo, lat: float, long: float) -> list[datetime]:
    times = [
        sun.sunset(night, lat, long) + timedelta(minutes=s.on_offset_minutes),
        sun.sunrise(night + timedelta(days=1), lat, long) + timedelta(minutes=s.off_offset_minutes),
    ]
    for a, b in ((s.dim_start, s.dim_end), (s.off_start, s.off_end)):
        if a and b:
            times += [_at(night, a, tz), _at(night, b, tz)]
    return times


def equivalent_hours(
    s: Schedule, start: datetime, end: datetime, tz: ZoneInfo, lat: float, long: float
) -> float:
    """Full-power hours a schedule burns from ``start`` to ``end`` (the level's integral)."""
    if end <= start:
        return 0.0
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    cuts = {start, end}
    night = first
    while night <= last:
        cuts.update(t for t in _switch_times(s, night, tz, lat, long) if start < t < end)
        night += timedelta(days=1)
    points = sorted(cuts)
    hours = 0.0
    for a, b in zip(points, points[1:], strict=False):
        level = level_at(s, a + (b - a) / 2, tz, lat, long)
        hours += level * (b - a).total_seconds() / 3600
    return hours


def _position(fleet: Fleet, mine: np.ndarray, city: tuple[float, float]) -> tuple[float, float]:
    """Where a cabinet's lights are, for their sunset: their mean position, else the city's."""
    if np.isnan(fleet.lat[mine]).all() or np.isnan(fleet.long[mine]).all():
        return city
    return float(np.nanmean(fleet.lat[mine])), float(np.nanmean(fleet.long[mine]))


def cabinet_energy(v: Vigie, spans: list[tuple[str, datetime, datetime]]) -> list[float | None]:
    """What each cabinet's lit light points draw over each span (kWh), by the model.

    None for a cabinet the fleet does not know, or one with a lit point whose lamp
    power is unknown: the model cannot say what that cabinet should count.
    """
    if not spans:
        return []
    fleet = load_fleet(v)
    tz = v.city.timezone
    watts = system_watts(fleet.tech, fleet.watts) + system_watts(fleet.tech, fleet.second_watts)
    unknown = ~(fleet.watts > 0)  # NaN or 0: no rated power recorded
    lit = fleet.lit
    cabinets = fleet.cabinet.astype(str)
    wanted = {cab for cab, _, _ in spans}
    members = {cab: np.flatnonzero((cabinets == cab) & lit) for cab in wanted}
    out: list[float | None] = []
    for cab, start, end in spans:
        mine = members[cab]
        if len(mine) == 0 or unknown[mine].any():
            out.append(None)
            continue
        lat, long = _position(fleet, mine, v.city.centre)
        wh = 0.0
        for k in np.unique(fleet.schedule_index[mine]).tolist():
            part = mine[fleet.schedule_index[mine] == k]
            wh += float(watts[part].sum()) * equivalent_hours(fleet.schedules[k], start, end, tz, lat, long)
        out.append(wh / 1000)
    return out


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
        lat, long = _position(fleet, mine, v.city.centre)
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


__all__ = ["cabinet_energy", "equivalent_hours", "level_at", "measured_vs_model"]
