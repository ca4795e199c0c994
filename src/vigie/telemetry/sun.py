"""Sunrise and sunset (NOAA solar calculator), for the lighting astronomical clock.

Accurate to about a minute at Dijon's latitude, which is what street-lighting
switch points need. The formulas take floats or numpy arrays (the lighting energy
model computes a year of nights at once with them).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

DIJON = (47.322, 5.041)
# Sun's centre 0.833° below the horizon: refraction plus the solar disc's radius.
ZENITH = 90.833


def _julian_century(d: date) -> float:
    jd = d.toordinal() + 1721424.5 + 0.5  # noon UT of that day
    return (jd - 2451545.0) / 36525.0


def sun_position(t: Any) -> tuple[Any, Any]:
    """(equation of time in minutes, declination in degrees) at julian century ``t``.

    ``t`` is a float or a numpy array: the schedules ask for one day, the lighting
    energy model for every day of a year at once, from the same formulas.
    """
    l0 = np.mod(280.46646 + t * (36000.76983 + 0.0003032 * t), 360)
    m = 357.52911 + t * (35999.05029 - 0.0001537 * t)
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    mr = np.radians(m)
    c = (
        np.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + np.sin(2 * mr) * (0.019993 - 0.000101 * t)
        + np.sin(3 * mr) * 0.000289
    )
    omega = 125.04 - 1934.136 * t
    app_long = l0 + c - 0.00569 - 0.00478 * np.sin(np.radians(omega))
    obliq0 = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60
    obliq = obliq0 + 0.00256 * np.cos(np.radians(omega))
    decl = np.degrees(np.arcsin(np.sin(np.radians(obliq)) * np.sin(np.radians(app_long))))
    y = np.tan(np.radians(obliq / 2)) ** 2
    l0r = np.radians(l0)
    eq_time = 4 * np.degrees(
        y * np.sin(2 * l0r)
        - 2 * e * np.sin(mr)
        + 4 * e * y * np.sin(mr) * np.cos(2 * l0r)
        - 0.5 * y * y * np.sin(4 * l0r)
        - 1.25 * e * e * np.sin(2 * mr)
    )
    return eq_time, decl


def _event(d: date, lat: float, long: float, rising: bool) -> datetime | None:
    # Two passes: the second uses the sun's position at the first estimate.
    minutes = 720.0
    for _ in range(2):
        t = _julian_century(d) + (minutes - 720) / (1440 * 36525)
        eq_time, decl = (float(x) for x in sun_position(t))
        latr, declr = math.radians(lat), math.radians(decl)
        cos_ha = math.cos(math.radians(ZENITH)) / (math.cos(latr) * math.cos(declr)) - math.tan(
            latr
        ) * math.tan(declr)
        if not -1 <= cos_ha <= 1:
            return None  # polar day or night
        ha = math.degrees(math.acos(cos_ha))
        minutes = 720 - 4 * (long + (ha if rising else -ha)) - eq_time
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(minutes=minutes)


def sunrise(d: date, lat: float = DIJON[0], long: float = DIJON[1]) -> datetime:
    """Sunrise (UTC) on local date ``d``."""
    out = _event(d, lat, long, True)
    if out is None:
        raise ValueError("no sunrise at this latitude on this day")
    return out


def sunset(d: date, lat: float = DIJON[0], long: float = DIJON[1]) -> datetime:
    """Sunset (UTC) on local date ``d``."""
    out = _event(d, lat, long, False)
    if out is None:
        raise ValueError("no sunset at this latitude on this day")
    return out


def is_night(at: datetime, lat: float = DIJON[0], long: float = DIJON[1]) -> bool:
    """Whether the sun is below the horizon at ``at`` (aware datetime)."""
    at = at.astimezone(UTC)
    # Solar noon is near 12:00 UTC in Europe; the UTC date is the right day to look at.
    d = at.date()
    return not (sunrise(d, lat, long) <= at < sunset(d, lat, long))
