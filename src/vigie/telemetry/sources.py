"""The TelemetrySource seam: where messages come from, where commands go.

``MqttSource`` (vigie.telemetry.mqtt) when ``VIGIE_MQTT_URL`` is set;
``InProcessSource`` otherwise: the fleet simulator runs in a thread of this
process and pushes payloads straight into the pipeline (no broker), and
answers commands itself.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from vigie.telemetry.simulator import FleetSimulator

log = logging.getLogger(__name__)


class TelemetrySource(Protocol):
    name: str

    def start(self, submit: Callable[[list[tuple[str, bytes]]], None]) -> None: ...

    def publish_command(self, asset_id: str, payload: bytes) -> bool: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class InProcessSource:
    """Runs a :class:`FleetSimulator` on a thread; ``speed`` > 1 makes simulated time run faster."""

    name = "in-process"

    def __init__(
        self,
        simulator: FleetSimulator,
        ingest: Callable[[str, dict[str, Any]], object],
        ingest_ack: Callable[[str, dict[str, Any]], object],
        speed: float = 1.0,
        tick: float = 1.0,
        start_at: datetime | None = None,
    ) -> None:
        self.simulator = simulator
        self.ingest = ingest
        self.ingest_ack = ingest_ack
        self.speed = speed
        self.tick = tick
        self.start_at = start_at
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._real0 = time.monotonic()
        self._sim0 = datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._sim0 + timedelta(seconds=(time.monotonic() - self._real0) * self.speed)

    def start(self, submit: Callable[[list[tuple[str, bytes]]], None] | None = None) -> None:
        self._real0 = time.monotonic()
        self._sim0 = self.start_at or datetime.now(UTC)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="telemetry-simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("simulator step failed")
            self._stop.wait(self.tick)

    def step(self) -> int:
        with self._lock:
            messages = self.simulator.step(self.now())
        for asset_id, payload in messages:
            self.ingest(asset_id, payload)
        self.sent += len(messages)
        return len(messages)

    def publish_command(self, asset_id: str, payload: bytes) -> bool:
        try:
            cmd = json.loads(payload)
        except ValueError:
            return False
        with self._lock:
            ack = self.simulator.on_command(asset_id, cmd, self.now())
        self.ingest_ack(asset_id, ack)
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def status(self) -> dict[str, Any]:
        return {
            "source": self.name,
            "connected": self._thread is not None,
            "devices": len(self.simulator.devices),
            "messages_sent": self.sent,
            "speed": self.speed,
        }
