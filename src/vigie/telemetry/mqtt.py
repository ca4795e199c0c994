"""MQTT source of the ingest (paho-mqtt 2.x): MQTT 3.1.1 or 5, QoS 0/1, TLS, user/password.

Survives the broker going away: paho's network thread reconnects with
exponential backoff, and the fixed client id with a persistent session
(clean_session=False, or MQTT 5 clean_start=False + session expiry) makes the
broker keep QoS 1 messages published meanwhile and deliver them on reconnect.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.client import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from vigie.settings import Settings
from vigie.telemetry.paho_fast import FastClient

log = logging.getLogger(__name__)


@dataclass
class MqttConfig:
    host: str
    port: int
    tls: bool = False
    username: str = ""
    password: str = ""
    client_id: str = "vigie-ingest"
    protocol: str = "5"
    keepalive: int = 30
    qos: int = 1
    session_expiry: int = 86400
    reconnect_max: float = 30.0
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    insecure: bool = False
    prefix: str = "vigie"
    persistent: bool = True

    @classmethod
    def from_url(cls, url: str, settings: Settings | None = None, **over: Any) -> MqttConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"VIGIE_MQTT_URL must start with mqtt:// or mqtts://, got '{parts.scheme}://'")
        tls = parts.scheme in ("mqtts", "ssl")
        s = settings or Settings()
        cfg = cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            client_id=s.mqtt_client_id,
            protocol=s.mqtt_protocol,
            keepalive=s.mqtt_keepalive_seconds,
            qos=s.mqtt_qos,
            session_expiry=s.mqtt_session_expiry_seconds,
            reconnect_max=s.mqtt_reconnect_max_seconds,
            ca_file=s.mqtt_tls_ca_file,
            cert_file=s.mqtt_tls_cert_file,
            key_file=s.mqtt_tls_key_file,
            insecure=s.mqtt_tls_insecure,
            prefix=s.mqtt_topic_prefix.strip("/"),
        )
        for k, val in over.items():
            setattr(cfg, k, val)
        if cfg.protocol not in ("5", "3.1.1"):
            raise ValueError(f"VIGIE_MQTT_PROTOCOL must be 5 or 3.1.1, got '{cfg.protocol}'")
        if cfg.qos not in (0, 1):
            raise ValueError("VIGIE_MQTT_QOS must be 0 or 1")
        return cfg


def make_client(cfg: MqttConfig, client_id: str | None = None, persistent: bool | None = None):  # type: ignore[no-untyped-def]
    """A configured (not yet connected) client."""
    persistent = cfg.persistent if persistent is None else persistent
    cid = cfg.client_id if client_id is None else client_id
    if cfg.protocol == "5":
        client = FastClient(paho.CallbackAPIVersion.VERSION2, client_id=cid, protocol=paho.MQTTv5)
    else:
        client = FastClient(
            paho.CallbackAPIVersion.VERSION2,
            client_id=cid,
            protocol=paho.MQTTv311,
            clean_session=not persistent,
        )
    if cfg.username:
        client.username_pw_set(cfg.username, cfg.password or None)
    if cfg.tls:
        client.tls_set(
            ca_certs=cfg.ca_file or None,
            certfile=cfg.cert_file or None,
            keyfile=cfg.key_file or None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
        if cfg.insecure:
            client.tls_insecure_set(True)
    client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(cfg.reconnect_max)))
    client.max_queued_messages_set(100_000)
    return client


def connect_kwargs(cfg: MqttConfig, persistent: bool | None = None) -> dict[str, Any]:
    persistent = cfg.persistent if persistent is None else persistent
    if cfg.protocol != "5":
        return {}
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = cfg.session_expiry if persistent else 0
    return {"clean_start": not persistent, "properties": props}


SUBSCRIBE_CHUNK = 500  # topics per SUBSCRIBE packet (a partition subscribes to thousands)


class MqttSource:
    """Feeds the pipeline from ``{prefix}/telemetry/+`` and ``{prefix}/ack/+``; sends commands.

    ``topics`` replaces those two filters (the partitions of a partitioned ingest
    subscribe to their assets' topics one by one); ``drop`` names filters to
    unsubscribe from on connection (a persistent session keeps its subscriptions, so
    a session that used to take every topic must be told to stop).
    """

    name = "mqtt"

    def __init__(self, cfg: MqttConfig, topics: list[str] | None = None, drop: tuple[str, ...] = ()) -> None:
        self.cfg = cfg
        self.topics = topics
        self.drop = drop
        self._subacks = 0
        self.client: Any = None
        self.connected = threading.Event()
        self.connects = 0
        self.disconnects = 0
        self.last_error = ""
        self.connected_at: list[float] = []
        self._submit: Callable[[list[tuple[str, bytes]]], None] | None = None

    def start(self, submit: Callable[[list[tuple[str, bytes]]], None]) -> None:
        """Connect and feed ``submit`` (:meth:`IngestPipeline.submit_many`) with the
        ``(topic, payload)`` of the messages, as each read of the socket gives them."""
        self._submit = submit
        cfg = self.cfg
        client = make_client(cfg)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.fast_on_messages = self._fast_messages
        client.connect_async(cfg.host, cfg.port, cfg.keepalive, **connect_kwargs(cfg))
        self.client = client
        client.loop_start()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            self.last_error = str(reason)
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        self.connects += 1
        self.connected_at.append(time.monotonic())
        prefix = self.cfg.prefix
        topics = (
            list(self.topics) if self.topics is not None else [f"{prefix}/telemetry/+", f"{prefix}/ack/+"]
        )
        if self.drop:
            client.unsubscribe(list(self.drop))
        # `connected` waits for the broker's SUBACKs (_on_subscribe): until then a message
        # published on a new session would reach no subscription and be lost.
        chunks = [topics[i : i + SUBSCRIBE_CHUNK] for i in range(0, len(topics), SUBSCRIBE_CHUNK)]
        self._subacks = len(chunks)
        if not chunks:
            self.connected.set()
        for chunk in chunks:
            client.subscribe([(t, self.cfg.qos) for t in chunk])
        log.info(
            "MQTT connected to %s:%s (session present: %s)",
            self.cfg.host,
            self.cfg.port,
            getattr(flags, "session_present", None),
        )

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        refused = [r for r in reasons if getattr(r, "is_failure", False)]
        if refused:
            self.last_error = f"subscription refused: {refused[0]}"
            log.warning("MQTT broker refused the subscription: %s", refused[0])
            return
        self._subacks -= 1
        if self._subacks <= 0:
            self.connected.set()

    def add_topics(self, topics: list[str]) -> None:
        """Subscribe to more topics (assets added to the registry), now and on reconnection."""
        if self.topics is None or not topics:
            return
        self.topics.extend(topics)
        client = self.client
        if client is not None and self.connected.is_set():
            for i in range(0, len(topics), SUBSCRIBE_CHUNK):
                client.subscribe([(t, self.cfg.qos) for t in topics[i : i + SUBSCRIBE_CHUNK]])

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        self.disconnects += 1
        self.last_error = str(reason)
        log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        submit = self._submit
        if submit is None:
            return
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = "(undecodable topic)"
        try:
            submit([(topic, msg.payload)])
        except Exception:  # the pipeline never raises; this is a last guard for the thread
            log.exception("telemetry message dropped by an unexpected error")

    def _fast_messages(self, messages: list[tuple[str, bytes]]) -> None:
        submit = self._submit
        if submit is None:
            return
        try:
            submit(messages)
        except Exception:  # the pipeline never raises; this is a last guard for the thread
            log.exception("%d telemetry messages dropped by an unexpected error", len(messages))

    def publish(self, topic: str, payload: bytes, qos: int | None = None) -> bool:
        if self.client is None:
            return False
        qos = self.cfg.qos if qos is None else qos
        info = self.client.publish(topic, payload, qos=qos)
        # QoS 1 messages published while disconnected are queued by paho and sent on reconnect.
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (
            info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and qos > 0
        )

    def publish_command(self, asset_id: str, payload: bytes) -> bool:
        return self.publish(f"{self.cfg.prefix}/command/{asset_id}", payload)

    def stop(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.disconnect()
        finally:
            client.loop_stop()

    def status(self) -> dict[str, Any]:
        return {
            "source": self.name,
            "broker": f"{self.cfg.host}:{self.cfg.port}",
            "connected": self.connected.is_set(),
            "connects": self.connects,
            "disconnects": self.disconnects,
            "last_error": self.last_error,
        }
