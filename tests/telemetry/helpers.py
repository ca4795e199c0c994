"""Shared helpers of the telemetry and alarms tests: assets, payloads, a private Mosquitto."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from vigie.assets.storage import AssetRow
from vigie.runtime import Vigie
from vigie.telemetry import sun

# Place Darcy, Dijon, and a point 20 m east of it.
DARCY = (47.3222, 5.0342)
NEAR_DARCY = (47.3222, 5.0345)
ZONE = "21231"


def add_asset(
    v: Vigie,
    asset_id: str,
    type_: str = "streetlight",
    lat: float | None = DARCY[0],
    long: float | None = DARCY[1],
    zone: str = ZONE,
    group: str = "G-001",
    status: str = "in_service",
    **attributes: Any,
) -> str:
    now = datetime.now(UTC)
    with v.db.session(write=True) as s:
        s.execute(
            insert(AssetRow),
            [
                {
                    "id": asset_id,
                    "type": type_,
                    "name": asset_id,
                    "lat": lat,
                    "long": long,
                    "zone": zone,
                    "status": status,
                    "group": group,
                    "attributes": attributes,
                    "links": {},
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        s.commit()
    return asset_id


def ts(offset_s: float = 0.0, base: datetime | None = None) -> str:
    t = (base or datetime.now(UTC)) + timedelta(seconds=offset_s)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def daylight(when: datetime) -> bool:
    """Whether the sun is up at Place Darcy (Dijon) at ``when``: a test's street light
    reported on then would also raise the day-burner alarm, whatever hour the test runs at.
    Within the rule's margin of sunrise and sunset, either answer raises nothing."""
    return sun.sunrise(when.date(), *DARCY) <= when <= sun.sunset(when.date(), *DARCY)


def power_state(when: datetime) -> str:
    """What a working Dijon street light does at ``when``: on at night, off by day."""
    return "off" if daylight(when) else "on"


def light(status: str = "ok", at: float = 0.0, **more: Any) -> bytes:
    """A street light's message at Place Darcy, now + ``at`` seconds: on at night, off by day
    (a light on in daylight is a day-burner, an alarm of its own, whatever the test's hour)."""
    when = datetime.now(UTC) + timedelta(seconds=at)
    day = daylight(when)
    body = {
        "ts": ts(0.0, when),
        "status": status,
        "powerState": "off" if day else "on",
        "illuminanceLevel": 0.0 if day else 1.0,
    }
    body.update(more)
    return json.dumps(body).encode()


def wait_until(cond: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """Our own Mosquitto on a free port (persistence on), never the shared one."""

    def __init__(self, workdir: Path, extra: str = "", port: int | None = None) -> None:
        if shutil.which("mosquitto") is None:
            pytest.skip("mosquitto is not installed")
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = self.dir / "mosquitto.conf"
        self.log = self.dir / "mosquitto.log"
        root = "user root\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"{root}listener {self.port} 127.0.0.1\n"
            f"persistence true\npersistence_location {self.dir}/\n"
            "autosave_interval 1\nmax_queued_messages 100000\n"
            f"{extra or 'allow_anonymous true'}\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # saves the persistence file
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def publish(port: int, messages: list[tuple[str, bytes]], qos: int = 1, protocol: str = "5") -> None:
    """Publish and wait until the broker has every QoS 1 message."""
    import paho.mqtt.client as paho

    proto = paho.MQTTv5 if protocol == "5" else paho.MQTTv311
    c = paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{time.monotonic_ns()}", protocol=proto
    )
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        infos = [c.publish(topic, payload, qos=qos) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(timeout=10)
    finally:
        c.disconnect()
        c.loop_stop()
