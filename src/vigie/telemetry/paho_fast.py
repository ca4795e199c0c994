"""paho-mqtt's client with a faster receive path: the only code that touches paho's private API.

Overrides ``_sock_recv``, ``_handle_publish`` and ``loop_read`` and reads ``_sock``,
``_in_packet``, ``_protocol``, ``_manual_ack``, ``_packet_read``, ``_loop_rc_handle``
and ``_send_puback`` of paho-mqtt **2.2.0**, the exact version pinned in
pyproject.toml. Private names can change in any paho release: the pin keeps them
still, and ``tests/telemetry/test_telemetry_paho_fast.py`` fails first when the
installed paho is not the pinned one or lacks one of them. Why the overrides are
worth it (the ingest target): docs/decisions/0002-paho-mqtt.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.client import MQTTErrorCode

# The paho-mqtt release these overrides were written and tested against (pyproject.toml pins it).
PAHO_VERSION = "2.2.0"
# paho's private members used here; the tests check that the installed paho has every one.
PAHO_PRIVATE_METHODS = ("_sock_recv", "_packet_read", "_loop_rc_handle", "_handle_publish", "_send_puback")
PAHO_PRIVATE_ATTRIBUTES = ("_sock", "_in_packet", "_protocol", "_manual_ack")


# Socket reads of 64 KiB per loop_read (a few thousand messages) before paho gets to write.
RECVS_PER_READ = 4


class FastClient(paho.Client):
    """paho's client reading the socket in 64 KiB chunks instead of 3–4 reads per packet.

    paho asks the socket for 1 byte, then the length bytes one by one, then the
    body; at tens of thousands of small messages a second those system calls
    and the select() between packets dominate. Serving them from a buffer and
    draining it before returning to select() about doubles the receive rate.
    """

    _rbuf: bytes = b""
    _rpos: int = 0
    _recvs: int = 0
    _rsock: Any = None

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._sock is not self._rsock:  # new connection: never serve the old one's bytes
            self._rsock, self._rbuf, self._rpos = self._sock, b"", 0
        buf, pos = self._rbuf, self._rpos
        if pos >= len(buf):
            if self._recvs >= RECVS_PER_READ:
                # This loop_read has read its share: paho keeps the packet begun so far and
                # asks again once it has written (PUBACK, PINGREQ) and checked the keepalive.
                # Reading on until a packet happened to end with a read kept a subscriber
                # with a backlog in here for tens of seconds: no PINGREQ, and the broker
                # dropped the connection (and its QoS 0 messages) after 1.5 keepalives.
                raise BlockingIOError
            buf = super()._sock_recv(65536)
            self._recvs += 1
            if not buf:
                return buf
            self._rbuf, pos = buf, 0
        end = pos + bufsize
        self._rpos = end
        return buf[pos:end]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        if self._sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        self._recvs = 0
        if not hasattr(self, "_batch"):
            self._batch, self._batch_acks = [], []
        try:
            while True:
                if self._sock is None:
                    return MQTTErrorCode.MQTT_ERR_NO_CONN
                rc = self._packet_read()
                if rc > 0:
                    self._rbuf, self._rpos = b"", 0
                    self._deliver()  # what arrived whole before the connection broke
                    return self._loop_rc_handle(rc)
                if rc == MQTTErrorCode.MQTT_ERR_AGAIN:  # nothing more to read, or its share read
                    return MQTTErrorCode.MQTT_ERR_SUCCESS
        finally:
            self._deliver()

    # Set by MqttSource: called with the (topic, payload) of the QoS 0/1 PUBLISH packets
    # that one loop_read took from the socket, without paho's MQTTMessage,
    # MQTTMessageInfo and topic matching (a third of its cost per message). One call per
    # read rather than per message: the pipeline takes its lock once for them all, and
    # the partitions' connections of one process do not hand that lock over per message.
    fast_on_messages: Callable[[list[tuple[str, bytes]]], None] | None = None
    _batch: list[tuple[str, bytes]]  # read by this loop_read, not yet delivered
    _batch_acks: list[int]  # their QoS 1 packet ids

    def _deliver(self) -> None:
        """Hand the messages read to the callback, then acknowledge the QoS 1 ones: a
        PUBACK never leaves before its message is in the pipeline."""
        batch, acks = self._batch, self._batch_acks
        if not batch:
            return
        self._batch, self._batch_acks = [], []
        cb = self.fast_on_messages
        if cb is not None:
            cb(batch)
        for mid in acks:
            self._send_puback(mid)

    def _handle_publish(self) -> MQTTErrorCode:
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if self.fast_on_messages is None or qos > 1 or self._manual_ack:
            if getattr(self, "_batch", None):
                self._deliver()  # the messages read before this one go first
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        n = len(packet)
        if n < 2:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        end = 2 + ((packet[0] << 8) | packet[1])
        topic_b = packet[2:end]
        mid = 0
        if qos:
            if n < end + 2:
                return MQTTErrorCode.MQTT_ERR_PROTOCOL
            mid = (packet[end] << 8) | packet[end + 1]
            end += 2
        if self._protocol == paho.MQTTv5:  # skip the properties (no topic aliases asked for)
            length, mult = 0, 1
            while True:
                if end >= n:
                    return MQTTErrorCode.MQTT_ERR_PROTOCOL
                b = packet[end]
                end += 1
                length += (b & 0x7F) * mult
                mult *= 128
                if not b & 0x80:
                    break
            end += length
        if end > n or not topic_b:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        try:
            topic = topic_b.decode()
        except UnicodeDecodeError:
            topic = "(undecodable topic)"
        self._batch.append((topic, bytes(packet[end:])))
        if qos == 1:
            self._batch_acks.append(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS
