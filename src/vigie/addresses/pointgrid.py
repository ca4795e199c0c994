"""Reverse geocoding's candidates from memory: the gazetteer's address points on a grid.

Every report placed by a point is reverse-geocoded (issue 13); two indexed statements
per report were a large part of its server CPU, even on an empty gazetteer
(docs/benchmarks.md, "Issue 15 — issue 2's intake"). Here the address points' positions
and places are read once into numpy arrays sorted by grid cell (about 110 m square):
28 bytes a point, 28 MB for a 1,000,000-row BAN file, built by the first reverse of a
process (never at start-up: a process that places no report does not carry it).

The grid only says which points lie in a box. The rows of an answer (the place, the
point, a street's line) are still read from the database, and only when a point is near:
a point away from every address costs no statement at all.

Imports add one to the ``addresses`` counter of ``cache_versions`` in their transaction.
The grid reads that counter at most once a second and is rebuilt when it moved: another
process's import is seen within a second (the reverse answers themselves are kept five
minutes by :class:`~vigie.addresses.geocoder.CachedGeocoder`); an import in this process
drops the grid at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

# Cells of 1/1000 of a degree of latitude (111 m) by 1.5/1000 of longitude (114 m at 47°N).
LAT_STEP = 0.001
LON_STEP = 0.0015
_ROW = 1_000_000  # key = cx * _ROW + cy + _OFFSET; |cy| <= 90,000
_OFFSET = 500_000
CHECK_EVERY_S = 1.0  # how stale another process's import may be seen
VERSION_NAME = "addresses"  # the cache_versions counter imports bump
_READ_CHUNK = 50_000  # rows read at once while building: bounds the build's own memory

_POINTS = "SELECT lat, lon, place_id FROM address_points"
_VERSION = "SELECT version FROM cache_versions WHERE name = 'addresses'"


def _keys(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    keys = np.floor(lon / LON_STEP).astype(np.int64)
    keys *= _ROW
    keys += np.floor(lat / LAT_STEP).astype(np.int64)
    keys += _OFFSET
    return keys


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """The chunks as one array, each chunk let go once copied."""
    out: np.ndarray = np.empty(sum(len(p) for p in parts), dtype=dtype)
    at = 0
    while parts:
        part = parts.pop(0)
        out[at : at + len(part)] = part
        at += len(part)
    return out


class PointGrid:
    """The positions and places of the gazetteer's address points, by grid cell."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray, place: np.ndarray, version: int) -> None:
        keys = _keys(lat, lon)
        order = np.argsort(keys, kind="stable")
        # One reordered copy at a time: the build's peak stays near twice the grid.
        self.keys = keys[order]
        del keys
        self.lat = lat[order]
        self.lon = lon[order]
        self.place = place[order]
        self.version = version

    @classmethod
    def read(cls, cursor: Any, version: int) -> PointGrid:
        """The grid of every address point, read through a DB-API cursor in chunks."""
        cursor.execute(_POINTS)
        lat: list[np.ndarray] = []
        lon: list[np.ndarray] = []
        place: list[np.ndarray] = []
        while True:
            rows = cursor.fetchmany(_READ_CHUNK)
            if not rows:
                break
            chunk = np.array(rows, dtype=np.float64).reshape(-1, 3)
            lat.append(chunk[:, 0].copy())
            lon.append(chunk[:, 1].copy())
            place.append(chunk[:, 2].astype(np.int32))
        return cls(_joined(lat, np.float64), _joined(lon, np.float64), _joined(place, np.int32), version)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.lat.nbytes + self.lon.nbytes + self.place.nbytes)

    def within(self, lat0: float, lat1: float, lon0: float, lon1: float) -> np.ndarray:
        """Indexes of the points inside the box (bounds included)."""
        if not len(self.keys):
            return np.zeros(0, dtype=np.int64)
        cy0 = math.floor(lat0 / LAT_STEP) + _OFFSET
        cy1 = math.floor(lat1 / LAT_STEP) + _OFFSET
        cx = np.arange(math.floor(lon0 / LON_STEP), math.floor(lon1 / LON_STEP) + 1, dtype=np.int64) * _ROW
        starts = np.searchsorted(self.keys, cx + cy0, side="left")
        ends = np.searchsorted(self.keys, cx + cy1, side="right")
        spans = [np.arange(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s]
        if not spans:
            return np.zeros(0, dtype=np.int64)
        at = np.concatenate(spans) if len(spans) > 1 else spans[0]
        la, lo = self.lat[at], self.lon[at]
        return at[(la >= lat0) & (la <= lat1) & (lo >= lon0) & (lo <= lon1)]


class GridHolder:
    """One process's grid, rebuilt when the gazetteer's version moves (checked at most
    every :data:`CHECK_EVERY_S` seconds) or when :meth:`forget` is called."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._grid: PointGrid | None = None
        self._checked = -math.inf
        self._lock = threading.Lock()
        self._clock = clock

    def get(self, cursor: Callable[[], AbstractContextManager[Any]]) -> PointGrid:
        """The current grid; ``cursor()`` gives a DB-API cursor, asked for only when the
        version is read (at most once a second) or the points are."""
        grid = self._grid
        if grid is not None and self._clock() - self._checked < CHECK_EVERY_S:
            return grid
        with self._lock:
            grid = self._grid
            if grid is not None and self._clock() - self._checked < CHECK_EVERY_S:
                return grid
            with cursor() as c:
                c.execute(_VERSION)
                row = c.fetchone()
                version = int(row[0]) if row else 0
                if grid is None or grid.version != version:
                    grid = self._grid = PointGrid.read(c, version)
            self._checked = self._clock()
            return grid

    def forget(self) -> None:
        """Drop the grid: the next reverse reads the gazetteer again (after an import here)."""
        with self._lock:
            self._grid = None
            self._checked = -math.inf


__all__ = ["CHECK_EVERY_S", "GridHolder", "PointGrid", "VERSION_NAME"]
