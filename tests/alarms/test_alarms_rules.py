"""Rules: loading with file:line errors, and each kind's evaluation (plain Python, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from vigie.alarms.conditions import ConditionError, compile_condition, parse
from vigie.alarms.engine import RuleEngine
from vigie.alarms.rules import RULES_DIR, load_rules
from vigie.errors import ConfigurationError
from vigie.telemetry.registry import AssetInfo

NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def asset(asset_id: str = "SL-00001", kind: str = "streetlight", status: str = "in_service") -> AssetInfo:
    return AssetInfo(asset_id, kind, kind, "21231", 47.32, 5.04, "G-001", status, {})


def rules_from(tmp_path: Path, text: str, services: list[str] | None = None):  # type: ignore[no-untyped-def]
    f = tmp_path / "rules.yaml"
    f.write_text(text)
    return load_rules(f, services)


def engine_for(tmp_path: Path, text: str) -> RuleEngine:
    return RuleEngine(rules_from(tmp_path, text))


def kinds(ops):  # type: ignore[no-untyped-def]
    return [(op.kind, op.rule.id) for op in ops]


def test_rules_dijon_file_loads_every_kind():
    rules = load_rules(
        RULES_DIR / "dijon.yaml",
        [
            "luminaire-hors-service",
            "rue-eteinte",
            "candelabre-endommage",
            "cables-apparents",
            "armoire-electrique-ouverte",
        ],
    )
    assert {r.kind for r in rules} == {
        "state",
        "threshold",
        "heartbeat",
        "combination",
        "daylight",
        "consumption",
    }
    ice = next(r for r in rules if r.id == "ice-risk")
    assert ice.scope == "zone" and ice.severity == "critical"
    assert ice.where.endswith(".yaml:" + ice.where.rsplit(":", 1)[1])


def test_rules_state_raises_repeats_and_clears(tmp_path):
    eng = engine_for(
        tmp_path,
        """
rules:
  - {id: lamp-failure, kind: state, asset_types: [streetlight], condition: status != ok, severity: major}
""",
    )
    a = asset()
    state = {"status": "defectiveLamp"}
    assert kinds(eng.evaluate(a, state, {"status"}, NOW)) == [("raise", "lamp-failure")]
    assert kinds(eng.evaluate(a, state, {"status"}, NOW)) == [("repeat", "lamp-failure")]
    # A message without the rule's measurement changes nothing.
    assert eng.evaluate(a, {**state, "powerConsumption": 3}, {"powerConsumption"}, NOW) == []
    assert kinds(eng.evaluate(a, {"status": "ok"}, {"status"}, NOW)) == [("clear", "lamp-failure")]
    assert eng.evaluate(a, {"status": "ok"}, {"status"}, NOW) == []


def test_rules_threshold_with_hysteresis(tmp_path):
    eng = engine_for(
        tmp_path,
        """
rules:
  - id: overconsumption
    kind: threshold
    asset_types: [streetlight]
    field: powerConsumption
    above: 400
    clear_below: 350
    severity: minor
""",
    )
    a = asset()

    def at(w: float):  # type: ignore[no-untyped-def]
        return kinds(eng.evaluate(a, {"powerConsumption": w}, {"powerConsumption"}, NOW))

    assert at(399) == []
    assert at(401) == [("raise", "overconsumption")]
    assert at(380) == []  # inside the band: neither repeat nor clear
    assert at(420) == [("repeat", "overconsumption")]
    assert at(351) == []
    assert at(349) == [("clear", "overconsumption")]
    assert at(380) == []  # below 'above' again: no new alarm


def test_rules_threshold_below_with_clear_above(tmp_path):
    eng = engine_for(
        tmp_path,
        """
rules:
  - {id: freezing, kind: threshold, asset_types: [weather_station], field: surfaceTemperature,
     below: 0, clear_above: 1, severity: warning}
""",
    )
    a = asset("RWS-0001", "weather_station")
    seq = [(0.5, []), (-0.2, [("raise", "freezing")]), (0.6, []), (1.2, [("clear", "freezing")])]
    for t, expected in seq:
        assert kinds(eng.evaluate(a, {"surfaceTemperature": t}, {"surfaceTemperature"}, NOW)) == expected


def test_rules_heartbeat_raises_when_silent_and_clears_on_message(tmp_path):
    eng = engine_for(
        tmp_path,
        """
rules:
  - {id: camera-silent, kind: heartbeat, asset_types: [camera], minutes: 10, severity: major}
""",
    )
    cam, quiet = asset("CAM-0001", "camera"), asset("CAM-0002", "camera")
    seen = {"CAM-0001": NOW - timedelta(minutes=11), "CAM-0002": NOW - timedelta(minutes=2)}
    ops = eng.check_heartbeats(NOW, [cam, quiet], seen.get, NOW - timedelta(hours=1))
    assert [(o.kind, o.asset.id) for o in ops] == [("raise", "CAM-0001")]
    assert ops[0].detail["minutes"] == 11
    # Already active: not raised twice.
    assert eng.check_heartbeats(NOW, [cam], seen.get, NOW - timedelta(hours=1)) == []
    # Any message clears it.
    assert kinds(eng.evaluate(cam, {"online": True}, {"online"}, NOW)) == [("clear", "camera-silent")]
    # A never-seen asset gets the grace period from the ingest's start.
    never = asset("CAM-0003", "camera")
    assert eng.check_heartbeats(NOW, [never], lambda _: None, NOW - timedelta(minutes=5)) == []
    assert len(eng.check_heartbeats(NOW, [never], lambda _: None, NOW - timedelta(minutes=15))) == 1


def test_rules_combination_ice_risk_with_clear_condition(tmp_path):
    eng = engine_for(
        tmp_path,
        """
rules:
  - id: ice-risk
    kind: combination
    asset_types: [weather_station]
    condition: {all: [surfaceTemperature <= 0.5, "surfaceStatus in [wet, moist]"]}
    clear_condition: {any: [surfaceTemperature > 1.5, surfaceStatus == dry]}
    severity: critical
""",
    )
    a = asset("RWS-0001", "weather_station")
    state: dict = {}

    def msg(**values):  # type: ignore[no-untyped-def]
        state.update(values)
        return kinds(eng.evaluate(a, state, set(values), NOW))

    assert msg(surfaceTemperature=0.3) == []  # status unknown yet: no decision
    assert msg(surfaceStatus="dry") == []
    assert msg(surfaceStatus="wet") == [("raise", "ice-risk")]
    assert msg(surfaceTemperature=1.0) == []  # not cleared: still wet and ≤ 1.5
    assert msg(surfaceTemperature=0.1) == [("repeat", "ice-risk")]
    assert msg(surfaceStatus="dry") == [("clear", "ice-risk")]


def test_rules_assets_in_maintenance_raise_nothing(tmp_path):
    eng = engine_for(
        tmp_path,
        """
rules:
  - {id: lamp-failure, kind: state, asset_types: [streetlight], condition: status != ok, severity: major}
""",
    )
    a = asset(status="maintenance")
    assert eng.evaluate(a, {"status": "defectiveLamp"}, {"status"}, NOW) == []


def test_rules_invalid_file_names_file_line_and_field(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        rules_from(
            tmp_path,
            """rules:
  - id: rule-a
    kind: state
    asset_types: [streetlight]
    condition: status !! ok
    severity: major
  - id: rule-b
    kind: threshold
    asset_types: [streetlight]
    field: colour
    above: 3
    severity: major
  - id: rule-c
    kind: state
    asset_types: [rocket]
    condition: status == ok
    severity: urgent
""",
        )
    text = str(err.value)
    assert "rules.yaml:15: rules[2].asset_types[0]" in text
    assert "rules.yaml:17: rules[2].severity" in text
    with pytest.raises(ConfigurationError) as err:
        rules_from(
            tmp_path,
            """rules:
  - id: rule-a
    kind: state
    asset_types: [streetlight]
    condition: status !! ok
    severity: major
  - id: rule-b
    kind: threshold
    asset_types: [streetlight]
    field: colour
    above: 3
    severity: major
  - id: rule-b
    kind: heartbeat
    asset_types: [camera]
    severity: major
    link_reports: {services: [no-such-service]}
""",
            ["luminaire-hors-service"],
        )
    problems = [str(p) for p in err.value.problems]
    assert any(p.startswith(f"{tmp_path}/rules.yaml:5: rules[0].condition: cannot read") for p in problems)
    assert any(
        "rules.yaml:10: rules[1].field: 'colour' is not a measurement of streetlight" in p for p in problems
    )
    assert any("rules.yaml:13: rules[2].id: duplicate rule id 'rule-b'" in p for p in problems)


def test_rules_heartbeat_needs_minutes_and_unknown_service_is_reported(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        rules_from(
            tmp_path,
            """rules:
  - id: silent
    kind: heartbeat
    asset_types: [camera]
    severity: major
  - id: lamp
    kind: state
    asset_types: [streetlight]
    condition: status != ok
    severity: major
    link_reports: {services: [no-such-service], radius_m: 30}
""",
            ["luminaire-hors-service"],
        )
    problems = [str(p) for p in err.value.problems]
    assert any("rules.yaml:2: rules[0]: a heartbeat rule needs 'minutes'" in p for p in problems)
    assert any("rules.yaml:11: rules[1].link_reports.services[0]: unknown service" in p for p in problems)


def test_conditions_values_and_types():
    assert parse("status in [wet, moist]").test({"status": "wet"}) is True
    assert parse("status not in [wet, moist]").test({"status": "wet"}) is False
    assert parse("online == false").test({"online": False}) is True
    assert parse("online == false").test({"online": 0}) is False  # 0 is not false
    assert parse("fault == true").test({}) is None
    assert parse("temp<=0.5").test({"temp": 0.5}) is True
    assert parse("temp > 1").test({"temp": "hot"}) is None
    cond = compile_condition({"any": ["a > 1", {"all": ["b == x", "c < 0"]}]})
    assert cond.fields == {"a", "b", "c"}
    assert cond.test({"a": 0, "b": "x", "c": -1}) is True
    for bad in ["status", "status ~ ok", "t > warm", "s in ok", {"some": ["a > 1"]}]:
        with pytest.raises(ConditionError):
            compile_condition(bad)


DAY_BURNER = """
rules:
  - id: day-burner
    kind: daylight
    asset_types: [streetlight]
    condition: powerState in ['on', 'low']
    minutes: 30
    severity: minor
"""


def test_rules_daylight_raises_a_day_burner_only_while_the_sun_is_up(tmp_path: Path) -> None:
    """Dijon, 15 June 2026: sunrise about 03:33 UTC, sunset about 19:27 UTC."""
    engine = engine_for(tmp_path, DAY_BURNER)
    light = asset()
    noon = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    night = datetime(2026, 6, 15, 23, 0, tzinfo=UTC)
    dawn = datetime(2026, 6, 15, 3, 50, tzinfo=UTC)  # 17 minutes after sunrise: within the margin
    assert engine.evaluate(light, {"powerState": "on"}, {"powerState"}, night) == []
    assert engine.evaluate(light, {"powerState": "on"}, {"powerState"}, dawn) == []
    ops = engine.evaluate(light, {"powerState": "low"}, {"powerState"}, noon)
    assert [(o.kind, o.rule.id) for o in ops] == [("raise", "day-burner")]
    assert [o.kind for o in engine.evaluate(light, {"powerState": "on"}, {"powerState"}, noon)] == ["repeat"]
    # Switched off in the afternoon: cleared.
    later = noon + timedelta(hours=2)
    assert [o.kind for o in engine.evaluate(light, {"powerState": "off"}, {"powerState"}, later)] == ["clear"]
    # Still on when night falls: cleared too (burning at night is its job).
    engine.evaluate(light, {"powerState": "on"}, {"powerState"}, noon)
    assert [o.kind for o in engine.evaluate(light, {"powerState": "on"}, {"powerState"}, night)] == ["clear"]


def test_rules_daylight_judges_the_instant_whatever_the_zone_of_its_stamp(tmp_path: Path) -> None:
    """Noon UTC on 15 June written as 01:00 on the 16th at +13:00: the sun is up in Dijon."""
    engine = engine_for(tmp_path, DAY_BURNER)
    stamped = datetime(2026, 6, 16, 1, 0, tzinfo=timezone(timedelta(hours=13)))
    ops = engine.evaluate(asset(), {"powerState": "on"}, {"powerState"}, stamped)
    assert [(o.kind, o.rule.id) for o in ops] == [("raise", "day-burner")]


def test_rules_daylight_does_not_judge_a_polar_day(tmp_path: Path) -> None:
    """Svalbard in June has no sunrise or sunset: no day-burner there, Dijon's still judged."""
    engine = engine_for(tmp_path, DAY_BURNER)
    arctic = AssetInfo("SL-7", "streetlight", "streetlight", "", 78.22, 15.65, "", "in_service", {})
    noon = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert engine.evaluate(arctic, {"powerState": "on"}, {"powerState"}, noon) == []
    assert [o.kind for o in engine.evaluate(asset(), {"powerState": "on"}, {"powerState"}, noon)] == ["raise"]


def test_rules_daylight_needs_a_position_and_a_condition(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, DAY_BURNER)
    nowhere = AssetInfo("SL-9", "streetlight", "streetlight", "", None, None, "", "in_service", {})
    noon = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert engine.evaluate(nowhere, {"powerState": "on"}, {"powerState"}, noon) == []
    with pytest.raises(ConfigurationError, match="needs 'condition'"):
        rules_from(tmp_path, DAY_BURNER.replace("    condition: powerState in ['on', 'low']\n", ""))


CONSUMPTION = """
rules:
  - id: abnormal-consumption
    kind: consumption
    asset_types: [cabinet]
    field: energyConsumed
    minutes: 60
    ratio: 0.3
    clear_ratio: 0.1
    min_kwh: 0.5
    severity: minor
"""


class Meter:
    """A cabinet's meter read every 5 minutes, counting each hour's kWh evenly."""

    def __init__(self, engine: RuleEngine, cab: AssetInfo, start: datetime) -> None:
        self.engine, self.cab, self.at, self.reading = engine, cab, start, 100.0
        self.read()

    def read(self) -> None:
        self.engine.evaluate(self.cab, {"energyConsumed": self.reading}, {"energyConsumed"}, self.at)

    def run(self, kwh_per_hour: float, minutes: int = 60) -> datetime:
        for _ in range(minutes // 5):
            self.at += timedelta(minutes=5)
            self.reading += kwh_per_hour / 12
            self.read()
        return self.at


def judge(engine: RuleEngine, now: datetime) -> list[tuple[str, str]]:
    windows = engine.meter_windows(now)
    engine.model_windows(windows)
    return kinds(engine.judge_meters(windows))


def test_rules_consumption_raises_over_a_window_and_clears_with_hysteresis(tmp_path: Path) -> None:
    spans: list[tuple[str, datetime, datetime]] = []

    def model(asked: list[tuple[str, datetime, datetime]]) -> list[float | None]:
        spans.extend(asked)  # 10 kWh an hour, for any span
        return [(b - a).total_seconds() / 3600 * 10 for _, a, b in asked]

    engine = RuleEngine(rules_from(tmp_path, CONSUMPTION), model)
    start = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    meter = Meter(engine, asset("CAB-0001", "cabinet"), start)
    # Less than a whole window: nothing to judge yet.
    assert engine.meter_windows(meter.run(11.0, 55)) == []
    assert judge(engine, meter.run(11.0, 5)) == []  # 10 % over: normal
    assert spans == [("CAB-0001", start, start + timedelta(hours=1))]
    # Judged again only 15 minutes of readings later.
    assert engine.meter_windows(meter.run(14.0, 10)) == []
    meter.run(14.0, 50)
    windows = engine.meter_windows(meter.at)
    engine.model_windows(windows)
    ops = engine.judge_meters(windows)
    assert kinds(ops) == [("raise", "abnormal-consumption")]  # the last hour: 14 kWh against 10
    assert ops[0].detail["measured_kwh"] == pytest.approx(14.0)
    assert ops[0].detail["modelled_kwh"] == pytest.approx(10.0)
    assert (ops[0].detail["ratio"], ops[0].detail["direction"]) == (1.4, "over")
    # Back to 12 % over: above the clearing ratio, still active (no repeat below the raising one).
    assert judge(engine, meter.run(11.2)) == []
    assert judge(engine, meter.run(10.5)) == [("clear", "abnormal-consumption")]
    # Far under (a circuit out) raises too.
    assert judge(engine, meter.run(4.0)) == [("raise", "abnormal-consumption")]


def test_rules_consumption_floor_reset_and_silence(tmp_path: Path) -> None:
    engine = RuleEngine(rules_from(tmp_path, CONSUMPTION), lambda asked: [0.2 for _ in asked])
    start = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    meter = Meter(engine, asset("CAB-0002", "cabinet"), start)
    at = meter.run(0.6)  # 3 x the model, but within the 0.5 kWh floor of it
    assert judge(engine, at) == []
    # A meter that goes backwards (replaced) starts a new window.
    meter.reading = 3.0
    at = meter.run(0.6, 5)
    assert engine.meter_windows(at) == []
    # A meter silent for longer than a window is not judged (the heartbeat's business).
    at = Meter(engine, asset("CAB-0003", "cabinet"), start).run(5.0)
    assert engine.meter_windows(at + timedelta(hours=2)) == []
    # A model that cannot say (None) judges nothing; one that fails neither.
    engine.energy_model = lambda asked: [None for _ in asked]
    assert judge(engine, at) == []

    def broken(asked: list[tuple[str, datetime, datetime]]) -> list[float | None]:
        raise RuntimeError("no model")

    engine.energy_model = broken
    assert judge(engine, at) == []


def test_rules_consumption_seeded_readings_merge_with_live_ones(tmp_path: Path) -> None:
    """Readings stored before a restart, handed in after live messages came: merged in time
    order, the window is whole at once; other kinds' and other fields' readings are ignored."""
    engine = RuleEngine(rules_from(tmp_path, CONSUMPTION), lambda asked: [10.0 for _ in asked])
    cab, light = asset("CAB-0001", "cabinet"), asset("SL-0001", "streetlight")
    start = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    assert engine.meter_fields() == {"cabinet": {"energyConsumed"}}
    assert engine.meter_span() == timedelta(minutes=60)
    live = start + timedelta(minutes=60)
    engine.evaluate(cab, {"energyConsumed": 120.0}, {"energyConsumed"}, live)  # 20 kWh in the hour
    assert engine.meter_windows(live) == []  # one reading: nothing to judge yet
    stored = [(cab, "energyConsumed", start + timedelta(minutes=m), 100.0 + m / 3) for m in range(0, 60, 5)]
    stored += [(light, "energyConsumed", start, 1.0), (cab, "powerConsumption", start, 5.0)]
    assert engine.seed_meters(stored) == 1
    assert judge(engine, live) == [("raise", "abnormal-consumption")]  # 20 kWh against 10


def test_rules_consumption_needs_its_fields(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs 'ratio'"):
        rules_from(tmp_path, CONSUMPTION.replace("    ratio: 0.3\n", ""))
    with pytest.raises(ConfigurationError, match="clear_ratio: must not be above 'ratio'"):
        rules_from(tmp_path, CONSUMPTION.replace("clear_ratio: 0.1", "clear_ratio: 0.5"))
    with pytest.raises(ConfigurationError, match="'doorOpen' is not a meter reading of cabinet"):
        rules_from(tmp_path, CONSUMPTION.replace("field: energyConsumed", "field: doorOpen"))
