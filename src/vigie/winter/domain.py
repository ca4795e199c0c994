"""Winter service rules in plain Python: plan levels, tiers, driving conditions, circuits.

A circuit is a line cut into pieces of about ``SEGMENT_M`` metres; a vehicle
salting within ``MATCH_M`` of a piece treats it. The pieces are found through a
grid of ``CELL_M`` cells over a local metric projection (equirectangular about
the network's centre: under 0.1 % error over a metropolis), so that matching
one position costs a handful of distance computations whatever the network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from vigie.errors import ValidationFailed

SEGMENT_M = 50.0
MATCH_M = 20.0  # GPS error plus half a carriageway
CELL_M = 100.0
EARTH_M_PER_DEG = 111_320.0


class PlanLevel(StrEnum):
    """The winter plan's levels, in rising order."""

    VEILLE = "veille"  # watch: forecasts followed, crews on call
    ALERTE = "alerte"  # alert: crews at the depots, vehicles loaded
    INTERVENTION = "intervention"  # vehicles out on the circuits


LEVEL_ORDER = {lvl: i for i, lvl in enumerate(PlanLevel)}


class Tier(StrEnum):
    P1 = "P1"  # treated first: main roads, the bus and tram network
    P2 = "P2"
    P3 = "P3"


class Condition(StrEnum):
    """Driving conditions as French road operators announce them."""

    C1 = "C1"  # normal
    C2 = "C2"  # délicate
    C3 = "C3"  # difficile
    C4 = "C4"  # impossible


CONDITION_NAMES = {
    Condition.C1: ("Normales", "Normal"),
    Condition.C2: ("Délicates", "Delicate"),
    Condition.C3: ("Difficiles", "Difficult"),
    Condition.C4: ("Impossibles", "Impossible"),
}
LEVEL_NAMES = {
    PlanLevel.VEILLE: ("Veille", "Watch"),
    PlanLevel.ALERTE: ("Alerte", "Alert"),
    PlanLevel.INTERVENTION: ("Intervention", "Intervention"),
}
# Alarm rules of road weather stations and the level each proposes.
PROPOSING_RULES = {"surface-freezing": PlanLevel.ALERTE, "ice-risk": PlanLevel.INTERVENTION}


def parse_enum(enum: type[StrEnum], value: object, field_name: str) -> StrEnum:
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ValidationFailed(
            f"{field_name} must be one of {allowed}, not {value!r}", field=field_name
        ) from None


def raises(current: PlanLevel | None, proposed: PlanLevel) -> bool:
    return current is None or LEVEL_ORDER[proposed] > LEVEL_ORDER[current]


# --- geometry --------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Lon/lat <-> metres about a centre (equirectangular)."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return EARTH_M_PER_DEG * math.cos(math.radians(self.lat0))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * EARTH_M_PER_DEG


def check_line(coords: object) -> list[tuple[float, float]]:
    """A LineString's positions as (lon, lat), at least two, all valid."""
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValidationFailed("a circuit is a LineString of two positions or more", field="geometry")
    out = []
    for p in coords:
        ok = isinstance(p, list | tuple) and len(p) in (2, 3)
        ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
        if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise ValidationFailed("positions are [longitude, latitude]", field="geometry.coordinates")
        out.append((float(p[0]), float(p[1])))
    return out


def line_length_m(points: Sequence[tuple[float, float]]) -> float:
    if not points:
        return 0.0
    proj = Projection(points[0][0], points[0][1])
    xy = [proj.xy(*p) for p in points]
    return sum(math.dist(a, b) for a, b in zip(xy, xy[1:], strict=False))


@dataclass
class Piece:
    """A piece of a circuit: its number and the projected segments it is made of."""

    circuit: int  # index of the circuit in the network
    seq: int
    length: float
    parts: list[tuple[float, float, float, float]] = field(default_factory=list)


def cut(points: Sequence[tuple[float, float]], proj: Projection, circuit: int) -> list[Piece]:
    """The line cut into pieces of about SEGMENT_M (the last one shorter)."""
    xy = [proj.xy(*p) for p in points]
    pieces = [Piece(circuit, 0, 0.0)]
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        d = math.hypot(x1 - x0, y1 - y0)
        start = 0.0
        while d - start > 1e-9:
            cur = pieces[-1]
            room = SEGMENT_M - cur.length
            step = min(room, d - start)
            a, b = start / d, (start + step) / d
            cur.parts.append((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b))
            cur.length += step
            start += step
            if cur.length >= SEGMENT_M - 1e-9:
                pieces.append(Piece(circuit, cur.seq + 1, 0.0))
    if pieces[-1].length == 0.0 and len(pieces) > 1:
        pieces.pop()
    return pieces


def _dist2(px: float, py: float, s: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = s
    dx, dy = x1 - x0, y1 - y0
    n = dx * dx + dy * dy
    t = 0.0 if n == 0 else max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / n))
    ex, ey = x0 + t * dx - px, y0 + t * dy - py
    return ex * ex + ey * ey


class Network:
    """Circuits cut into pieces, with a grid index to match positions to pieces."""

    def __init__(self, lines: Iterable[Sequence[tuple[float, float]]]) -> None:
        lines = list(lines)
        first = next((ln[0] for ln in lines if ln), (0.0, 0.0))
        self.proj = Projection(*first)
        self.pieces: list[list[Piece]] = [cut(ln, self.proj, i) for i, ln in enumerate(lines)]
        self.lengths = [sum(p.length for p in ps) for ps in self.pieces]
        self.grid: dict[tuple[int, int], list[tuple[Piece, tuple[float, float, float, float]]]] = {}
        for ps in self.pieces:
            for piece in ps:
                for s in piece.parts:
                    # Every cell the segment's box (grown by the match distance) touches.
                    x0, x1 = sorted((s[0], s[2]))
                    y0, y1 = sorted((s[1], s[3]))
                    for cx in range(
                        math.floor((x0 - MATCH_M) / CELL_M), math.floor((x1 + MATCH_M) / CELL_M) + 1
                    ):
                        for cy in range(
                            math.floor((y0 - MATCH_M) / CELL_M), math.floor((y1 + MATCH_M) / CELL_M) + 1
                        ):
                            self.grid.setdefault((cx, cy), []).append((piece, s))

    def match(self, lon: float, lat: float) -> list[Piece]:
        """The pieces within MATCH_M of a position (each once)."""
        x, y = self.proj.xy(lon, lat)
        found: dict[tuple[int, int], Piece] = {}
        limit = MATCH_M * MATCH_M
        for piece, s in self.grid.get((math.floor(x / CELL_M), math.floor(y / CELL_M)), ()):
            key = (piece.circuit, piece.seq)
            if key not in found and _dist2(x, y, s) <= limit:
                found[key] = piece
        return list(found.values())
