"""The ingest pipeline: validation, latest state, series, dead letters, never crashing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from vigie.telemetry import writer
from vigie.telemetry.queries import dead_letters, history, latest_state
from vigie.telemetry.storage import CommandRow, DeadLetterRow, TelemetrySampleRow

from .helpers import add_asset, light, ts


def count(v, table):  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_pipeline_accepts_valid_messages_into_latest_and_series(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    on = light("ok", at=0, powerConsumption=52.5, powerState="on")
    assert p.submit("vigie/telemetry/SL-00001", on) is None
    p.ingest("SL-00001", json.dumps({"ts": ts(1), "powerState": "low", "illuminanceLevel": 0.7}).encode())
    p.flush(latest=True)
    state = latest_state(vigie, "SL-00001")
    assert state is not None
    assert state["values"] == {
        "status": "ok",
        "powerState": "low",
        "illuminanceLevel": 0.7,
        "powerConsumption": 52.5,
    }
    assert [h["powerState"] for h in history(vigie, "SL-00001")] == ["on", "low"]
    # Without the in-memory pipeline, the database copy answers.
    vigie.ingest.pipeline = None
    assert latest_state(vigie, "SL-00001")["values"]["powerState"] == "low"
    assert latest_state(vigie, "SL-99999") is None
    assert p.snapshot()["accepted"] == 2


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("vigie/telemetry/SL-00001", b"{not json", "malformed_json"),
        ("vigie/telemetry/SL-00001", b"\xff\xfe", "malformed_json"),
        (
            "vigie/telemetry/SL-00001",
            b'{"ts": "2026-11-26T10:00:00Z", "powerConsumption": NaN}',
            "malformed_json",
        ),
        ("vigie/telemetry/SL-00001", b"[1, 2]", "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00Z", "status": "melted"}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00Z", "illuminanceLevel": 1.5}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00Z", "colour": "blue"}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"status": "ok"}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00", "status": "ok"}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "yesterday!!", "status": "ok"}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2036-11-26T10:00:00Z", "status": "ok"}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00Z", "online": true}', "schema"),
        ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00Z", "status": "ok", "x": 3}', "schema"),
        ("vigie/telemetry/SL-00001", b"{" + b" " * 9000 + b"}", "too_large"),
        ("vigie/telemetry/NOPE-1", b'{"ts": "2026-11-26T10:00:00Z", "status": "ok"}', "unknown_asset"),
        ("vigie/other/SL-00001", b"{}", "bad_topic"),
        ("vigie/ack/SL-00001", b'{"id": 3}', "bad_ack"),
    ],
)
def test_pipeline_bad_input_becomes_a_dead_letter(vigie, make_pipeline, topic, payload, reason):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.submit(topic, payload)
    p.flush()
    (row,) = dead_letters(vigie)["items"]
    assert row["reason"] == reason and row["topic"] == topic and row["detail"]
    assert p.snapshot()["dead_letter_reasons"] == {reason: 1}
    assert count(vigie, TelemetrySampleRow) == 0


def test_pipeline_dead_letter_flood_is_counted_not_all_stored(vigie, make_pipeline):
    vigie.settings.telemetry_dead_letters_per_second = 50
    p = make_pipeline()
    for i in range(500):
        p.submit(f"vigie/telemetry/GHOST-{i}", b"{}")
    p.flush()
    snap = p.snapshot()
    assert snap["dead_letters"] == 500
    stored = count(vigie, DeadLetterRow)
    assert 50 <= stored < 500 and snap["dead_letters_not_stored"] == 500 - stored


def test_pipeline_duplicates_dropped_and_late_messages_kept_in_series_only(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    base = datetime.now(UTC)
    late = json.dumps({"ts": ts(-60, base), "status": "defectiveLamp"}).encode()
    msg = json.dumps({"ts": ts(0, base), "status": "ok"}).encode()
    assert p.ingest("SL-00001", msg)
    assert p.ingest("SL-00001", msg)  # QoS 1 redelivery
    assert p.ingest("SL-00001", late)
    p.flush()
    snap = p.snapshot()
    assert (snap["duplicates"], snap["out_of_order"]) == (1, 1)
    assert latest_state(vigie, "SL-00001")["values"]["status"] == "ok"  # the late one changes nothing
    assert [h["status"] for h in history(vigie, "SL-00001")] == ["defectiveLamp", "ok"]
    assert count(vigie, TelemetrySampleRow) == 2


def test_pipeline_keeps_the_batch_when_the_database_fails(vigie, make_pipeline, monkeypatch):
    add_asset(vigie, "SL-00001")
    p = make_pipeline(start=False)
    p.ingest("SL-00001", light("ok", at=0))
    real = writer.write_samples

    def broken(s, rows):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(writer, "write_samples", broken)
    with pytest.raises(RuntimeError):
        p.flush()
    assert p.pending() == 1
    monkeypatch.setattr(writer, "write_samples", real)
    assert p.flush() == 1
    assert count(vigie, TelemetrySampleRow) == 1


def test_pipeline_restart_reloads_latest_state(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("ok", at=0, powerConsumption=40.0))
    p.stop()
    p2 = make_pipeline()
    assert p2.latest["SL-00001"].values["powerConsumption"] == 40.0
    # Same timestamp again after the restart: still recognised as a repeat.
    p2.ingest("SL-00001", light("ok", at=-100))
    assert p2.snapshot()["out_of_order"] == 1


def test_pipeline_latest_snapshot_is_a_copy_of_every_reporting_asset(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    add_asset(vigie, "SL-00002")
    p = make_pipeline()
    before_ms = int(datetime.now(UTC).timestamp() * 1000)
    p.ingest("SL-00001", light("ok", at=0, powerConsumption=40.0, powerState="on", illuminanceLevel=1.0))
    p.ingest("SL-00001", light("defectiveLamp", at=1, powerState="on", illuminanceLevel=1.0))
    snap = p.latest_snapshot()
    assert set(snap) == {"SL-00001"}  # SL-00002 never reported
    received_ms, values = snap["SL-00001"]
    assert received_ms >= before_ms
    assert values == {
        "status": "defectiveLamp",
        "powerState": "on",
        "illuminanceLevel": 1.0,
        "powerConsumption": 40.0,
    }
    # Later messages change neither the snapshot's mapping nor its values.
    p.ingest("SL-00001", light("ok", at=2))
    p.ingest("SL-00002", light("ok", at=0))
    assert set(snap) == {"SL-00001"} and values["status"] == "defectiveLamp"
    values["status"] = "changed by the caller"
    assert p.latest_values("SL-00001")[2]["status"] == "ok"


def test_pipeline_acks_update_commands(vigie, make_pipeline):
    from vigie.telemetry.lighting import queue_commands

    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    (cid,) = queue_commands(vigie, ["SL-00001"], "dim", {"level": 0.5}, "test")
    p.submit("vigie/ack/SL-00001", json.dumps({"id": cid, "status": "ok"}).encode())
    p.submit("vigie/ack/SL-00002", json.dumps({"id": cid, "status": "ok"}).encode())  # wrong asset
    p.flush()
    with vigie.db.session() as s:
        row = s.get(CommandRow, cid)
    assert row.status == "acked" and row.acked_at is not None and row.result == {"status": "ok"}
    assert p.snapshot()["acks_applied"] == 1


def test_pipeline_accepts_every_kind(vigie, make_pipeline):
    kinds = {
        "CAB-0001": ("streetlight_cabinet", {"powerState": "on", "voltage": 229.5, "doorOpen": False}),
        "CAM-0001": ("camera", {"online": True}),
        "TLC-0001": ("traffic_controller", {"fault": False, "operationMode": "normal"}),
        "RWS-0001": (
            "weather_station",
            {"surfaceTemperature": 2.5, "airTemperature": 4.0, "surfaceStatus": "dry", "precipitation": 0},
        ),
        "VEH-0001": (
            "vehicle",
            {"location": {"type": "Point", "coordinates": [5.04, 47.32]}, "speed": 30, "activity": "salting"},
        ),
    }
    for asset_id, (type_, _) in kinds.items():
        add_asset(vigie, asset_id, type_)
    p = make_pipeline()
    for asset_id, (_, values) in kinds.items():
        assert p.ingest(asset_id, json.dumps({"ts": ts(), **values, "x": {"fw": "1.2"}}).encode()), asset_id
    p.flush()
    assert count(vigie, TelemetrySampleRow) == len(kinds)
    assert history(vigie, "VEH-0001")[0]["x"] == {"fw": "1.2"}
    assert latest_state(vigie, "VEH-0001")["values"]["activity"] == "salting"
    # Future timestamps within a day are accepted (clock skew), not beyond.
    assert p.ingest("CAM-0001", json.dumps({"ts": ts(3600), "online": True}).encode())
    assert not p.ingest("CAM-0001", json.dumps({"ts": ts(2 * 86400), "online": True}).encode())


def test_pipeline_salvages_a_batch_the_database_keeps_refusing(vigie, make_pipeline, monkeypatch):
    add_asset(vigie, "SL-00001")
    p = make_pipeline(start=False)
    for i in range(3):
        p.ingest("SL-00001", light("ok", at=i))
    p.submit("vigie/telemetry/SL-00001", b"\x00\x01 not json")  # NUL: PostgreSQL text refuses it raw

    def refuse(*args):  # type: ignore[no-untyped-def]
        raise ValueError("this batch is refused")

    monkeypatch.setattr(writer, "write_batch", refuse)
    for _ in range(2):
        with pytest.raises(ValueError):
            p.flush()
    p.flush()  # third failure with a database that answers: row by row
    assert count(vigie, TelemetrySampleRow) == 3
    (dead,) = dead_letters(vigie)["items"]
    assert dead["payload"].startswith("\ufffd")
    assert p.pending() == 0 and p.snapshot().get("unstorable", 0) == 0


DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "says"),
    [
        ("vigie/telemetry/SL-00001", DEEP.encode(), "malformed_json", "nested"),
        (
            "vigie/telemetry/SL-00001",
            ('{"ts": "2026-11-26T10:00:00Z", "status": "ok", "x": {"a": ' + DEEP + "}}").encode(),
            "malformed_json",
            "nested",
        ),
        (
            "vigie/telemetry/SL-00001",
            ('{"ts": "2026-11-26T10:00:00Z", "x": {"a": ' + "[" * 35 + "1" + "]" * 35 + "}}").encode(),
            "malformed_json",
            "nested",
        ),
        ("vigie/telemetry/SL-00001", b'{"ts": "0001-01-01T00:00:00+01:00", "status": "ok"}', "schema", "ts"),
        ("vigie/telemetry/SL-00001", b'{"ts": "9999-12-31T23:59:59-01:00", "status": "ok"}', "schema", "ts"),
        ("vigie/telemetry/SL-00001", b'{"ts": "0001-01-01T00:00:00Z", "status": "ok"}', "schema", "ts"),
        ("vigie/telemetry/SL-00001", b'{"ts": "9999-12-31T23:59:59Z", "status": "ok"}', "schema", "ts"),
        ("vigie/ack/SL-00001", DEEP.encode(), "bad_ack", "nested"),
    ],
)
def test_pipeline_every_refused_message_reaches_the_dead_letters(
    vigie, make_pipeline, topic, payload, reason, says
):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.submit(topic, payload)
    p.flush()
    (row,) = dead_letters(vigie)["items"]
    assert row["reason"] == reason and says in row["detail"], row
    assert p.snapshot()["dead_letter_reasons"] == {reason: 1}
    assert count(vigie, TelemetrySampleRow) == 0


def test_pipeline_numbers_too_long_are_dead_letters(vigie, make_pipeline):
    """A number of thousands of digits was read as an int past Python's limit (a dead letter
    saying only "Exceeds the limit (4300 digits)…") or as a float turned infinite, then judged
    by the schema as if the device had measured infinity.
    Payloads are held to the HTTP bodies' checks (jsondepth.refusal) before they are parsed,
    a city's larger payload limit included; the ingest goes on."""
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.max_bytes = 200_000  # a city may raise it: the limit on numbers must hold on its own
    head = '{"ts": "2026-11-26T10:00:00Z", "status": "ok", "powerConsumption": '
    cases = {
        "100,000 digits": head + "7" * 100_000 + "}",
        "a float of 5,000 digits": head + "1" * 5_000 + ".5}",
        "an ack of 100,000 digits": '{"id": ' + "9" * 100_000 + ', "status": "done"}',
    }
    for name, payload in cases.items():
        topic = "vigie/ack/SL-00001" if "ack" in name else "vigie/telemetry/SL-00001"
        p.submit(topic, payload.encode())
    p.submit("vigie/telemetry/SL-00001", light("ok", at=0, powerConsumption=52.5))
    p.flush(latest=True)
    dead = dead_letters(vigie)["items"]
    assert len(dead) == 3 and all("too large to be read" in d["detail"] for d in dead), dead
    assert p.snapshot()["dead_letter_reasons"] == {"malformed_json": 2, "bad_ack": 1}
    assert latest_state(vigie, "SL-00001")["values"]["powerConsumption"] == 52.5
