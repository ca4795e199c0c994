"""Ingest through a real Mosquitto (our own process): protocols, QoS, restarts, auth, TLS, commands."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select

from vigie.telemetry.mqtt import MqttConfig, MqttSource
from vigie.telemetry.storage import DeadLetterRow, TelemetrySampleRow

from .helpers import Broker, add_asset, light, publish, ts, wait_until

# No pytest-timeout of its own: the global 300 s guard catches a hung client, above the sum of a
# test's own bounded waits (a connection 10 s, then 30 s waits), which decide a slow healthy run.
pytestmark = [pytest.mark.slow]


def samples(v):  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return s.scalar(select(func.count()).select_from(TelemetrySampleRow))


def source_for(vigie, url, **over):  # type: ignore[no-untyped-def]
    cfg = MqttConfig.from_url(url, vigie.settings, reconnect_max=1, **over)
    return MqttSource(cfg)


@pytest.fixture
def sources():  # type: ignore[no-untyped-def]
    started: list[MqttSource] = []
    yield started
    for s in started:
        s.stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
@pytest.mark.parametrize("qos", [0, 1])
def test_mqtt_ingest_qos_and_protocols(vigie, make_pipeline, broker, sources, protocol, qos):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    src = source_for(vigie, broker.url, protocol=protocol, qos=qos, client_id=f"ingest-{protocol}-{qos}")
    src.start(p.submit_many)
    sources.append(src)
    assert src.connected.wait(10)
    publish(
        broker.port,
        [("vigie/telemetry/SL-00001", light("ok", at=i)) for i in range(20)],
        qos=qos,
        protocol=protocol,
    )
    wait_until(lambda: p.snapshot().get("accepted", 0) == 20)
    p.flush()
    assert samples(vigie) == 20


def test_mqtt_malformed_payload_goes_to_dead_letter(vigie, make_pipeline, broker, sources):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    src = source_for(vigie, broker.url)
    src.start(p.submit_many)
    sources.append(src)
    assert src.connected.wait(10)
    publish(
        broker.port,
        [
            ("vigie/telemetry/SL-00001", b"\x00garbage"),
            ("vigie/telemetry/SL-00001", b'{"ts": "2026-11-26T10:00:00Z", "status": 42}'),
            ("vigie/telemetry/UNKNOWN-7", light("ok")),
            ("vigie/telemetry/SL-00001", light("ok")),
        ],
    )
    wait_until(lambda: p.snapshot().get("received", 0) == 4)
    p.flush()
    with vigie.db.session() as s:
        reasons = sorted(s.scalars(select(DeadLetterRow.reason)))
    assert reasons == ["malformed_json", "schema", "unknown_asset"]
    assert samples(vigie) == 1
    assert src.status()["connected"] is True


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_mqtt_broker_restart_loses_no_qos1_message(vigie, make_pipeline, tmp_path, sources, protocol):
    add_asset(vigie, "SL-00001")
    broker = Broker(tmp_path / f"mq-{protocol}").start()
    try:
        p = make_pipeline()
        src = source_for(vigie, broker.url, protocol=protocol, client_id=f"vigie-ingest-{protocol}")
        src.start(p.submit_many)
        sources.append(src)
        assert src.connected.wait(10)
        publish(
            broker.port,
            [("vigie/telemetry/SL-00001", light("ok", at=i)) for i in range(5)],
            protocol=protocol,
        )
        wait_until(lambda: p.snapshot().get("accepted", 0) == 5)
        broker.stop()  # the broker goes away (its session store is saved)
        wait_until(lambda: not src.connected.is_set())
        broker.start()
        # Published while the ingest is still disconnected (its backoff is ≥ 1 s).
        publish(
            broker.port,
            [("vigie/telemetry/SL-00001", light("ok", at=10 + i)) for i in range(30)],
            protocol=protocol,
        )
        published_at = time.monotonic()

        def all_stored() -> bool:
            p.flush()
            return bool(samples(vigie) == 35)

        # At least once: a few messages of the first batch may come again; the series keeps one.
        wait_until(all_stored, timeout=20)
        assert src.connects >= 2 and src.disconnects >= 1
        assert src.connected_at[-1] > published_at  # it was away while they were published
    finally:
        broker.stop()


def test_mqtt_ingest_restart_receives_messages_published_while_away(vigie, make_pipeline, broker, sources):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    src = source_for(vigie, broker.url, client_id="vigie-ingest-away")
    src.start(p.submit_many)
    assert src.connected.wait(10)
    src.stop()  # the ingest process stops; its session stays on the broker
    publish(broker.port, [("vigie/telemetry/SL-00001", light("ok", at=i)) for i in range(25)])
    assert p.snapshot().get("received", 0) == 0
    again = source_for(vigie, broker.url, client_id="vigie-ingest-away")
    again.start(p.submit_many)
    sources.append(again)
    wait_until(lambda: p.snapshot().get("accepted", 0) == 25)


def test_mqtt_starts_before_the_broker_and_connects_later(vigie, make_pipeline, tmp_path, sources):
    add_asset(vigie, "SL-00001")
    broker = Broker(tmp_path / "late")
    p = make_pipeline()
    src = source_for(vigie, broker.url)
    src.start(p.submit_many)  # nothing listens yet: no crash, retries with backoff
    sources.append(src)
    time.sleep(1.5)
    assert not src.connected.is_set()
    broker.start()
    try:
        assert src.connected.wait(15)
        publish(broker.port, [("vigie/telemetry/SL-00001", light("ok"))])
        wait_until(lambda: p.snapshot().get("accepted", 0) == 1)
    finally:
        broker.stop()


def test_mqtt_username_password(vigie, make_pipeline, tmp_path, sources):
    pw = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(pw), "ingest", "s3cret pass"], check=True, capture_output=True
    )
    pw.chmod(0o600)
    broker = Broker(tmp_path / "auth", extra=f"allow_anonymous false\npassword_file {pw}").start()
    try:
        add_asset(vigie, "SL-00001")
        p = make_pipeline()
        bad = source_for(vigie, f"mqtt://ingest:wrong@127.0.0.1:{broker.port}", client_id="bad")
        bad.start(p.submit_many)
        sources.append(bad)
        good = source_for(vigie, f"mqtt://ingest:s3cret%20pass@127.0.0.1:{broker.port}", client_id="good")
        good.start(p.submit_many)
        sources.append(good)
        assert good.connected.wait(10)
        time.sleep(0.5)
        assert not bad.connected.is_set() and bad.last_error
    finally:
        broker.stop()


def test_mqtt_tls(vigie, make_pipeline, tmp_path, sources):
    d = tmp_path / "tls"
    d.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    broker = Broker(
        d, extra=f"allow_anonymous true\ncertfile {d / 'cert.pem'}\nkeyfile {d / 'key.pem'}"
    ).start()
    try:
        add_asset(vigie, "SL-00001")
        p = make_pipeline()
        src = source_for(vigie, f"mqtts://127.0.0.1:{broker.port}", ca_file=str(d / "cert.pem"))
        src.start(p.submit_many)
        sources.append(src)
        assert src.connected.wait(10)
        import paho.mqtt.client as paho

        c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="tls-pub")
        c.tls_set(ca_certs=str(d / "cert.pem"))
        c.connect("127.0.0.1", broker.port)
        c.loop_start()
        c.publish(
            "vigie/telemetry/SL-00001", json.dumps({"ts": ts(), "status": "ok"}), qos=1
        ).wait_for_publish(10)
        c.disconnect()
        c.loop_stop()
        wait_until(lambda: p.snapshot().get("accepted", 0) == 1)
    finally:
        broker.stop()


def test_mqtt_commands_are_acknowledged_by_the_device(vigie, make_pipeline, broker, sources):
    from vigie.telemetry.lighting import dispatch_pending, get_command, queue_commands

    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    src = source_for(vigie, broker.url)
    src.start(p.submit_many)
    sources.append(src)
    assert src.connected.wait(10)
    import paho.mqtt.client as paho

    device = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="device")

    def on_message(c, u, msg):  # type: ignore[no-untyped-def]
        cmd = json.loads(msg.payload)
        c.publish(
            f"vigie/ack/{msg.topic.rsplit('/', 1)[-1]}", json.dumps({"id": cmd["id"], "status": "ok"}), qos=1
        )

    subscribed = threading.Event()
    device.on_message = on_message
    device.on_subscribe = lambda *args: subscribed.set()
    device.connect("127.0.0.1", broker.port)
    device.subscribe("vigie/command/+", qos=1)
    device.loop_start()
    try:
        assert subscribed.wait(30)  # a command sent before the SUBACK would reach no one
        (cid,) = queue_commands(vigie, ["SL-00001"], "switch", {"powerState": "off"}, "test")
        assert dispatch_pending(vigie, src.publish_command) == 1
        # Sent; the device may already have acknowledged it (the writer applies an ack
        # within one flush, sooner than this test's next read on a loaded machine).
        command = get_command(vigie, cid)
        assert command["sent_at"] is not None and command["status"] in ("sent", "acked")

        def acked():  # type: ignore[no-untyped-def]
            p.flush()
            return get_command(vigie, cid)["status"] == "acked"

        wait_until(acked)
        assert get_command(vigie, cid)["payload"]["powerState"] == "off"
    finally:
        device.disconnect()
        device.loop_stop()
