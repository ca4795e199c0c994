"""Meter readings read back from the stored series (the consumption alarm's seed at start-up)."""

from __future__ import annotations

import json

from vigie.runtime import Vigie
from vigie.telemetry import writer


def test_telemetry_readings_of_some_assets_fields_and_span(vigie: Vigie) -> None:
    rows = [
        ("CAB-1", 1_000, {"energyConsumed": 10.5, "doorOpen": False}),
        ("CAB-1", 2_000, {"energyConsumed": 11}),
        ("CAB-1", 3_000, {"energyConsumed": "broken", "powerConsumption": 400}),
        ("CAB-1", 4_000, {"energyConsumed": True}),
        ("CAB-1", 500, {"energyConsumed": 9.0}),  # before the span
        ("CAB-2", 2_500, {"energyConsumed": 3.25}),
        ("CAB-3", 2_500, {"energyConsumed": 7.0}),  # not asked for
    ]
    with vigie.db.session(write=True) as s:
        writer.write_samples(s, [(a, ts, json.dumps(data)) for a, ts, data in rows])
        s.commit()
    with vigie.db.session() as s:
        found = writer.load_readings(s, ["CAB-1", "CAB-2"], ["energyConsumed", "powerConsumption"], 1_000)
        assert writer.load_readings(s, [], ["energyConsumed"], 0) == []
    assert sorted(found) == [
        ("CAB-1", 1_000, "energyConsumed", 10.5),
        ("CAB-1", 2_000, "energyConsumed", 11.0),
        ("CAB-1", 3_000, "powerConsumption", 400.0),
        ("CAB-2", 2_500, "energyConsumed", 3.25),
    ]
