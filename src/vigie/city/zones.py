"""Zones of a city (communes, districts) and point-in-polygon lookup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely import STRtree, points, prepare
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union


class ZonesProblem(Exception):
    """A zones GeoJSON file cannot be used: where in it (feature index, property) and why."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass
class Zone:
    code: str
    name: str
    geometry: BaseGeometry

    def contains(self, lat: float, long: float) -> bool:
        return bool(self.geometry.covers(Point(long, lat)))


class ZoneIndex:
    def __init__(self, zones: list[Zone]) -> None:
        self.zones = zones
        self.by_code = {z.code: z for z in zones}
        for z in zones:
            prepare(z.geometry)
        self._tree = STRtree([z.geometry for z in zones])
        self._union = unary_union([z.geometry for z in zones])
        minx, miny, maxx, maxy = self._union.bounds
        self.bbox = (minx, miny, maxx, maxy)

    @classmethod
    def from_geojson(
        cls,
        geojson: dict[str, Any],
        *,
        code_property: str,
        name_property: str,
        merges: list[dict[str, Any]] | None = None,
    ) -> ZoneIndex:
        features = geojson.get("features") if isinstance(geojson, dict) else None
        if not features or not isinstance(features, list) or geojson.get("type") != "FeatureCollection":
            raise ZonesProblem("(document)", "must be a GeoJSON FeatureCollection with at least one feature")
        raw: dict[str, tuple[str, BaseGeometry]] = {}
        merged = {str(m) for merge in merges or [] for m in merge["members"]}  # named by their merge
        for i, feature in enumerate(features):
            props = (feature.get("properties") if isinstance(feature, dict) else None) or {}
            if props.get(code_property) in (None, ""):
                raise ZonesProblem(f"features[{i}].properties", f"has no '{code_property}' (code_property)")
            code = str(props[code_property])
            if code in raw:
                where = f"features[{i}].properties.{code_property}"
                raise ZonesProblem(where, f"zone code '{code}' is repeated")
            try:
                geometry = shape(feature["geometry"])
            except Exception as exc:  # shapely raises several types for a malformed geometry
                raise ZonesProblem(f"features[{i}].geometry", f"not a valid geometry ({exc})") from exc
            if geometry.geom_type not in ("Polygon", "MultiPolygon"):
                raise ZonesProblem(f"features[{i}].geometry", f"a {geometry.geom_type}, not a (Multi)Polygon")
            if props.get(name_property) in (None, "") and code not in merged:
                raise ZonesProblem(f"features[{i}].properties", f"has no '{name_property}' (name_property)")
            raw[code] = (str(props.get(name_property) or code), geometry)
        for merge in merges or []:
            members = [str(m) for m in merge["members"]]
            if unknown := [m for m in members if m not in raw]:
                raise ZonesProblem("(document)", f"merge '{merge['code']}' names unknown zones: {unknown}")
            geoms = [raw.pop(m)[1] for m in members if m in raw]
            if geoms:
                raw[str(merge["code"])] = (merge["name"], unary_union(geoms))
        zones = [Zone(code, name, geom) for code, (name, geom) in sorted(raw.items())]
        return cls(zones)

    def locate(self, lat: float, long: float) -> Zone | None:
        point = Point(long, lat)
        for i in self._tree.query(point):
            zone = self.zones[int(i)]
            if zone.geometry.covers(point):
                return zone
        return None

    def locate_all(self, coords: Sequence[tuple[float, float]]) -> list[Zone | None]:
        """The zone of each ``(lat, long)``: :meth:`locate` of every point, in one lookup.

        An import checks thousands of points at once: one call into the tree for them
        all costs what a few calls of :meth:`locate` do (each builds a Point and goes
        through numpy's argument handling). A point covered by two zones (on a shared
        border) is answered by :meth:`locate`, so that the answer is the same either way.
        """
        if len(coords) < 2:
            # One point (every interactive report) costs 2.5x more through the arrays.
            return [self.locate(*c) for c in coords]
        lat_long = np.asarray(coords, dtype=float).reshape(-1, 2)
        found, tree_index = self._tree.query(points(lat_long[:, 1], lat_long[:, 0]), predicate="covered_by")
        zones: list[Zone | None] = [None] * len(coords)
        matches = np.bincount(found, minlength=len(coords))
        for i, t in zip(found.tolist(), tree_index.tolist(), strict=True):
            zones[i] = self.zones[t]
        for i in np.flatnonzero(matches > 1).tolist():
            zones[i] = self.locate(*coords[i])
        return zones

    def codes(self) -> list[str]:
        return [z.code for z in self.zones]

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": z.code,
                    "properties": {"code": z.code, "name": z.name},
                    "geometry": mapping(z.geometry),
                }
                for z in self.zones
            ],
        }
