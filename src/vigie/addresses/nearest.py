"""The street of many points at once: the built-in reverse geocoder's rules, set-based.

:meth:`vigie.addresses.builtin.BuiltinGeocoder.reverse` answers one point with a
few indexed queries; naming tens of thousands of points (a city's light points)
that way is tens of thousands of round trips. Here the gazetteer is read once
and every point is answered in numpy, by the same rules: the nearest address
point within :data:`~vigie.addresses.domain.ADDRESS_RADIUS_M` gives its street
(none when that address is a place's, not a street's); else the nearest street
line within :data:`~vigie.addresses.domain.STREET_RADIUS_M`. Candidates are
found on a grid of cells as wide as the radius (the 3 x 3 cells around a point
hold everything within it); distances are those of
:func:`~vigie.addresses.domain.metres_to_line`, at each point's latitude.

:func:`street_names` names each point's street; :func:`street_points` gives one
point per street instead (the open data charter's "snap to the street"): other
contexts ask these, never the gazetteer's tables.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sqlalchemy import text

from vigie.addresses.domain import ADDRESS_RADIUS_M, EARTH_M_PER_DEG, STREET_RADIUS_M
from vigie.db import Database

_POINTS = text(
    "SELECT a.lat, a.lon, a.place_id, p.kind FROM address_points a JOIN address_places p ON p.id = a.place_id"
)
# Streets with address points only: reverse geocoding finds its candidates through them.
_STREETS = text(
    "SELECT p.id, p.name, p.lat, p.lon, p.line FROM address_places p WHERE p.kind = 'street' "
    "AND EXISTS (SELECT 1 FROM address_points a WHERE a.place_id = p.id)"
)
# Points answered at once by the candidate join: bounds its memory on a million points.
CHUNK = 200_000


def _nearest(
    lat: np.ndarray,
    lon: np.ndarray,
    seg: np.ndarray,
    radius: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of the nearest segment within ``radius`` metres of each point
    (index -1 when none). ``seg`` holds rows (lon0, lat0, lon1, lat1); a point is a
    segment of length 0."""
    n = len(lat)
    best_d = np.full(n, np.inf)
    best_j = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(seg) == 0:
        return best_d, best_j
    # The grid: a plane projection at the points' mean latitude, for finding candidates
    # only (cells a little wider than the radius, so nothing within it is missed).
    kx = np.cos(np.radians(float(np.mean(lat)))) * EARTH_M_PER_DEG
    cell = radius * 1.05
    sx0 = np.floor(np.minimum(seg[:, 0], seg[:, 2]) * kx / cell).astype(np.int64)
    sx1 = np.floor(np.maximum(seg[:, 0], seg[:, 2]) * kx / cell).astype(np.int64)
    sy0 = np.floor(np.minimum(seg[:, 1], seg[:, 3]) * EARTH_M_PER_DEG / cell).astype(np.int64)
    sy1 = np.floor(np.maximum(seg[:, 1], seg[:, 3]) * EARTH_M_PER_DEG / cell).astype(np.int64)
    nx, ny = sx1 - sx0 + 1, sy1 - sy0 + 1
    per = nx * ny
    owner = np.repeat(np.arange(len(seg)), per)
    k = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    cx = sx0[owner] + k // ny[owner]
    cy = sy0[owner] + k % ny[owner]
    span = 1 << 31
    keys = cx * span + cy
    order = np.argsort(keys, kind="stable")
    keys, owner = keys[order], owner[order]
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        d, j = _nearest_chunk(lat[lo:hi], lon[lo:hi], seg, radius, kx, cell, keys, owner)
        best_d[lo:hi], best_j[lo:hi] = d, j
    return best_d, best_j


def _nearest_chunk(
    lat: np.ndarray,
    lon: np.ndarray,
    seg: np.ndarray,
    radius: float,
    kx: float,
    cell: float,
    keys: np.ndarray,
    owner: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(lat)
    best_d = np.full(n, np.inf)
    best_j = np.full(n, -1, dtype=np.int64)
    span = 1 << 31
    points_only = bool(np.array_equal(seg[:, :2], seg[:, 2:]))
    px = np.floor(lon * kx / cell).astype(np.int64)
    py = np.floor(lat * EARTH_M_PER_DEG / cell).astype(np.int64)
    # The grid is looked up once per cell holding points (sorted: a fast search), not per point.
    cells, of_point = np.unique(px * span + py, return_inverse=True)
    of_point = of_point.reshape(-1)
    kp = np.cos(np.radians(lat)) * EARTH_M_PER_DEG  # metres per degree of longitude, per point
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            want = cells + dx * span + dy
            cell_lo = np.searchsorted(keys, want, side="left")
            count = (np.searchsorted(keys, want, side="right") - cell_lo)[of_point]
            total = int(count.sum())
            if not total:
                continue
            # The pairs (point, candidate segment) of this neighbouring cell, grouped by point
            # in point order, each point's candidates in segment order.
            has = np.flatnonzero(count)
            count = count[has]
            starts = np.cumsum(count) - count
            p = np.repeat(has, count)
            j = owner[np.repeat(cell_lo[of_point[has]], count) + np.arange(total) - np.repeat(starts, count)]
            # Exact distances, as metres_to_line computes them at the point's latitude.
            k = kp[p]
            ax = (seg[j, 0] - lon[p]) * k
            ay = (seg[j, 1] - lat[p]) * EARTH_M_PER_DEG
            if points_only:  # segments of length 0 (address points): the same, in half the work
                d = np.hypot(ax, ay)
            else:
                bx = (seg[j, 2] - lon[p]) * k
                by = (seg[j, 3] - lat[p]) * EARTH_M_PER_DEG
                vx, vy = bx - ax, by - ay
                length = vx * vx + vy * vy
                with np.errstate(invalid="ignore", divide="ignore"):
                    t = np.where(length > 0, np.clip(-(ax * vx + ay * vy) / length, 0.0, 1.0), 0.0)
                d = np.hypot(ax + t * vx, ay + t * vy)
            # Each point's nearest here (the first, so the earlier segment, on a tie): no sort.
            low = np.minimum.reduceat(d, starts)
            at_low = np.flatnonzero(d == np.repeat(low, count))
            first = at_low[np.r_[True, p[at_low[1:]] != p[at_low[:-1]]]]
            q, dq, jq = p[first], d[first], j[first]
            better = (dq <= radius) & ((dq < best_d[q]) | ((dq == best_d[q]) & (jq < best_j[q])))
            best_d[q[better]] = dq[better]
            best_j[q[better]] = jq[better]
    return best_d, best_j


def _streets_at(db: Database, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """The index, in the returned streets, of the street each point stands on (-1 when none
    within reach), by the built-in geocoder's reverse rules; points without a position
    (NaN) stand on none."""
    with db.engine.connect() as conn:
        points = conn.execute(_POINTS).all()
        streets = list(conn.execute(_STREETS).all())
    out = np.full(len(lat), -1, dtype=np.int64)
    placed = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if not len(placed):
        return out, streets
    lat, lon = lat[placed], lon[placed]
    index = {s.id: i for i, s in enumerate(streets)}
    found = np.zeros(len(lat), dtype=bool)
    # 1. The nearest address point within reach: its street (none when it is a place's).
    if points:
        a = np.array([(r.lon, r.lat, r.lon, r.lat) for r in points], dtype=np.float64)
        a_street = np.array(
            [index.get(r.place_id, -1) if r.kind == "street" else -1 for r in points], dtype=np.int64
        )
        _, j = _nearest(lat, lon, a, ADDRESS_RADIUS_M)
        found = j >= 0
        out[placed[found]] = a_street[j[found]]
    # 2. Else the nearest street line within reach (a street of one point: that point).
    rest = np.flatnonzero(~found)
    if len(rest) and streets:
        rows: list[tuple[float, float, float, float]] = []
        owners: list[int] = []
        for i, s in enumerate(streets):
            line = json.loads(s.line) if s.line else []
            if len(line) < 2:
                x, y = (line[0][0], line[0][1]) if line else (s.lon, s.lat)
                rows.append((x, y, x, y))
                owners.append(i)
                continue
            for (x0, y0), (x1, y1) in zip(line, line[1:], strict=False):
                rows.append((x0, y0, x1, y1))
                owners.append(i)
        _, j = _nearest(lat[rest], lon[rest], np.array(rows, dtype=np.float64), STREET_RADIUS_M)
        hit = j >= 0
        out[placed[rest[hit]]] = np.array(owners, dtype=np.int64)[j[hit]]
    return out, streets


def street_names(db: Database, lat: np.ndarray, lon: np.ndarray) -> list[str]:
    """The street each point stands on ("" when none within reach), as reverse geocoding
    with the built-in geocoder would say it, for all the points at once."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if not len(lat):
        return []
    at, streets = _streets_at(db, lat, lon)
    names = np.array([s.name for s in streets] + [""], dtype=object)  # -1: the last, ""
    return [str(x) for x in names[at].tolist()]


def street_points(db: Database, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(latitude, longitude) of the street each point stands on, as one point per street:
    its middle address point in number order (on the street, unlike a bent street's
    centroid; the gazetteer's centre of the street). NaN where no street is within reach
    (the rules of :func:`street_names`), so every point of a street gets the same point."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if not len(lat):
        return np.zeros(0), np.zeros(0)
    at, streets = _streets_at(db, lat, lon)
    centres = np.array([(s.lat, s.lon) for s in streets] + [(np.nan, np.nan)], dtype=np.float64)
    return centres[at, 0], centres[at, 1]


__all__ = ["street_names", "street_points"]
