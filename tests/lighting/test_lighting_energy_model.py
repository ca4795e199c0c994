"""The energy model: system watts, burning hours and yearly energy, checked by hand."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from vigie.lighting import domain as d
from vigie.telemetry import sun
from vigie.telemetry.lighting import program_for

PARIS = ZoneInfo("Europe/Paris")
DIJON = (47.322, 5.041)


@pytest.mark.parametrize(
    ("tech", "lamp", "system"),
    [
        ("HPS", 70, 94.5),
        ("HPS", 100, 135.0),
        ("HPS", 150, 187.5),
        ("HPS", 250, 300.0),
        ("HPS", 400, 460.0),
        ("HPS", 125, 125 * 1.30),  # halfway between 100 W (x1.35) and 150 W (x1.25)
        ("HPS", 50, 50 * 1.35),  # below the curve: its first factor
        ("HPS", 1000, 1150.0),  # above it: its last
        ("MV", 250, 300.0),  # the sodium curve: no published figure found
        ("MH", 70, 80.5),  # Schneider Electric's installation guide, figure A8
        ("MH", 150, 172.0),
        ("MH", 400, 400 * 172 / 150),  # flat above its last figure
        ("LPS", 36, 46.5),
        ("LPS", 131, 154.0),
        ("LED", 40, 40.0),
        ("INC", 100, 100.0),
        ("unheard-of", 60, 60.0),
    ],
)
def test_lighting_system_watts_by_technology(tech: str, lamp: float, system: float) -> None:
    assert d.point_system_watts(tech, lamp) == pytest.approx(system)


def test_lighting_system_watts_unknown_power_is_zero() -> None:
    out = d.system_watts(d.tech_codes(["HPS", "LED"]), np.array([np.nan, 30.0]))
    assert out.tolist() == [0.0, 30.0]


def test_lighting_sun_arrays_match_the_astronomical_clock() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(0, 366, 17)]
    ordinals = np.array([x.toordinal() for x in days], dtype=float)
    sets = d.sun_minutes(ordinals, *DIJON, rising=False)
    rises = d.sun_minutes(ordinals, *DIJON, rising=True)
    for day, s, r in zip(days, sets, rises, strict=True):
        for minutes, ref in ((s, sun.sunset(day)), (r, sun.sunrise(day))):
            expected = ref.hour * 60 + ref.minute + (ref.second + ref.microsecond / 1e6) / 60
            assert minutes == pytest.approx(expected, abs=1 / 60)  # within a second


def _brute_force_hours(schedule: dict[str, object], year: int) -> float:
    """The year's equivalent full-power hours from the schedules' own nightly programs."""
    total = 0.0
    first = date(year, 1, 1)
    for i in range((date(year + 1, 1, 1) - first).days):
        steps = program_for(schedule, first + timedelta(days=i), PARIS, *DIJON)
        for (t0, level), (t1, _) in zip(steps, steps[1:], strict=False):
            total += level * (t1 - t0).total_seconds() / 3600
    return total


@pytest.mark.parametrize(
    ("schedule", "kwargs"),
    [
        ({"dim_start": None}, {"dim_start": None, "dim_end": None}),
        ({"dim_start": "22:00", "dim_end": "05:00", "dim_level": 0.7}, {}),
        (
            {
                "dim_start": "22:00",
                "dim_end": "05:00",
                "dim_level": 0.7,
                "off_start": "00:00",
                "off_end": "05:00",
            },
            {"off_start": "00:00", "off_end": "05:00"},
        ),
        (
            {"on_offset_minutes": 15, "off_offset_minutes": -10, "dim_start": None},
            {"on_offset_minutes": 15, "off_offset_minutes": -10, "dim_start": None, "dim_end": None},
        ),
    ],
)
def test_lighting_yearly_hours_match_the_nightly_programs(
    schedule: dict[str, object], kwargs: dict[str, object]
) -> None:
    _, hours = d.yearly_hours(d.Schedule(**kwargs), 2026, PARIS, *DIJON)  # type: ignore[arg-type]
    assert hours == pytest.approx(_brute_force_hours(schedule, 2026), abs=0.05)


def test_lighting_dijon_burns_sunset_to_sunrise_all_year() -> None:
    """Sunset to sunrise averages 11.76 h at 47° N (refraction and the sun's disc take
    about 8 minutes off each night's 12 h): 4,290 h a year; 22:00-05:00 at 70 %
    takes 7 h x 365 x 0.3 off the equivalent hours."""
    burning, full = d.yearly_hours(d.ALL_NIGHT, 2026, PARIS, *DIJON)
    assert 4270 < burning < 4310 and full == pytest.approx(burning)
    _, dimmed = d.yearly_hours(d.Schedule(), 2026, PARIS, *DIJON)
    # The dimming window is dark every night of the year at Dijon's latitude.
    assert full - dimmed == pytest.approx(7 * 365 * 0.3, abs=0.5)


def test_lighting_point_energy_by_hand() -> None:
    """HPS 100 W (135 W) and LED 40 W, 4,000 h; a removed point draws nothing."""
    tech = d.tech_codes(["HPS", "LED", "HPS"])
    out = d.point_energy(
        tech,
        np.array([100.0, 40.0, 250.0]),
        np.array([4000.0, 4000.0, 4000.0]),
        d.Prices(tariff_per_kwh=0.2, co2_kg_per_kwh=0.05),
        lit=np.array([True, True, False]),
    )
    assert out.kwh.tolist() == pytest.approx([540.0, 160.0, 0.0])
    assert out.cost.tolist() == pytest.approx([108.0, 32.0, 0.0])
    assert out.co2_kg.tolist() == pytest.approx([27.0, 8.0, 0.0])
    assert out.total()["kwh"] == pytest.approx(700.0)


def test_lighting_second_lamp_adds_its_own_gear() -> None:
    out = d.point_energy(
        d.tech_codes(["HPS"]),
        np.array([100.0]),
        np.array([1000.0]),
        d.Prices(),
        second_lamp_watts=np.array([70.0]),
    )
    assert out.system_watts.tolist() == pytest.approx([135.0 + 94.5])


def test_lighting_equivalent_hours_per_point_follow_position_and_schedule() -> None:
    schedules = [d.ALL_NIGHT, d.Schedule()]
    lat = np.array([47.32, 47.33, 47.32, np.nan])
    long = np.array([5.04, 5.05, 5.04, np.nan])
    out = d.equivalent_hours(lat, long, np.array([0, 0, 1, 1]), schedules, 2026, PARIS)
    assert out[0] == pytest.approx(d.yearly_hours(d.ALL_NIGHT, 2026, PARIS, 47.3, 5.0)[1])
    assert out[1] == out[0]  # same cell
    assert out[2] < out[0] and out[3] == out[2]  # no position: the others' mean, same cell
