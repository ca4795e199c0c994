"""The fleet simulator, the astronomical clock and lighting programs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from vigie.telemetry.fleet import infos, synthetic_rows
from vigie.telemetry.lighting import DEFAULT_SCHEDULE, program_for
from vigie.telemetry.schema import VALIDATORS, kind_of
from vigie.telemetry.simulator import FleetSimulator
from vigie.telemetry.sun import is_night, sunrise, sunset

PARIS = ZoneInfo("Europe/Paris")


def local(y, m, d, h, mi=0):  # type: ignore[no-untyped-def]
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def test_sun_dijon_matches_published_times():
    # Reference values (astral / IMCCE) for Dijon 47.32 N 5.04 E, within two minutes.
    cases = {
        date(2026, 6, 21): ("05:43", "21:39"),  # local summer time
        date(2026, 12, 21): ("08:24", "16:51"),
        date(2026, 3, 20): ("06:43", "18:52"),
    }
    for d, (rise, set_) in cases.items():
        r = sunrise(d).astimezone(PARIS)
        s = sunset(d).astimezone(PARIS)
        for got, want in ((r, rise), (s, set_)):
            h, m = map(int, want.split(":"))
            assert abs((got.hour * 60 + got.minute) - (h * 60 + m)) <= 2, (d, got, want)
    assert is_night(local(2026, 1, 10, 23)) and not is_night(local(2026, 1, 10, 12))


def test_lighting_program_for_a_dijon_night():
    steps = program_for(DEFAULT_SCHEDULE, date(2026, 1, 15), PARIS, 47.322, 5.041)
    shown = [(t.astimezone(PARIS).strftime("%d %H:%M"), lvl) for t, lvl in steps]
    assert shown[0][1] == 1.0 and shown[0][0].startswith("15 17:")  # sunset
    assert ("15 22:00", 0.7) in shown and ("16 05:00", 1.0) in shown
    assert shown[-1][1] == 0.0 and shown[-1][0].startswith("16 08:")  # sunrise
    off = program_for(
        {**DEFAULT_SCHEDULE, "off_start": "00:00", "off_end": "05:00"},
        date(2026, 1, 15),
        PARIS,
        47.322,
        5.041,
    )
    levels = [(t.astimezone(PARIS).strftime("%H:%M"), lvl) for t, lvl in off]
    assert ("00:00", 0.0) in levels and ("05:00", 1.0) in levels
    # Midsummer: sunset after 21:30, so the light goes on straight into the dim window soon after.
    summer = program_for(DEFAULT_SCHEDULE, date(2026, 6, 21), PARIS, 47.322, 5.041)
    assert [lvl for _, lvl in summer] == [1.0, 0.7, 1.0, 0.0]


def fleet(n=300, **kw):  # type: ignore[no-untyped-def]
    return FleetSimulator(infos(synthetic_rows(n)), seed=1, **kw)


def test_simulator_lights_follow_the_sun_and_dim_at_night():
    sim = fleet()
    day = dict(sim.step(local(2026, 1, 15, 12)))  # first step: a second's worth of reports
    sim2 = fleet()
    msgs: dict = {}
    for minute in range(0, 11):
        msgs.update(dict(sim2.step(local(2026, 1, 15, 23, minute))))
    lights = {k: v for k, v in msgs.items() if k.startswith("SL-")}
    assert lights, "lights report every 10 minutes"
    assert {v["powerState"] for v in lights.values() if v["status"] == "ok"} == {"low"}
    assert {v["illuminanceLevel"] for v in lights.values() if v["status"] == "ok"} == {0.7}
    sim3 = fleet()
    evening = {}
    for minute in range(0, 11):
        evening.update(dict(sim3.step(local(2026, 1, 15, 20, minute))))
    assert {v["powerState"] for k, v in evening.items() if k.startswith("SL-") and v["status"] == "ok"} == {
        "on"
    }
    noon = {}
    sim4 = fleet()
    for minute in range(0, 11):
        noon.update(dict(sim4.step(local(2026, 1, 15, 12, minute))))
    assert {v["powerState"] for k, v in noon.items() if k.startswith("SL-")} == {"off"}
    assert day is not None


def test_simulator_payloads_are_valid_for_every_kind():
    sim = fleet(
        1200,
        rates={
            "lamp_failure": 20,
            "camera_offline": 50,
            "controller_fault": 50,
            "cabinet_door": 50,
            "cabinet_power": 50,
        },
    )
    seen: set[str] = set()
    t = local(2026, 2, 3, 4)
    for minute in range(0, 12):
        for asset_id, payload in sim.step(t + timedelta(minutes=minute)):
            kind = kind_of("", asset_id)
            assert kind is not None
            VALIDATORS[kind](json.loads(json.dumps(payload)))
            seen.add(kind)
    assert seen == {"streetlight", "cabinet", "camera", "traffic_controller", "weather_station", "vehicle"}
    states = [d.state.get("status") for d in sim.by_kind["streetlight"]]
    assert any(s and s != "ok" for s in states), "lamps fail"
    assert any(not d.state.get("online", True) for d in sim.by_kind["camera"])
    assert any(d.state.get("fault") for d in sim.by_kind["traffic_controller"])


def test_simulator_frost_on_winter_nights():
    sim = fleet(50)
    sim.wet_until = local(2026, 1, 20, 9).astimezone(UTC)
    sim._weather_day[date(2026, 1, 20)] = -4.0  # a cold day
    msgs = []
    for minute in range(0, 6):
        msgs += sim.step(local(2026, 1, 20, 5, minute))
    stations = [p for a, p in msgs if a.startswith("RWS-")]
    assert stations and all(p["surfaceTemperature"] < 0.5 for p in stations)
    assert {p["surfaceStatus"] for p in stations} <= {"ice", "moist", "snow", "slush"}


def test_simulator_vehicles_move():
    sim = fleet(10)
    t = local(2026, 5, 5, 10)
    first = {a: p for a, p in sim.step(t) if a.startswith("VEH-")}
    later: dict = {}
    for s in range(1, 61, 5):
        later.update({a: p for a, p in sim.step(t + timedelta(seconds=s)) if a.startswith("VEH-")})
    moved = [a for a in later if a in first and later[a]["location"] != first[a]["location"]]
    assert moved


def test_simulator_commands_are_applied_and_acknowledged():
    sim = fleet(20)
    now = local(2026, 1, 15, 23).astimezone(UTC)
    ack = sim.on_command("SL-00001", {"id": "c1", "action": "dim", "level": 0.3}, now)
    assert ack["id"] == "c1" and ack["status"] == "ok"
    assert sim.target_level(sim.devices["SL-00001"], now + timedelta(minutes=1)) == 0.3
    assert (
        sim.on_command("CAM-0001", {"id": "c2", "action": "dim", "level": 1}, now)["status"] == "unsupported"
    )
    assert sim.on_command("SL-00002", {"id": "c3", "action": "switch"}, now)["status"] == "error"
    steps = [{"at": (now + timedelta(hours=h)).isoformat(), "level": lvl} for h, lvl in ((0, 1.0), (1, 0.5))]
    sim.on_command("SL-00003", {"id": "c4", "action": "program", "program": {"steps": steps}}, now)
    assert sim.target_level(sim.devices["SL-00003"], now + timedelta(minutes=90)) == 0.5
