"""A small PMTiles archive for the tests, written with the PyPI ``pmtiles`` writer.

Its vector tiles (MVT, encoded by ``mapbox-vector-tile``) hold real geometry in the
Protomaps basemap schema that protomaps-leaflet draws: the communes of the city
profile as ``earth`` land and ``boundaries``, and their outlines as ``roads``.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import shapely
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry

R = 6378137.0
COMMUNES = Path(__file__).resolve().parents[2] / "src/vigie/city/profiles/dijon/communes.geojson"


def _tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * math.pi * R / 2**z
    minx = -math.pi * R + x * size
    maxy = math.pi * R - y * size
    return minx, maxy - size, minx + size, maxy


def _tiles(bounds: tuple[float, float, float, float], z: int) -> Iterable[tuple[int, int]]:
    min_lon, min_lat, max_lon, max_lat = bounds

    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        return x, y

    x0, y0 = xy(min_lon, max_lat)
    x1, y1 = xy(max_lon, min_lat)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def build_archive(path: Path, geojson: dict, zooms: range = range(9, 14)) -> Path:
    """Write ``path``: the features of ``geojson`` as earth, boundaries and roads, zooms given."""
    shapes = [shapely.transform(shape(f["geometry"]), _mercator_array) for f in geojson["features"]]
    lonlat = [shape(f["geometry"]) for f in geojson["features"]]
    min_lon = min(s.bounds[0] for s in lonlat)
    min_lat = min(s.bounds[1] for s in lonlat)
    max_lon = max(s.bounds[2] for s in lonlat)
    max_lat = max(s.bounds[3] for s in lonlat)
    tiles: dict[int, bytes] = {}
    for z in zooms:
        for x, y in _tiles((min_lon, min_lat, max_lon, max_lat), z):
            bounds = _tile_bounds(z, x, y)
            data = _tile(shapes, bounds)
            if data:
                tiles[zxy_to_tileid(z, x, y)] = gzip.compress(data, mtime=0)
    with path.open("wb") as f:
        writer = Writer(f)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": int(min_lon * 1e7),
                "min_lat_e7": int(min_lat * 1e7),
                "max_lon_e7": int(max_lon * 1e7),
                "max_lat_e7": int(max_lat * 1e7),
                "center_zoom": zooms.start,
                "center_lon_e7": int((min_lon + max_lon) / 2 * 1e7),
                "center_lat_e7": int((min_lat + max_lat) / 2 * 1e7),
            },
            {
                "attribution": "test archive",
                "vector_layers": [{"id": n} for n in ("earth", "boundaries", "roads")],
            },
        )
    return path


def _mercator_array(coords: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    return np.column_stack([R * lon, R * np.log(np.tan(np.pi / 4 + lat / 2))])


def _tile(shapes: list[BaseGeometry], bounds: tuple[float, float, float, float]) -> bytes:
    area = box(*bounds)
    clipped = [s.intersection(area) for s in shapes if s.intersects(area)]
    clipped = [c for c in clipped if not c.is_empty]
    if not clipped:
        return b""
    options = {"quantize_bounds": bounds, "extents": 4096}
    layers = [
        {"name": "earth", "features": [{"geometry": c, "properties": {"kind": "earth"}} for c in clipped]},
        {
            "name": "boundaries",
            "features": [{"geometry": c.boundary, "properties": {"kind_detail": 8}} for c in clipped],
        },
        {
            "name": "roads",
            "features": [{"geometry": c.boundary, "properties": {"kind": "major_road"}} for c in clipped],
        },
    ]
    encoded: bytes = mapbox_vector_tile.encode(layers, default_options=options)
    return encoded
