"""Building a gazetteer from address records (plain Python, no database).

Records (one per line of a BAN file, one per feature of a mapped GeoJSON)
are grouped into places: a street is the set of records with the same
folded name in the same commune ("RUE DU CHATEAU" and "Rue du Château" are
one street); a named place (a tram stop served in both directions) likewise.
Several records at one address (shops sharing a number) make one point at
their mean position.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from vigie.addresses.text import HouseNumber, index_tokens, key

MAX_LINE_VERTICES = 64  # a street's line through its address points, thinned beyond this


@dataclass(slots=True)
class AddressRecord:
    kind: str  # housenumber | poi
    name: str  # the street, or the place's name
    lat: float
    lon: float
    number: HouseNumber | None = None
    postcode: str = ""
    citycode: str = ""
    city: str = ""
    category: str = ""
    id: str = ""  # the file's own address id (BAN), else made from commune, street, number
    street_ref: str = ""  # the file's own street id (BAN id_fantoir)


@dataclass(slots=True)
class Point:
    id: str
    number: int
    rep: str
    lat: float
    lon: float


@dataclass(slots=True)
class _Sum:
    id: str
    lat: float
    lon: float
    n: int = 1


@dataclass
class Place:
    kind: str
    ref: str
    name: str
    category: str
    postcode: str
    citycode: str
    city: str
    _points: dict[tuple[int, str], _Sum] = field(default_factory=dict, repr=False)
    _lat: float = 0.0
    _lon: float = 0.0
    _n: int = 0

    def add(self, rec: AddressRecord) -> bool:
        """Add a record; False when it is one more point of an address already there."""
        self._lat += rec.lat
        self._lon += rec.lon
        self._n += 1
        if rec.number is None:
            return True
        k = (rec.number.number, rec.number.rep)
        acc = self._points.get(k)
        if acc is None:
            self._points[k] = _Sum(rec.id, rec.lat, rec.lon)
            return True
        acc.lat += rec.lat
        acc.lon += rec.lon
        acc.n += 1
        return False

    def points(self) -> list[Point]:
        slug = f"{self.citycode}_{key(self.name).replace(' ', '_')}"[:100]
        out: list[Point] = []
        for (number, rep), acc in sorted(self._points.items()):
            pid = acc.id or f"{slug}_{number:05d}" + (f"_{rep}" if rep else "")
            out.append(Point(pid, number, rep, acc.lat / acc.n, acc.lon / acc.n))
        return out

    def geometry(self, points: list[Point]) -> dict[str, object]:
        """Centre, bounding box and line of the place (from its points when it has some)."""
        if points:
            lats = [p.lat for p in points]
            lons = [p.lon for p in points]
            middle = points[len(points) // 2]  # on the street, unlike a bent street's centroid
            step = max(1, math.ceil(len(points) / MAX_LINE_VERTICES))
            line = [[round(p.lon, 6), round(p.lat, 6)] for p in points[::step]]
            if line[-1] != [round(points[-1].lon, 6), round(points[-1].lat, 6)]:
                line.append([round(points[-1].lon, 6), round(points[-1].lat, 6)])
            return {
                "lat": middle.lat,
                "lon": middle.lon,
                "min_lat": min(lats),
                "max_lat": max(lats),
                "min_lon": min(lons),
                "max_lon": max(lons),
                "line": json.dumps(line, separators=(",", ":")),
            }
        lat, lon = self._lat / self._n, self._lon / self._n
        return {
            "lat": lat,
            "lon": lon,
            "min_lat": lat,
            "max_lat": lat,
            "min_lon": lon,
            "max_lon": lon,
            "line": "",
        }

    def tokens(self) -> list[str]:
        return index_tokens(self.name, self.city, self.postcode, self.category)


class Gazetteer:
    """Places and their points, grouped from records as they are read."""

    def __init__(self) -> None:
        self.places: dict[tuple[str, str, str], Place] = {}
        self.records = 0
        self.merged = 0  # records that were one more point of an address already seen
        self._keys: dict[str, str] = {}  # raw name -> folded key (files repeat names)

    def add(self, rec: AddressRecord) -> None:
        self.records += 1
        name_key = self._keys.get(rec.name)
        if name_key is None:
            name_key = self._keys[rec.name] = key(rec.name)
        k = (rec.kind, rec.citycode, name_key)
        place = self.places.get(k)
        if place is None:
            slug = name_key.replace(" ", "_")
            ref = rec.street_ref or (
                f"{rec.citycode}_{slug}" if rec.kind != "poi" else f"poi_{rec.citycode}_{slug}"
            )
            place = self.places[k] = Place(
                rec.kind, ref[:128], rec.name, rec.category, rec.postcode, rec.citycode, rec.city
            )
        if not place.add(rec):
            self.merged += 1

    def extend(self, records: Iterable[AddressRecord]) -> None:
        for rec in records:
            self.add(rec)


__all__ = ["AddressRecord", "Gazetteer", "Place", "Point"]
