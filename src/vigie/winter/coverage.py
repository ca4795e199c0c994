"""Live coverage of the salting circuits from the vehicles' positions (a telemetry observer).

Each position of a vehicle whose ``activity`` is ``salting`` is matched to the
pieces of circuit within ``MATCH_M`` (a grid lookup, in memory, on the ingest's
hot path); the pieces it treats are written by this context's own thread every
``flush_seconds`` (one upsert), then a ``winter.coverage`` event tells the control
room which circuits moved. The salt spread (dosage × width × distance driven while
salting) is added up per vehicle and written once a minute.

``latencies`` keeps, for the benchmark, the seconds from a position's arrival to
the commit of the coverage it changed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text

from vigie.db import upsert
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie
from vigie.telemetry.schema import VEHICLE
from vigie.winter.domain import Network
from vigie.winter.storage import CircuitRow, CoverageRow, SaltRow

log = logging.getLogger(__name__)
SALT_FLUSH_SECONDS = 60.0
RELOAD_SECONDS = 10.0
DEFAULT_WIDTH_M = 6.0  # a two-lane road
MAX_GAP_S = 120.0  # a longer silence: the distance since is not counted as salted


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class CoverageTracker:
    kinds = frozenset({VEHICLE})

    def __init__(self, v: Vigie, flush_seconds: float = 0.2) -> None:
        self.v = v
        self.flush_seconds = flush_seconds
        self.network = Network([])
        self.circuit_ids: list[int] = []
        self.treated: list[list[int]] = []  # per circuit, per piece: ms of the last treatment (0: never)
        self.by: list[list[str]] = []
        self._version: tuple[int, int | None] = (0, None)
        self._last: dict[str, tuple[float, float, int]] = {}  # vehicle -> lon, lat, ms
        self._dirty: dict[tuple[int, int], tuple[int, str]] = {}
        self._arrived: list[float] = []  # monotonic arrival of the positions waiting to be written
        self._salt_kg: dict[str, float] = {}
        self._salt_due = time.monotonic() + SALT_FLUSH_SECONDS
        self.latencies: deque[float] = deque(maxlen=100_000)
        self.flush_timings: deque[tuple[float, float]] = deque(maxlen=10_000)  # (write s, publish s)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life ----------------------------------------------------------------

    def start(self) -> None:
        self.reload(force=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="winter-coverage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush(salt=True)

    def _run(self) -> None:
        next_reload = time.monotonic() + RELOAD_SECONDS
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush(salt=time.monotonic() >= self._salt_due)
                if time.monotonic() >= next_reload:
                    next_reload = time.monotonic() + RELOAD_SECONDS
                    self.reload()
            except Exception:
                log.exception("winter coverage writer")

    def reload(self, force: bool = False) -> bool:
        """Rebuild the network when circuits were added or removed; returns whether it did."""
        with self.v.db.session() as s:
            version = tuple(s.execute(select(func.count(), func.max(CircuitRow.id))).one())
            if not force and version == self._version:
                return False
            circuits = list(s.execute(select(CircuitRow.id, CircuitRow.coordinates).order_by(CircuitRow.id)))
            rows = list(
                s.execute(
                    select(
                        CoverageRow.circuit_id,
                        CoverageRow.seq,
                        CoverageRow.treated_at,
                        CoverageRow.vehicle_id,
                    )
                )
            )
        network = Network([[(float(p[0]), float(p[1])) for p in c.coordinates] for c in circuits])
        ids = [c.id for c in circuits]
        index = {cid: i for i, cid in enumerate(ids)}
        treated = [[0] * len(ps) for ps in network.pieces]
        by = [[""] * len(ps) for ps in network.pieces]
        for cid, seq, at, vehicle in rows:
            i = index.get(cid)
            if i is not None and seq < len(treated[i]):
                treated[i][seq] = int(at.timestamp() * 1000)
                by[i][seq] = vehicle
        with self._lock:
            self.network, self.circuit_ids, self.treated, self.by = network, ids, treated, by
            self._version = (int(version[0]), version[1])
        return True

    # --- hot path ------------------------------------------------------------

    def observe(
        self, asset: Any, values: dict[str, Any], changed: dict[str, Any], at: datetime
    ) -> dict[str, Any] | None:
        loc = changed.get("location")
        if loc is None:
            return None
        lon, lat = float(loc["coordinates"][0]), float(loc["coordinates"][1])
        ms = int(at.timestamp() * 1000)
        prev = self._last.get(asset.id)
        self._last[asset.id] = (lon, lat, ms)
        if values.get("activity") != "salting":
            return None
        rate = values.get("spreadRate")
        if rate and prev is not None and 0 < ms - prev[2] <= MAX_GAP_S * 1000:
            proj = self.network.proj
            dist = math.dist(proj.xy(lon, lat), proj.xy(prev[0], prev[1]))
            width = values.get("spreadWidth") or DEFAULT_WIDTH_M
            with self._lock:
                self._salt_kg[asset.id] = self._salt_kg.get(asset.id, 0.0) + rate * width * dist / 1000
        pieces = self.network.match(lon, lat)
        if not pieces:
            return None
        with self._lock:
            moved = False
            for p in pieces:
                if ms > self.treated[p.circuit][p.seq]:
                    self.treated[p.circuit][p.seq] = ms
                    self.by[p.circuit][p.seq] = asset.id
                    self._dirty[(self.circuit_ids[p.circuit], p.seq)] = (ms, asset.id)
                    moved = True
            if moved:
                self._arrived.append(time.monotonic())
        return None

    # --- reads ---------------------------------------------------------------

    def shares(self, since: datetime | None) -> dict[int, float]:
        """circuit id -> share of its pieces treated since ``since`` (all time when None)."""
        limit = int(since.timestamp() * 1000) if since else 1
        with self._lock:
            out = {}
            for cid, pieces, treated in zip(self.circuit_ids, self.network.pieces, self.treated, strict=True):
                total = sum(p.length for p in pieces) or 1.0
                out[cid] = sum(p.length for p, t in zip(pieces, treated, strict=True) if t >= limit) / total
            return out

    # --- writer --------------------------------------------------------------

    def flush(self, salt: bool = False) -> int:
        with self._lock:
            dirty, self._dirty = self._dirty, {}
            arrived, self._arrived = self._arrived, []
            kg: dict[str, float] = {}
            if salt:
                kg, self._salt_kg = self._salt_kg, {}
        if not dirty and not kg:
            return 0
        now = datetime.now(UTC)
        began = time.monotonic()
        rows = [
            {"circuit_id": c, "seq": seq, "treated_at": _utc(ms), "vehicle_id": vehicle}
            for (c, seq), (ms, vehicle) in sorted(dirty.items())
        ]
        try:
            with self.v.db.session(write=True) as s:
                if self.v.db.dialect == "postgresql":
                    # Coverage is derived from positions (as the telemetry writer's samples): a
                    # database crash may lose the last fraction of a second of it, never corrupt
                    # it. Not waiting for the WAL flush keeps a checkpoint out of the p99.
                    s.execute(text("SET LOCAL synchronous_commit = off"))
                upsert(s, CoverageRow.__table__, rows, ("circuit_id", "seq"))
                spread = [
                    {"kind": "spread", "tonnes": -k / 1000, "vehicle_id": vid, "note": "", "at": now}
                    for vid, k in kg.items()
                    if k > 0
                ]
                if spread:
                    s.execute(insert(SaltRow), spread)
                s.commit()
        except Exception:
            with self._lock:  # kept for the next flush (newer treatments win)
                for key, val in dirty.items():
                    if key not in self._dirty or self._dirty[key][0] < val[0]:
                        self._dirty[key] = val
                self._arrived[:0] = arrived
                for vid, k in kg.items():
                    self._salt_kg[vid] = self._salt_kg.get(vid, 0.0) + k
            raise
        done = time.monotonic()
        self.latencies.extend(done - t for t in arrived)
        if rows:
            circuits = sorted({c for (c, _seq) in dirty})
            self.v.messages.publish(
                [
                    DomainEvent(
                        type="winter.coverage",
                        report_ids=(),
                        public=False,
                        payload={"kind": "winter", "circuits": circuits},
                        agent={"kind": "winter", "circuits": circuits, "pieces": len(rows)},
                    )
                ]
            )
        self.flush_timings.append((done - began, time.monotonic() - done))
        return len(rows)
