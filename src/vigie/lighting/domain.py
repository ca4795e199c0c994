"""The energy model of a lighting fleet, one light point at a time but computed in arrays.

A light point draws its **system watts**: the lamp's rated power plus what its
control gear loses. Discharge lamps (sodium, metal halide, mercury vapour) run
on a magnetic ballast whose share of losses falls as the lamp's power grows; the
sodium figures are the programme's own (70 W draws about 94.5 W, 100 W 135 W,
150 W 187.5 W, 250 W 300 W, 400 W 460 W) and are interpolated between them.
Low-pressure sodium and metal halide lamps get the typical circuit powers of
Schneider Electric's Electrical Installation Guide (its figure A8); no published
figure was found for mercury vapour lamps, which are given the sodium curve (an
assumption). Sources and values: docs/lighting.md; replace :data:`BALLAST_CURVES`
with measured figures where a city has them. An LED luminaire's power is its
driver's (its rated power), an incandescent lamp's its own.

A point burns from sunset to sunrise (with the schedule's offsets), at reduced
flux in the dimming window (70 % from 22:00 to 05:00 in Dijon) and not at all in
a part-night switch-off window. Its **equivalent full-power hours** are the
integral of the level over the year's nights; power is taken as proportional to
the level (LED drivers draw in proportion to their flux; bi-power ballasts
roughly so). Then ``kWh = system W x equivalent hours / 1000``, money and CO2
follow from the city's tariff and emission factor.

Everything here is plain numpy over arrays of points: a fleet of a million
points is a handful of array operations (bench/bench_lighting_energy.py).
Positions are grouped in cells of :data:`CELL_DEGREES` (sunset moves by about
24 s across a tenth of a degree of longitude), and the sun's times are computed
once per cell and schedule for every day of the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from vigie.telemetry.sun import ZENITH, sun_position

# Lamp technologies, by their code in the registry (assets.types.LAMP_TECHNOLOGIES):
# high/low pressure sodium, LED, metal halide, mercury vapour, incandescent, other.
TECHNOLOGIES: tuple[str, ...] = ("HPS", "LPS", "LED", "MH", "MV", "INC", "other")
TECH_INDEX = {t: i for i, t in enumerate(TECHNOLOGIES)}
DISCHARGE = ("HPS", "LPS", "MH", "MV")

# (lamp W, system W / lamp W) points of the magnetic ballast curve; flat outside.
HID_BALLAST = ((70.0, 1.35), (100.0, 1.35), (150.0, 1.25), (250.0, 1.2), (400.0, 1.15))
# Schneider Electric, Electrical Installation Guide, "Discharge lamps", figure A8 (typical
# power demand of a complete unit at 230 V): low-pressure sodium 26 W -> 34.5 W, 36 -> 46.5,
# 66 -> 80.5, 91 -> 105.5, 131 -> 154; metal halide 70 W -> 80.5 W, 150 -> 172.
LPS_BALLAST = (
    (26.0, 34.5 / 26),
    (36.0, 46.5 / 36),
    (66.0, 80.5 / 66),
    (91.0, 105.5 / 91),
    (131.0, 154.0 / 131),
)
MH_BALLAST = ((70.0, 80.5 / 70), (150.0, 172.0 / 150))
NO_GEAR = ((0.0, 1.0),)
BALLAST_CURVES: dict[str, tuple[tuple[float, float], ...]] = {
    "HPS": HID_BALLAST,
    "LPS": LPS_BALLAST,
    "MH": MH_BALLAST,
    "MV": HID_BALLAST,  # no published figure found: the sodium curve (an assumption)
    "LED": NO_GEAR,
    "INC": NO_GEAR,
    "other": NO_GEAR,
}

CELL_DEGREES = 0.1
MINUTES_PER_DAY = 1440.0


# --- system watts ---------------------------------------------------------------------


def tech_codes(technologies: Sequence[str] | np.ndarray) -> np.ndarray:
    """Registry lamp technologies as small integer codes (unknown texts: ``other``).

    Compared as fixed-width text arrays, one technology at a time: a million
    points take a few array comparisons, not a million dictionary look-ups.
    """
    text = np.asarray(technologies)
    if text.dtype.kind != "U":
        text = text.astype("U8")  # longer texts are no technology anyway
    codes = np.full(text.shape, TECH_INDEX["other"], dtype=np.int8)
    for name, i in TECH_INDEX.items():
        codes[text == name] = i
    return codes


def system_watts(tech: np.ndarray, lamp_watts: np.ndarray) -> np.ndarray:
    """What each point draws at full flux (W): lamp power times its gear's factor.

    ``tech`` holds codes from :func:`tech_codes`; ``lamp_watts`` the rated lamp
    powers (NaN or 0 where unknown gives 0: nothing can be said of that point).
    """
    tech = np.asarray(tech)
    watts = np.nan_to_num(np.asarray(lamp_watts, dtype=np.float64), nan=0.0)
    factor = np.ones_like(watts)
    for name, curve in BALLAST_CURVES.items():
        if curve is NO_GEAR:
            continue
        mask = tech == TECH_INDEX[name]
        if mask.any():
            xs = np.array([p[0] for p in curve])
            ys = np.array([p[1] for p in curve])
            factor[mask] = np.interp(watts[mask], xs, ys)
    return watts * factor


def point_system_watts(technology: str, lamp_watts: float) -> float:
    """One point's system watts (the same model, for a single lamp)."""
    return float(system_watts(tech_codes([technology]), np.array([lamp_watts]))[0])


# --- burning hours ------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """How a group of lights burns each night (the lighting schedules' fields, plain).

    Times are local ``HH:MM``; a window's times before noon are the next morning.
    ``off_start``/``off_end``: part-night switch-off (a commune's choice).
    """

    on_offset_minutes: int = 0
    off_offset_minutes: int = 0
    dim_start: str | None = "22:00"
    dim_end: str | None = "05:00"
    dim_level: float = 0.7
    off_start: str | None = None
    off_end: str | None = None

    def with_switch_off(self, start: str | None, end: str | None) -> Schedule:
        return Schedule(
            self.on_offset_minutes,
            self.off_offset_minutes,
            self.dim_start,
            self.dim_end,
            self.dim_level,
            start,
            end,
        )


ALL_NIGHT = Schedule(dim_start=None, dim_end=None)


def _julian_century(day_ordinals: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    jd = day_ordinals + 1721424.5 + 0.5 + (minutes - 720.0) / 1440.0
    return (jd - 2451545.0) / 36525.0


def sun_minutes(day_ordinals: np.ndarray, lat: float, long: float, rising: bool) -> np.ndarray:
    """Sunrise or sunset of each day, in minutes after that day's 00:00 UTC.

    The same NOAA calculation as :mod:`vigie.telemetry.sun` (two passes), over
    arrays; polar day or night is clipped (the sun then never sets or rises:
    an hour angle of 180° or 0°).
    """
    days = np.asarray(day_ordinals, dtype=np.float64)
    minutes = np.full(days.shape, 720.0)
    for _ in range(2):
        eq_time, decl = sun_position(_julian_century(days, minutes))
        latr, declr = np.radians(lat), np.radians(decl)
        cos_ha = np.cos(np.radians(ZENITH)) / (np.cos(latr) * np.cos(declr)) - np.tan(latr) * np.tan(declr)
        ha = np.degrees(np.arccos(np.clip(cos_ha, -1.0, 1.0)))
        minutes = 720 - 4 * (long + (ha if rising else -ha)) - eq_time
    return minutes


def _hm_minutes(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60.0 + int(m)


def _window(text_start: str, text_end: str, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A local-time window of each night, in UTC minutes after the night's own 00:00 UTC.

    ``offsets[i]`` is day ``i``'s UTC offset in minutes (one more day than nights:
    a time before noon is the next morning, whose offset differs on a DST night).
    """
    out = []
    for text in (text_start, text_end):
        local = _hm_minutes(text)
        if local < 720:
            out.append(local + MINUTES_PER_DAY - offsets[1:])
        else:
            out.append(local - offsets[:-1])
    return out[0], out[1]


def _overlap(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> np.ndarray:
    return np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0, None)


def _utc_offsets_minutes(first: date, count: int, tz: ZoneInfo) -> np.ndarray:
    """UTC offset (minutes) at local noon of ``count`` days from ``first``."""
    out = np.empty(count)
    for i in range(count):
        d = first + timedelta(days=i)
        off = datetime(d.year, d.month, d.day, 12, tzinfo=tz).utcoffset()
        out[i] = off.total_seconds() / 60 if off else 0.0
    return out


def yearly_hours(schedule: Schedule, year: int, tz: ZoneInfo, lat: float, long: float) -> tuple[float, float]:
    """(burning hours, equivalent full-power hours) of the nights starting in ``year``.

    A night starts at the day's sunset (+ on offset) and ends at the next day's
    sunrise (+ off offset); the level is 1 but the dimming level in the dimming
    window and 0 in the switch-off window (the lower wins).
    """
    nights = [
        date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
    ]
    ordinals = np.array([d.toordinal() for d in nights] + [nights[-1].toordinal() + 1], dtype=np.float64)
    sets = sun_minutes(ordinals[:-1], lat, long, rising=False)
    rises = sun_minutes(ordinals[1:], lat, long, rising=True) + MINUTES_PER_DAY
    on = sets + schedule.on_offset_minutes
    off = rises + schedule.off_offset_minutes
    night = np.clip(off - on, 0.0, None)
    offsets = _utc_offsets_minutes(nights[0], len(nights) + 1, tz)
    zero = np.zeros(len(nights))
    switched_off = zero
    if schedule.off_start and schedule.off_end:
        s0, s1 = _window(schedule.off_start, schedule.off_end, offsets)
        switched_off = _overlap(on, off, s0, s1)
    dimmed = zero
    if schedule.dim_start and schedule.dim_end and schedule.dim_level < 1:
        d0, d1 = _window(schedule.dim_start, schedule.dim_end, offsets)
        dimmed = _overlap(on, off, d0, d1)
        if schedule.off_start and schedule.off_end:
            s0, s1 = _window(schedule.off_start, schedule.off_end, offsets)
            # The part of the dimming window that is also switched off counts as off.
            dimmed = dimmed - _overlap(np.maximum(on, d0), np.minimum(off, d1), s0, s1)
    burning = night - switched_off
    equivalent = burning - (1.0 - schedule.dim_level) * dimmed
    return float(burning.sum() / 60.0), float(equivalent.sum() / 60.0)


def equivalent_hours(
    lat: np.ndarray,
    long: np.ndarray,
    schedule_index: np.ndarray,
    schedules: Sequence[Schedule],
    year: int,
    tz: ZoneInfo,
) -> np.ndarray:
    """Each point's equivalent full-power hours in ``year``, from its position and schedule.

    ``schedule_index[i]`` is the index in ``schedules`` of point ``i``'s schedule.
    Points without a position (NaN) take the mean position of those with one.
    """
    lat = np.asarray(lat, dtype=np.float64)
    long = np.asarray(long, dtype=np.float64)
    known = ~(np.isnan(lat) | np.isnan(long))
    if not known.all():
        fill_lat = float(lat[known].mean()) if known.any() else 0.0
        fill_long = float(long[known].mean()) if known.any() else 0.0
        lat = np.where(known, lat, fill_lat)
        long = np.where(known, long, fill_long)
    cell_lat = np.round(lat / CELL_DEGREES).astype(np.int64)
    cell_long = np.round(long / CELL_DEGREES).astype(np.int64)
    sched = np.asarray(schedule_index, dtype=np.int64)
    # One integer key per (cell, schedule): a 1-D unique is a plain sort, far
    # quicker than the row-wise unique of a 3-column array.
    lat0, long0 = int(cell_lat.min(initial=0)), int(cell_long.min(initial=0))
    span_long = int(cell_long.max(initial=0)) - long0 + 1
    n_sched = max(len(schedules), 1)
    keys = ((cell_lat - lat0) * span_long + (cell_long - long0)) * n_sched + sched
    unique, inverse = np.unique(keys, return_inverse=True)
    hours = np.empty(len(unique))
    for k, key in enumerate(unique.tolist()):
        cell, si = divmod(key, n_sched)
        clat, clong = divmod(cell, span_long)
        _, hours[k] = yearly_hours(
            schedules[si], year, tz, (clat + lat0) * CELL_DEGREES, (clong + long0) * CELL_DEGREES
        )
    return hours[np.asarray(inverse).reshape(-1)]


# --- energy, money, CO2 --------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    """The city's tariff (per kWh, taxes included) and emission factor (kg CO2e per kWh)."""

    tariff_per_kwh: float = 0.25
    co2_kg_per_kwh: float = 0.06
    currency: str = "EUR"


@dataclass
class PointEnergy:
    """Per-point arrays of a fleet's yearly energy (same order as the points given)."""

    system_watts: np.ndarray  # W at full flux
    hours: np.ndarray  # equivalent full-power hours a year
    kwh: np.ndarray  # kWh a year
    cost: np.ndarray  # money a year (Prices.currency)
    co2_kg: np.ndarray  # kg CO2e a year

    def total(self) -> dict[str, float]:
        return {
            "points": int(len(self.kwh)),
            "system_kw": float(self.system_watts.sum() / 1000.0),
            "kwh": float(self.kwh.sum()),
            "cost": float(self.cost.sum()),
            "co2_kg": float(self.co2_kg.sum()),
        }


def point_energy(
    tech: np.ndarray,
    lamp_watts: np.ndarray,
    hours: np.ndarray,
    prices: Prices,
    second_lamp_watts: np.ndarray | None = None,
    lit: np.ndarray | None = None,
) -> PointEnergy:
    """Yearly kWh, money and CO2 of each point.

    ``tech`` from :func:`tech_codes`; ``lamp_watts`` the rated lamp powers (a
    second lamp of the same technology on the pole in ``second_lamp_watts``);
    ``hours`` from :func:`equivalent_hours` (or any per-point array); ``lit``
    False where a point draws nothing (removed, planned, switched off for good).
    """
    watts = system_watts(tech, lamp_watts)
    if second_lamp_watts is not None:
        watts = watts + system_watts(tech, second_lamp_watts)
    if lit is not None:
        watts = np.where(lit, watts, 0.0)
    kwh = watts * np.asarray(hours, dtype=np.float64) / 1000.0
    return PointEnergy(
        watts,
        np.asarray(hours, dtype=np.float64),
        kwh,
        kwh * prices.tariff_per_kwh,
        kwh * prices.co2_kg_per_kwh,
    )


__all__ = [
    "ALL_NIGHT",
    "BALLAST_CURVES",
    "DISCHARGE",
    "PointEnergy",
    "Prices",
    "Schedule",
    "TECHNOLOGIES",
    "TECH_INDEX",
    "equivalent_hours",
    "point_energy",
    "point_system_watts",
    "sun_minutes",
    "system_watts",
    "tech_codes",
    "yearly_hours",
]
