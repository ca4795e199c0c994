"""The fleet's energy against the targets, from the registry and the lamp history, by hand."""

from __future__ import annotations

from datetime import date

import pytest

from tests.lighting.helpers import DARCY, add_light
from vigie.accounts.domain import SYSTEM
from vigie.lighting import actions
from vigie.lighting.domain import Schedule, yearly_hours
from vigie.runtime import Vigie
from vigie.telemetry.lighting import ensure_default_schedule

TODAY = date(2026, 6, 1)


@pytest.fixture
def fleet(vigie: Vigie) -> Vigie:
    """SL-1: HPS 100 W converted to LED 40 W in 2019; SL-2: HPS 150 W since 2010 (no history);
    SL-3: MV 125 W installed in 2019 (no history); SL-4: removed (draws nothing today)."""
    ensure_default_schedule(vigie)
    add_light(
        vigie,
        "SL-1",
        "LED",
        40,
        installed_on=date(2005, 1, 1),
        history=[(date(2005, 1, 1), "installed", "HPS", 100), (date(2019, 5, 1), "conversion", "LED", 40)],
    )
    add_light(vigie, "SL-2", "HPS", 150, installed_on=date(2010, 1, 1), cabinet="CAB-0002")
    add_light(vigie, "SL-3", "MV", 125, installed_on=date(2019, 6, 1))
    add_light(vigie, "SL-4", "HPS", 70, installed_on=date(2000, 1, 1), status="removed")
    return vigie


def _hours() -> float:
    # The cell of Darcy (0.1°) with Dijon's default schedule, 70 % from 22:00 to 05:00.
    lat, long = round(DARCY[0] * 10) / 10, round(DARCY[1] * 10) / 10
    return yearly_hours(Schedule(), TODAY.year, __import__("zoneinfo").ZoneInfo("Europe/Paris"), lat, long)[1]


def test_lighting_energy_today_and_reference_by_hand(fleet: Vigie) -> None:
    h = _hours()
    report = actions.energy_report(fleet, TODAY)
    now_w = 40 + 187.5 + 125 * 1.30  # LED, HPS 150 W with its ballast, MV 125 W on the curve
    ref_w = 135 + 187.5 + 94.5  # end of 2017: SL-1 was HPS 100 W, SL-3 not yet there, SL-4 in use
    assert report["kwh"] == round(now_w * h / 1000)
    assert report["cost"] == round(now_w * h / 1000 * 0.25)
    assert report["points"] == 3 and report["led"] == 1
    ville = next(t for t in report["targets"] if t["id"] == "ville")
    assert ville["reference_kwh"] == round(ref_w * h / 1000)
    assert ville["saving"] == pytest.approx(1 - now_w / ref_w, abs=1e-4)
    assert ville["target_kwh"] == round(ref_w * h / 1000 * 0.35)
    assert ville["reached"] is False and ville["years_left"] == 4
    years = {t["year"]: t for t in report["trajectory"]}
    assert years[2017]["points"] == 3 and years[2017]["led"] == 0
    assert years[2019]["led"] == 1 and years[2019]["points"] == 4  # SL-3 came in 2019
    assert years[2026]["as_of"] == TODAY.isoformat()


def test_lighting_energy_by_commune_and_cabinet(fleet: Vigie) -> None:
    h = _hours()
    zones = actions.energy_report(fleet, TODAY)["zones"]
    assert [z["id"] for z in zones] == ["21231"] and zones[0]["name"] == "Dijon"
    cabinets = {c["id"]: c for c in actions.cabinets_report(fleet, TODAY)}
    assert cabinets["CAB-0002"]["kwh"] == round(187.5 * h / 1000)
    assert cabinets["CAB-0002"]["saving"] == 0.0
    assert cabinets["CAB-0001"]["reference_kwh"] == round((135 + 94.5) * h / 1000)


def test_lighting_switch_off_lowers_the_communes_energy(fleet: Vigie) -> None:
    before = actions.energy_report(fleet, TODAY)["kwh"]
    actions.do_set_switch_off(fleet, SYSTEM, "21231", {"off_start": "00:00", "off_end": "05:00"})
    after = actions.energy_report(fleet, TODAY)["kwh"]
    # Off from midnight to 05:00 every night (inside the 70 % window): 5 h x 0.7 x 365 fewer hours.
    assert before - after == pytest.approx((40 + 187.5 + 162.5) * 5 * 0.7 * 365 / 1000, rel=0.002)
    assert [s["zone"] for s in actions.list_switch_offs(fleet)] == ["21231"]
    actions.do_set_switch_off(fleet, SYSTEM, "21231", None)
    assert actions.energy_report(fleet, TODAY)["kwh"] == before


def test_lighting_per_point_arrays_for_the_planner(fleet: Vigie) -> None:
    out = actions.current_point_energy(fleet, TODAY)
    ids = out.fleet.ids.tolist()
    assert ids == ["SL-1", "SL-2", "SL-3", "SL-4"]
    assert out.energy.kwh[ids.index("SL-4")] == 0.0
    assert out.energy.cost[ids.index("SL-2")] == pytest.approx(187.5 * _hours() / 1000 * 0.25)


def test_lighting_trajectory_burns_each_year_with_its_schedules(fleet: Vigie) -> None:
    """Dimming at 70 % only since October 2019 (full flux all night before); Dijon switching
    off from midnight since September 2022: each year's fleet burns the schedules of its end."""
    from zoneinfo import ZoneInfo

    from vigie.lighting.domain import ALL_NIGHT
    from vigie.telemetry.past_schedules import do_record_past_change

    paris = ZoneInfo("Europe/Paris")
    lat, long = round(DARCY[0] * 10) / 10, round(DARCY[1] * 10) / 10
    dimmed = _hours()
    full = yearly_hours(ALL_NIGHT, TODAY.year, paris, lat, long)[1]
    off = yearly_hours(Schedule(off_start="00:00", off_end="05:00"), TODAY.year, paris, lat, long)[1]
    before = actions.energy_report(fleet, TODAY)
    do_record_past_change(
        fleet,
        SYSTEM,
        {
            "group": "*",
            "effective_on": "2019-10-01",
            "before": {"dim_level": 1.0},
            "after": {"dim_level": 0.7},
        },
    )
    actions.do_set_switch_off(
        fleet, SYSTEM, "21231", {"off_start": "00:00", "off_end": "05:00", "decided_on": "2022-09-01"}
    )
    report = actions.energy_report(fleet, TODAY)
    years = {t["year"]: t for t in report["trajectory"]}
    ref_w = 135 + 187.5 + 94.5
    y2019_w = 40 + 187.5 + 162.5 + 94.5  # SL-1 converted, SL-3 installed, SL-4 still in use
    now_w = 40 + 187.5 + 162.5
    assert years[2017]["kwh"] == round(ref_w * full / 1000)  # full flux all night
    assert years[2019]["kwh"] == round(y2019_w * dimmed / 1000)  # dimmed, not yet switched off
    # Switched off from midnight since 2022 (SL-4, removed since, has no date of removal).
    assert years[2023]["kwh"] == round((now_w + 94.5) * off / 1000)
    assert report["kwh"] == round(now_w * off / 1000)
    ville = next(t for t in report["targets"] if t["id"] == "ville")
    assert ville["reference_kwh"] == round(ref_w * full / 1000)
    assert ville["saving"] == pytest.approx(1 - now_w * off / (ref_w * full), abs=1e-4)
    # Without the history, every year burned today's schedules.
    assert {t["year"]: t["kwh"] for t in before["trajectory"]}[2017] == round(ref_w * dimmed / 1000)
