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
"""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import text

from vigie.addresses.domain import ADDRESS_RADIUS_M, EARTH_M_PER_DEG, STREET_RADIUS_M
from vigie.db import Database

_POINTS = text(
    "SELECT a.lat, a.lon, p.kind, p.name FROM address_points a JOIN address_places p ON p.id = a.place_id"
)
# Streets with address points only: reverse geocoding finds its candidates through them.
_STREETS = text(
    "SELECT p.name, p.lat, p.lon, p.line FROM address_places p WHERE p.kind = 'street' "
    "AND EXISTS (SELECT 1 FROM address_points a WHERE a.place_id = p.id)"
)


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
    px = np.floor(lon * kx / cell).astype(np.int64)
    py = np.floor(lat * EARTH_M_PER_DEG / cell).astype(np.int64)
    point_ids, segs = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            want = (px + dx) * span + (py + dy)
            lo = np.searchsorted(keys, want, side="left")
            hi = np.searchsorted(keys, want, side="right")
            count = hi - lo
            total = int(count.sum())
            if not total:
                continue
            point_ids.append(np.repeat(np.arange(n), count))
            start = np.repeat(lo, count)
            segs.append(owner[start + np.arange(total) - np.repeat(np.cumsum(count) - count, count)])
    if not point_ids:
        return best_d, best_j
    p = np.concatenate(point_ids)
    j = np.concatenate(segs)
    # Exact distances, as metres_to_line computes them at the point's latitude.
    kp = np.cos(np.radians(lat[p])) * EARTH_M_PER_DEG
    ax = (seg[j, 0] - lon[p]) * kp
    ay = (seg[j, 1] - lat[p]) * EARTH_M_PER_DEG
    bx = (seg[j, 2] - lon[p]) * kp
    by = (seg[j, 3] - lat[p]) * EARTH_M_PER_DEG
    vx, vy = bx - ax, by - ay
    length = vx * vx + vy * vy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length > 0, np.clip(-(ax * vx + ay * vy) / length, 0.0, 1.0), 0.0)
    d = np.hypot(ax + t * vx, ay + t * vy)
    keep = d <= radius
    p, j, d = p[keep], j[keep], d[keep]
    if not len(p):
        return best_d, best_j
    order = np.lexsort((j, d, p))  # by point, then distance (then the earlier segment)
    p, j, d = p[order], j[order], d[order]
    first = np.r_[True, p[1:] != p[:-1]]
    best_d[p[first]] = d[first]
    best_j[p[first]] = j[first]
    return best_d, best_j


def street_names(db: Database, lat: np.ndarray, lon: np.ndarray) -> list[str]:
    """The street each point stands on ("" when none within reach), as reverse geocoding
    with the built-in geocoder would say it, for all the points at once."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    with db.engine.connect() as conn:
        points = conn.execute(_POINTS).all()
        streets = conn.execute(_STREETS).all()
    out = np.full(len(lat), "", dtype=object)
    if not len(lat):
        return []
    # 1. The nearest address point within reach: its street (none when it is a place's).
    if points:
        a = np.array([(r.lon, r.lat, r.lon, r.lat) for r in points], dtype=np.float64)
        a_street = np.array([r.name if r.kind == "street" else "" for r in points], dtype=object)
        _, j = _nearest(lat, lon, a, ADDRESS_RADIUS_M)
        found = j >= 0
        out[found] = a_street[j[found]]
    else:
        found = np.zeros(len(lat), dtype=bool)
    # 2. Else the nearest street line within reach (a street of one point: that point).
    rest = np.flatnonzero(~found)
    if len(rest) and streets:
        rows: list[tuple[float, float, float, float]] = []
        names: list[str] = []
        for s in streets:
            line = json.loads(s.line) if s.line else []
            if len(line) < 2:
                x, y = (line[0][0], line[0][1]) if line else (s.lon, s.lat)
                rows.append((x, y, x, y))
                names.append(s.name)
                continue
            for (x0, y0), (x1, y1) in zip(line, line[1:], strict=False):
                rows.append((x0, y0, x1, y1))
                names.append(s.name)
        _, j = _nearest(lat[rest], lon[rest], np.array(rows, dtype=np.float64), STREET_RADIUS_M)
        hit = j >= 0
        out[rest[hit]] = np.array(names, dtype=object)[j[hit]]
    return [str(x) for x in out.tolist()]


__all__ = ["street_names"]
