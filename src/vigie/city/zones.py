"""Zones of a city (communes, districts) and point-in-polygon lookup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely import STRtree, prepare
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union


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
        raw: dict[str, tuple[str, BaseGeometry]] = {}
        for feature in geojson.get("features", []):
            props = feature.get("properties") or {}
            code = str(props[code_property])
            raw[code] = (str(props.get(name_property, code)), shape(feature["geometry"]))
        for merge in merges or []:
            members = [str(m) for m in merge["members"]]
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
