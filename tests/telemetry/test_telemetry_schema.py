"""Payload schemas: the documented JSON Schema is the one enforced, and the fast path agrees."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import fastjsonschema
import pytest

from vigie.telemetry.schema import ACK_SCHEMA, COMMAND_SCHEMA, SCHEMAS, VALIDATORS, SchemaError, kind_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "telemetry.md"


def test_schema_documented_is_the_schema_enforced():
    text = DOC.read_text(encoding="utf-8")
    blocks = dict(re.findall(r"```json schema:(\w+)\n(.*?)\n```", text, re.S))
    expected = {**SCHEMAS, "command": COMMAND_SCHEMA, "ack": ACK_SCHEMA}
    assert set(blocks) == set(expected), "docs/telemetry.md misses or has extra schemas"
    for name, schema in expected.items():
        assert json.loads(blocks[name]) == json.loads(json.dumps(schema)), f"schema {name} differs"
    for topic in ("vigie/telemetry/{asset_id}", "vigie/command/{asset_id}", "vigie/ack/{asset_id}"):
        assert topic in text


def test_schema_documented_examples_are_valid():
    text = DOC.read_text(encoding="utf-8")
    examples = re.findall(r"### .*? — kind `(\w+)`\n\nExample:\n\n```json\n(.*?)\n```", text, re.S)
    assert len(examples) == len(SCHEMAS)
    for kind, body in examples:
        VALIDATORS[kind](json.loads(body))


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_schema_fast_path_agrees_with_full_validator(kind):
    full = fastjsonschema.compile(SCHEMAS[kind])
    rng = random.Random(kind)
    props = list(SCHEMAS[kind]["properties"])
    values = [
        None,
        True,
        False,
        0,
        -1,
        0.5,
        1,
        1.5,
        250,
        1e9,
        "",
        "ok",
        "on",
        "low",
        "wet",
        "x" * 50,
        [],
        {},
        {"type": "Point", "coordinates": [5.0, 47.3]},
        "2026-11-26T10:00:00Z",
    ]
    for _ in range(3000):
        data = {"ts": "2026-11-26T10:00:00Z"} if rng.random() < 0.9 else {}
        for name in rng.sample(props + ["bogus"], rng.randint(0, 3)):
            data[name] = rng.choice(values)
        try:
            full(data)
            ok = True
        except SchemaError:
            ok = False
        try:
            VALIDATORS[kind](data)
            fast_ok = True
        except SchemaError:
            fast_ok = False
        assert ok == fast_ok, data


def test_schema_kind_from_type_or_id():
    assert kind_of("Streetlight", "X") == "streetlight"
    assert kind_of("street_light") == "streetlight"
    assert kind_of("StreetlightControlCabinet") == "cabinet"
    assert kind_of("traffic-light-controller") == "traffic_controller"
    assert kind_of("RoadWeatherStation") == "weather_station"
    assert kind_of("mystery", "VEH-0001") == "vehicle"
    assert kind_of("mystery", "ZZ-1") is None
