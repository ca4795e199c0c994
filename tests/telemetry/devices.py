"""Devices publishing numbered messages through a real broker, and who ingests them (PostgreSQL).

Shared by the partitioned-ingest test and the two-node test: lighting cabinets whose
k-th message is at ``BASE + k`` seconds, with the voltage of a twelve-message cycle
(230 V ×3, 170 V ×3: power-loss alarm, 195 V ×3: still active by hysteresis,
215 V ×3: cleared), so that what was stored can be named by (cabinet, k).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as paho
from sqlalchemy import text

from vigie.runtime import Vigie
from vigie.telemetry.partitions import PARTITION_CLASS

CYCLE = (230.0,) * 3 + (170.0,) * 3 + (195.0,) * 3 + (215.0,) * 3
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def at(k: int) -> datetime:
    return BASE + timedelta(seconds=k)


def message(k: int) -> bytes:
    stamp = at(k).isoformat().replace("+00:00", "Z")
    return json.dumps({"ts": stamp, "voltage": CYCLE[k % 12], "powerConsumption": float(k)}).encode()


def holders(v: Vigie) -> dict[int, str]:
    """partition -> the application name of the session holding it ("vigie-ingest {pid}@{host}")."""
    with v.db.session() as s:
        rows = s.execute(
            text(
                "SELECT l.objid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() "
                "AND l.locktype = 'advisory' AND l.classid = :c AND l.objsubid = 2 AND l.granted"
            ),
            {"c": PARTITION_CLASS},
        ).all()
    return {int(p): str(name) for p, name in rows}


def holder_pid(name: str) -> int:
    return int(name.split(" ", 1)[1].split("@", 1)[0])


def stored(v: Vigie) -> set[tuple[str, int]]:
    """(cabinet, k) of every sample in the database."""
    base_ms = int(BASE.timestamp() * 1000)
    with v.db.session() as s:
        rows = s.execute(text("SELECT asset_id, ts_ms FROM telemetry_samples")).all()
    return {(a, (ts - base_ms) // 1000) for a, ts in rows}


class Publisher:
    """Publishes round after round (every cabinet's k-th message), QoS 1, in a thread."""

    def __init__(self, port: int, cabinets: list[str], rounds: int) -> None:
        self.cabinets = cabinets
        self.rounds = rounds
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=f"devices-{time.monotonic_ns()}"
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.k = 0
        self.done = threading.Event()
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, k: int) -> None:
        infos = [self.client.publish(f"vigie/telemetry/{c}", message(k), qos=1) for c in self.cabinets]
        for info in infos:
            info.wait_for_publish(timeout=10)

    def probe(self, v: Vigie) -> bool:
        """Whether every cabinet's first message is stored; sent again if not (a partition's
        session subscribes on its first connection, maybe after a send)."""
        if {c for c, _ in stored(v)} >= set(self.cabinets):
            return True
        self.send(0)
        return False

    def start(self, first: int = 1, every: float = 0.05) -> None:
        self._thread = threading.Thread(target=self._run, args=(first, every), daemon=True)
        self._thread.start()

    def _run(self, first: int, every: float) -> None:
        for k in range(first, self.rounds):
            if self.stop.is_set():
                break
            self.send(k)
            self.k = k
            time.sleep(every)
        self.done.set()

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self.client.disconnect()
        self.client.loop_stop()
