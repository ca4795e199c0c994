"""Traffic rules in plain Python: a detector's usual profile, congestion, events on the road.

A detector's *usual* traffic is learnt per weekday and quarter of an hour from
its own counts (occupancy, speed, flow), so that 60 % occupancy at 08:00 on a
Monday on a radial road is not news while the same on a Sunday night is.
Counts are averaged with a weight of at least 1/``MEMORY`` so that the profile
follows a road whose traffic changes over the weeks (new tram line, works).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from vigie.errors import ValidationFailed

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
# Counts every 5 minutes make three per slot and week.
MEMORY = 24  # a new count weighs at least 1/24: about the last eight weeks count
MIN_COUNTS = 6  # no opinion on congestion before two weeks of the same slot
# Congested: occupancy at least this much above usual, this high, and far from usual
# compared to how much this slot usually varies.
CONGESTED_OCCUPANCY = 0.35
CONGESTED_MARGIN = 0.15
CONGESTED_Z = 3.0
# Hysteresis: a congestion ends when occupancy is back within this margin of usual.
CLEAR_MARGIN = 0.08
OCCUPANCY_SPREAD_MIN = 0.03  # a slot that never varies still allows this much


def slot_of(local: datetime) -> tuple[int, int]:
    """(weekday 0 = Monday, quarter of an hour 0-95) of a local time."""
    return local.weekday(), (local.hour * 60 + local.minute) // SLOT_MINUTES


@dataclass(slots=True)
class SlotStats:
    """What a detector usually sees in one slot of the week."""

    n: int = 0
    occupancy: float = 0.0
    occupancy_var: float = 0.0  # weighted like the mean (West's incremental variance)
    speed: float | None = None
    intensity: float = 0.0

    def spread(self) -> float:
        return max(OCCUPANCY_SPREAD_MIN, math.sqrt(self.occupancy_var))

    def learn(self, occupancy: float, speed: float | None, intensity: float | None) -> None:
        self.n += 1
        w = 1.0 / min(self.n, MEMORY)
        delta = occupancy - self.occupancy
        self.occupancy += w * delta
        self.occupancy_var = (1 - w) * (self.occupancy_var + w * delta * delta)
        if speed is not None:
            self.speed = speed if self.speed is None else self.speed + w * (speed - self.speed)
        if intensity is not None:
            self.intensity += w * (intensity - self.intensity)


def congested(stats: SlotStats | None, occupancy: float, was_congested: bool) -> bool | None:
    """Whether a count shows congestion against the slot's usual; None: no usual yet."""
    if stats is None or stats.n < MIN_COUNTS:
        return None
    usual = stats.occupancy
    if was_congested:
        return occupancy > usual + CLEAR_MARGIN
    far = (occupancy - usual) / stats.spread() >= CONGESTED_Z
    return occupancy >= CONGESTED_OCCUPANCY and occupancy >= usual + CONGESTED_MARGIN and far


# --- roadworks and closures ------------------------------------------------------


class EventKind(StrEnum):
    ROADWORKS = "roadworks"
    CLOSURE = "closure"


class Restriction(StrEnum):
    """What the event does to traffic (DATEX II's vocabulary, simplified)."""

    LANE_CLOSED = "laneClosed"
    ROAD_CLOSED = "roadClosed"
    ALTERNATING = "alternatingTraffic"
    NARROWED = "narrowLanes"
    NONE = "none"


GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiLineString")
MAX_POINTS = 2000
MAX_EVENT_DAYS = 3 * 366


@dataclass
class EventDraft:
    kind: EventKind
    title: str
    description: str
    restriction: Restriction
    geometry: dict[str, Any]
    starts_at: datetime
    ends_at: datetime
    bbox: tuple[float, float, float, float] = field(default=(0.0, 0.0, 0.0, 0.0))


def _positions(geometry: dict[str, Any]) -> list[Any]:
    t, c = geometry.get("type"), geometry.get("coordinates")
    if t == "Point":
        return [c]
    if t == "LineString":
        return list(c) if isinstance(c, list) else [None]
    if t in ("Polygon", "MultiLineString"):
        if not isinstance(c, list):
            return [None]
        return [p for part in c for p in (part if isinstance(part, list) else [None])]
    return [None]


def check_geometry(geometry: Any) -> tuple[dict[str, Any], tuple[float, float, float, float]]:
    """A GeoJSON geometry of a kind an event may have, with its bounding box."""
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        raise ValidationFailed(
            f"geometry must be a GeoJSON object of type {', '.join(GEOMETRY_TYPES)}", field="geometry"
        )
    points = _positions(geometry)
    if len(points) > MAX_POINTS:
        raise ValidationFailed(f"geometry has more than {MAX_POINTS} positions", field="geometry")
    xs, ys = [], []
    for p in points:
        ok = (
            isinstance(p, list)
            and len(p) in (2, 3)
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
        )
        if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise ValidationFailed(
                "geometry coordinates must be [longitude, latitude] positions", field="geometry.coordinates"
            )
        xs.append(float(p[0]))
        ys.append(float(p[1]))
    kind = geometry["type"]
    if (kind == "LineString" and len(points) < 2) or (kind == "Polygon" and len(points) < 4):
        raise ValidationFailed(f"a {kind} needs more positions", field="geometry.coordinates")
    clean = {"type": kind, "coordinates": geometry["coordinates"]}
    return clean, (min(xs), min(ys), max(xs), max(ys))


def check_period(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationFailed("dates need a time zone (2026-12-07T08:00:00+01:00)", field="starts_at")
    if ends_at <= starts_at:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    if (ends_at - starts_at).days > MAX_EVENT_DAYS:
        raise ValidationFailed("an event lasts three years at most: split it", field="ends_at")


PRIORITY_OUTCOMES = ("granted", "extended", "refused", "cancelled")
SERVED = frozenset({"granted", "extended"})
