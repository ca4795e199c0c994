"""The traffic context follows its devices message by message (a telemetry observer).

- Detectors: each count is compared with the detector's usual for the weekday and
  quarter of an hour; the verdict becomes the derived measurement ``congested``,
  which the alarm rule ``detector-congestion`` watches. Counts outside congestion
  teach the profile (a jam does not become the usual).
- Controllers: the tram and bus priority requests they report are kept.

Everything happens in memory on the ingest's hot path; a thread of this context
writes the learnt profiles and the requests every ``FLUSH_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from vigie.db import upsert
from vigie.runtime import Vigie
from vigie.telemetry.schema import TRAFFIC_CONTROLLER, TRAFFIC_DETECTOR
from vigie.traffic.domain import MEMORY, SLOT_MINUTES, SlotStats, congested, slot_of
from vigie.traffic.storage import PriorityRequestRow, TrafficProfileRow

log = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0
Key = tuple[str, int, int]
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES


def load_profiles(v: Vigie) -> dict[Key, SlotStats]:
    with v.db.session() as s:
        rows = s.execute(select(TrafficProfileRow)).scalars()
        return {
            (r.detector_id, r.weekday, r.slot): SlotStats(
                r.n, r.occupancy, r.occupancy_var, r.speed, r.intensity
            )
            for r in rows
        }


def profile_rows(stats: dict[Key, SlotStats]) -> list[dict[str, Any]]:
    return [
        {
            "detector_id": k[0],
            "weekday": k[1],
            "slot": k[2],
            "n": st.n,
            "occupancy": st.occupancy,
            "occupancy_var": st.occupancy_var,
            "speed": st.speed,
            "intensity": st.intensity,
        }
        for k, st in stats.items()
    ]


class TrafficObserver:
    kinds = frozenset({TRAFFIC_DETECTOR, TRAFFIC_CONTROLLER})

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self.tz = v.city.timezone
        self.profiles: dict[Key, SlotStats] = {}
        self.congested: set[str] = set()
        self._dirty: set[Key] = set()
        self._requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life ---------------------------------------------------------------

    def start(self) -> None:
        self.profiles = load_profiles(self.v)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="traffic-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:
                log.exception("traffic writer")

    # --- hot path -----------------------------------------------------------

    def observe(
        self, asset: Any, values: dict[str, Any], changed: dict[str, Any], at: datetime
    ) -> dict[str, Any] | None:
        if asset.kind == TRAFFIC_DETECTOR:
            return self._count(asset.id, changed, at)
        request = changed.get("priorityRequest")
        if request is not None:
            with self._lock:
                self._requests.append(
                    {
                        "controller_id": asset.id,
                        "at": at,
                        "line": request["line"],
                        "vehicle_type": request["vehicleType"],
                        "outcome": request["outcome"],
                        "delay_s": request.get("delaySeconds"),
                    }
                )
        return None

    def _count(self, detector_id: str, changed: dict[str, Any], at: datetime) -> dict[str, Any] | None:
        occupancy = changed.get("occupancy")
        if occupancy is None:
            return None
        weekday, slot = slot_of(at.astimezone(self.tz))
        key = (detector_id, weekday, slot)
        with self._lock:
            stats = self.profiles.get(key)
            was = detector_id in self.congested
            verdict = congested(stats, float(occupancy), was)
            if verdict:
                self.congested.add(detector_id)
            else:
                self.congested.discard(detector_id)
                if stats is None:
                    stats = self.profiles[key] = SlotStats()
                stats.learn(float(occupancy), changed.get("averageVehicleSpeed"), changed.get("intensity"))
                self._dirty.add(key)
        return {"congested": bool(verdict)}

    # --- writer -------------------------------------------------------------

    def flush(self) -> int:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            profiles = profile_rows({k: self.profiles[k] for k in dirty})
            requests, self._requests = self._requests, []
        if not profiles and not requests:
            return 0
        try:
            with self.v.db.session(write=True) as s:
                upsert(s, TrafficProfileRow.__table__, profiles, ("detector_id", "weekday", "slot"))
                if requests:
                    s.execute(insert(PriorityRequestRow), requests)
                s.commit()
        except Exception:
            with self._lock:  # kept for the next flush
                self._dirty |= dirty
                self._requests[:0] = requests
            raise
        return len(profiles) + len(requests)


def learn_profiles(
    v: Vigie, counts: Iterable[tuple[str, datetime, float, float | None, float | None]]
) -> int:
    """Teach detectors' profiles from past counts (detector, time, occupancy, speed, flow), in
    time order, e.g. a history from the previous system; returns the slots written.

    Grouped with numpy: a slot new to the profile whose batch is complete (no missing speed
    or flow) and within ``MEMORY`` counts gets the plain mean and population variance, which
    is exactly what ``SlotStats.learn`` converges to one count at a time while its weight is
    1/n (the Dijon demo: 911,232 counts, six per slot). Other slots are replayed in order."""
    tz = v.city.timezone
    stats = load_profiles(v)
    rows = list(counts)
    if not rows:
        return 0
    ids, ats, occ_l, speed_l, flow_l = zip(*rows, strict=True)
    occ = np.array(occ_l, dtype=float)
    speed = np.array(speed_l, dtype=float)  # None becomes NaN
    flow = np.array(flow_l, dtype=float)
    detectors: dict[str, int] = {}
    det = np.fromiter((detectors.setdefault(i, len(detectors)) for i in ids), np.int64, len(ids))
    slots: dict[datetime, int] = {}  # the counts of one period share their time
    for at in ats:
        if at not in slots:
            weekday, slot = slot_of(at.astimezone(tz))
            slots[at] = weekday * SLOTS_PER_DAY + slot
    week_slot = np.fromiter((slots[at] for at in ats), np.int64, len(ats))
    code = det * 7 * SLOTS_PER_DAY + week_slot
    uniq, group, n = np.unique(code, return_inverse=True, return_counts=True)
    mean = np.bincount(group, occ) / n
    var = np.bincount(group, (occ - mean[group]) ** 2) / n
    speed_mean = np.bincount(group, speed) / n
    flow_mean = np.bincount(group, flow) / n
    incomplete = np.bincount(group, np.isnan(speed) | np.isnan(flow)) > 0
    names = list(detectors)
    replay = np.zeros(len(uniq), dtype=bool)
    touched: dict[Key, SlotStats] = {}
    for g, c in enumerate(uniq.tolist()):
        key = _key(names, c)
        if key in stats or n[g] > MEMORY or incomplete[g]:
            replay[g] = True
            touched[key] = stats.setdefault(key, SlotStats())
        else:
            touched[key] = SlotStats(
                int(n[g]), float(mean[g]), float(var[g]), float(speed_mean[g]), float(flow_mean[g])
            )
    for i in np.flatnonzero(replay[group]).tolist():  # in time order
        _, _, o, sp, fl = rows[i]
        touched[_key(names, int(code[i]))].learn(o, sp, fl)
    with v.db.session(write=True) as s:
        upsert(s, TrafficProfileRow.__table__, profile_rows(touched), ("detector_id", "weekday", "slot"))
        s.commit()
    return len(touched)


def _key(names: list[str], code: int) -> Key:
    d, ws = divmod(code, 7 * SLOTS_PER_DAY)
    weekday, slot = divmod(ws, SLOTS_PER_DAY)
    return names[d], weekday, slot
