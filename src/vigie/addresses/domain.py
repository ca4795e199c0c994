"""What a geocoder answers, in any backend: :class:`Address`, a GeoJSON Feature like the BAN's.

Distances are computed on an equirectangular projection around the point:
exact to a few centimetres at a city's scale, and cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

EARTH_M_PER_DEG = 111_320.0  # metres in a degree of latitude
ADDRESS_RADIUS_M = 50.0  # reverse: an address this close, else the street, else the zone
STREET_RADIUS_M = 50.0  # reverse: how far from a street's line counts as on the street

# Grid keys kept in B-tree indexes, the same on SQLite and PostgreSQL (truncation toward
# zero, as int() and the migrations' SQL do):
# - a point's strip: 1/200 of a degree of longitude (about 380 m at 47°N); the map's
#   address layer reads the (strip, lat) index of the strips in view;
# - a place's cell: a tenth of a degree square (about 11 x 7.5 km); a search with a centre
#   reads the (cell, token) index of the nine cells around it before the whole gazetteer.
STRIPS_PER_DEGREE = 200
CELLS_PER_DEGREE = 10


def strip_of(lon: float) -> int:
    return int(lon * STRIPS_PER_DEGREE)


def cell_of(lat: float, lon: float) -> int:
    return (int(lat * CELLS_PER_DEGREE) + 1000) * 10_000 + int(lon * CELLS_PER_DEGREE) + 2000


def cells_around(lat: float, lon: float) -> list[int]:
    return [
        cell_of(lat + dy / CELLS_PER_DEGREE, lon + dx / CELLS_PER_DEGREE)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    ]


TYPES = ("housenumber", "street", "poi", "municipality")
KINDS = ("address", "street", "zone")  # what a reverse answer is


@dataclass(frozen=True)
class Address:
    type: str  # housenumber | street | poi | municipality
    label: str
    lat: float
    lon: float
    id: str = ""
    name: str = ""  # "12 Rue de la Liberté", the street's or the place's name
    housenumber: str = ""
    street: str = ""
    postcode: str = ""
    citycode: str = ""
    city: str = ""
    category: str = ""  # a named place's: "arrêt de tram"
    score: float = 0.0
    kind: str = ""  # reverse only: address | street | zone
    distance: float | None = None  # reverse only: metres from the asked point

    def with_reverse(self, kind: str, distance: float) -> Address:
        return replace(self, kind=kind, distance=round(distance, 1))

    def feature(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "label": self.label,
            "score": round(self.score, 4),
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "postcode": self.postcode,
            "citycode": self.citycode,
            "city": self.city,
        }
        if self.housenumber:
            props["housenumber"] = self.housenumber
        if self.street:
            props["street"] = self.street
        if self.category:
            props["category"] = self.category
        if self.kind:
            props["kind"] = self.kind
        if self.distance is not None:
            props["distance"] = self.distance
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(self.lon, 7), round(self.lat, 7)]},
            "properties": props,
        }


def zone_address(name: str, code: str, lat: float, lon: float) -> Address:
    """What reverse answers when no address or street is near: the zone holding the point."""
    # One constructor: dataclasses.replace costs several times as much, and every report
    # placed by a point where no address is near gets here.
    return Address(
        type="municipality",
        label=name,
        lat=lat,
        lon=lon,
        id=code,
        name=name,
        citycode=code,
        city=name,
        score=1.0,
        kind="zone",
        distance=0.0,
    )


def label_of(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lat2 - lat1) * EARTH_M_PER_DEG, (lon2 - lon1) * EARTH_M_PER_DEG * k)


def metres_to_line(lat: float, lon: float, line: list[list[float]]) -> float:
    """Distance from a point to a polyline of [lon, lat] vertices."""
    k = math.cos(math.radians(lat)) * EARTH_M_PER_DEG
    px, py = 0.0, 0.0
    pts = [((x - lon) * k, (y - lat) * EARTH_M_PER_DEG) for x, y in line]
    if len(pts) == 1:
        return math.hypot(*pts[0])
    best = math.inf
    for (ax, ay), (bx, by) in zip(pts, pts[1:], strict=False):
        dx, dy = bx - ax, by - ay
        seg = dx * dx + dy * dy
        t = 0.0 if seg == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / seg))
        best = min(best, math.hypot(ax + t * dx - px, ay + t * dy - py))
    return best


__all__ = [
    "ADDRESS_RADIUS_M",
    "Address",
    "EARTH_M_PER_DEG",
    "KINDS",
    "STREET_RADIUS_M",
    "TYPES",
    "cell_of",
    "cells_around",
    "strip_of",
    "label_of",
    "metres",
    "metres_to_line",
]
