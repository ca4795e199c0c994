"""The fast paho client against the pinned paho-mqtt: same messages and acknowledgements as paho's own.

``vigie.telemetry.paho_fast`` overrides private methods of paho-mqtt; these tests fail
first when the installed paho is not the pinned release or lacks a member the
overrides use (docs/decisions/0002-paho-mqtt.md).
"""

from __future__ import annotations

import re
import select
import socket
import threading
import tomllib
from importlib.metadata import version
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from vigie.telemetry.paho_fast import (
    PAHO_PRIVATE_ATTRIBUTES,
    PAHO_PRIVATE_METHODS,
    PAHO_VERSION,
    RECVS_PER_READ,
    FastClient,
)

ROOT = Path(__file__).resolve().parents[2]


def test_paho_fast_installed_paho_is_the_pinned_release():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d for d in declared if re.match(r"paho-mqtt\b", d)]
    assert pins == [f"paho-mqtt=={PAHO_VERSION}"], "paho-mqtt must be pinned exactly (private API overridden)"
    assert version("paho-mqtt") == PAHO_VERSION
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert f"\npaho-mqtt=={PAHO_VERSION} " in lock


def test_paho_fast_private_members_exist_in_paho():
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="probe")
    for name in PAHO_PRIVATE_METHODS:
        assert callable(getattr(paho.Client, name, None)), f"paho.Client.{name} is gone"
    for name in PAHO_PRIVATE_ATTRIBUTES:
        assert hasattr(client, name), f"paho.Client().{name} is gone"


def _publish_packet(topic: bytes, payload: bytes, qos: int, mid: int, v5: bool) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += mid.to_bytes(2, "big")
    if v5:
        body += b"\x02\x01\x01"  # properties: payload format indicator = 1 (skipped by the fast path)
    body += payload
    n, length = len(body), b""
    while True:
        n, digit = divmod(n, 128)
        length += bytes([digit | (0x80 if n else 0)])
        if not n:
            break
    return bytes([0x30 | (qos << 1)]) + length + body


def _feed(client: paho.Client, stream: bytes, cuts: list[int]) -> bytes:
    """Sends ``stream`` in pieces cut at ``cuts``, reading after each; returns what the client sent back."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client._sock = ours
    start = 0
    for end in [*cuts, len(stream)]:
        theirs.sendall(stream[start:end])
        start = end
        for _ in range(50):  # paho's own loop_read takes one packet a call; extra calls find nothing
            assert client.loop_read() == paho.MQTTErrorCode.MQTT_ERR_SUCCESS
    client.loop_write()
    theirs.setblocking(False)
    try:
        sent = theirs.recv(65536)
    except BlockingIOError:
        sent = b""
    client._sock = None
    ours.close()
    theirs.close()
    return sent


@pytest.mark.parametrize("protocol", [paho.MQTTv5, paho.MQTTv311])
@pytest.mark.parametrize("qos", [0, 1])
def test_paho_fast_reads_what_paho_reads_and_acknowledges_alike(protocol, qos):
    v5 = protocol == paho.MQTTv5
    topics = [b"vigie/telemetry/SL-00001", b"vigie/ack/CAB-0001", b"vigie/telemetry/\xff\xfe"]
    packets = [
        _publish_packet(topics[i % 3], b'{"n": %d}' % i + b"x" * (i * 97), qos, i + 1, v5) for i in range(40)
    ]
    stream = b"".join(packets)
    # Packets arriving whole, several per read, and cut anywhere (inside a header, a length, a body).
    cuts = [1, 2, 3, 50, 51, 700, 1999, 2000, 2001, 9000, len(stream) - 1]

    stock = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="stock", protocol=protocol)
    expected: list[tuple[str, bytes]] = []

    def on_message(client, userdata, msg):  # type: ignore[no-untyped-def]
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = "(undecodable topic)"
        expected.append((topic, msg.payload))

    stock.on_message = on_message
    stock_acks = _feed(stock, stream, cuts)

    fast = FastClient(paho.CallbackAPIVersion.VERSION2, client_id="fast", protocol=protocol)
    got: list[tuple[str, bytes]] = []
    fast.fast_on_messages = got.extend
    fast_acks = _feed(fast, stream, cuts)

    assert len(expected) == 40 and got == expected
    assert fast_acks == stock_acks
    pubacks = b"".join(b"\x40\x02" + (i + 1).to_bytes(2, "big") for i in range(40))
    assert fast_acks == (pubacks if qos else b"")


def test_paho_fast_without_fast_callback_is_paho():
    fast = FastClient(paho.CallbackAPIVersion.VERSION2, client_id="fast", protocol=paho.MQTTv311)
    seen: list[str] = []
    fast.on_message = lambda client, userdata, msg: seen.append(msg.topic)
    _feed(fast, _publish_packet(b"vigie/telemetry/SL-1", b"{}", 1, 7, False), [])
    assert seen == ["vigie/telemetry/SL-1"]


def test_paho_fast_returns_to_paho_after_its_share_of_a_backlog():
    """A backlog never ending on a read's boundary must not keep loop_read from returning:
    paho writes (PINGREQ) only between calls, and a broker drops a silent client."""
    packet = _publish_packet(b"vigie/telemetry/SL-00001", b"x" * 104, 0, 0, False)  # 131 bytes
    count = 12_000  # 1.5 MB, six times a call's share
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    sender = threading.Thread(target=theirs.sendall, args=(packet * count,), daemon=True)
    sender.start()
    fast = FastClient(paho.CallbackAPIVersion.VERSION2, client_id="fast", protocol=paho.MQTTv311)
    got: list[bytes] = []
    fast.fast_on_messages = lambda messages: got.extend(payload for _, payload in messages)
    fast._sock = ours
    calls = 0
    while len(got) < count and calls < 10_000:
        select.select([ours], [], [], 5)
        before = len(got)
        assert fast.loop_read() == paho.MQTTErrorCode.MQTT_ERR_SUCCESS
        assert (len(got) - before) * len(packet) <= RECVS_PER_READ * 65536
        calls += 1
    sender.join(5)
    fast._sock = None
    ours.close()
    theirs.close()
    assert len(got) == count and set(got) == {b"x" * 104}
    assert calls >= count * len(packet) // (RECVS_PER_READ * 65536)


@pytest.mark.parametrize("protocol", [paho.MQTTv5, paho.MQTTv311])
def test_paho_fast_keeps_the_order_of_messages_paho_itself_delivers(protocol):
    """A QoS 2 message goes through paho's own path: the messages of the same read before it
    are handed over first, not at the end of the read."""
    v5 = protocol == paho.MQTTv5
    topic = b"vigie/telemetry/SL-00001"
    stream = (
        _publish_packet(topic, b"1", 1, 1, v5)
        + _publish_packet(topic, b"2", 2, 2, v5)
        + b"\x62\x02\x00\x02"  # PUBREL of message 2: paho delivers a QoS 2 message then
        + _publish_packet(topic, b"3", 1, 3, v5)
    )
    fast = FastClient(paho.CallbackAPIVersion.VERSION2, client_id="fast", protocol=protocol)
    got: list[bytes] = []
    fast.fast_on_messages = lambda messages: got.extend(payload for _, payload in messages)
    fast.on_message = lambda client, userdata, msg: got.append(msg.payload)
    _feed(fast, stream, [])
    assert got == [b"1", b"2", b"3"]
