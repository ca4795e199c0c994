"""The network as map layers: lines (one feature per route) and stops, as GeoJSON.

Lines are the union of the route's shapes (the two directions of a street are
mostly the same points), simplified to about 3 m and rounded to 1 m: the whole
Divia network is a few hundred kilobytes before gzip instead of the megabytes
of its shapes.txt. Stops take the lines that serve them from the city's open data
(the GTFS feed has no stop_times to tell), matched by name.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, mapping

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.transport.gtfs import Feed

SIMPLIFY_DEGREES = 0.00003  # about 3 m at Dijon's latitude
DECIMALS = 5  # about 1 m
LINE_PROPERTIES = ("lignes", "ligne", "lines", "line", "desserte")


def _rounded(geometry: Any) -> Any:
    if isinstance(geometry, (list, tuple)):
        if geometry and isinstance(geometry[0], float):
            return [round(c, DECIMALS) for c in geometry]
        return [_rounded(g) for g in geometry]
    return geometry


def lines_collection(feed: Feed) -> dict[str, Any]:
    """One MultiLineString per route that has shapes, with its name, kind and colour."""
    features = []
    for route_id, shape_ids in sorted(feed.shapes_by_route().items()):
        route = feed.routes[route_id]
        parts = [LineString(feed.shapes[s]) for s in sorted(shape_ids) if len(feed.shapes[s]) >= 2]
        if not parts:
            continue
        merged = shapely.line_merge(shapely.union_all(parts)).simplify(SIMPLIFY_DEGREES)
        geometry = mapping(merged)
        geometry["coordinates"] = _rounded(geometry["coordinates"])
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "route_id": route.id,
                    "name": route.name,
                    "long_name": route.long_name,
                    "kind": route.kind,
                    "color": route.color,
                },
            }
        )
    # Trams drawn last, over the buses that share their streets.
    features.sort(key=lambda f: (f["properties"]["kind"] == "tram", f["properties"]["name"]))
    return {"type": "FeatureCollection", "features": features}


def stop_key(name: str) -> str:
    """A stop name as both sources spell it: no accents, case, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


def _line_names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
    return []


def read_stop_lines(paths: Iterable[Path]) -> dict[str, set[str]]:
    """Stop name key -> the lines serving it, from open-data GeoJSON files of stops."""
    out: dict[str, set[str]] = {}
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(path), None, "VIGIE_TRANSPORT_STOPS", f"cannot be read: {exc.strerror}")]
            ) from None
        except ValueError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(path), None, "VIGIE_TRANSPORT_STOPS", f"is not JSON: {exc}")]
            ) from None
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, list):
            raise ConfigurationError(
                [
                    ConfigProblem(
                        str(path), None, "VIGIE_TRANSPORT_STOPS", "is not a GeoJSON FeatureCollection"
                    )
                ]
            )
        for feature in features:
            props = feature.get("properties") or {} if isinstance(feature, dict) else {}
            name = props.get("nom") or props.get("name") or props.get("stop_name")
            if not isinstance(name, str) or not name.strip():
                continue
            lines = next((_line_names(props[p]) for p in LINE_PROPERTIES if props.get(p)), [])
            if lines:
                out.setdefault(stop_key(name), set()).update(lines)
    return out


def _line_order(name: str) -> tuple[int, str]:
    # Trams first, then the rest in a natural order (L3 before L12).
    digits = re.sub(r"\D", "", name)
    return (0 if name.upper().startswith("T") else 1, f"{name.rstrip('0123456789')}{int(digits or 0):04d}")


def stops_collection(feed: Feed, stop_lines: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """The stops where people board (location_type 0), with the lines serving them."""
    tram_names = {r.name for r in feed.routes.values() if r.kind == "tram"}
    features = []
    for stop in sorted(feed.stops.values(), key=lambda s: s.id):
        if stop.location_type != 0:
            continue
        lines = sorted((stop_lines or {}).get(stop_key(stop.name), set()), key=_line_order)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(stop.lon, DECIMALS), round(stop.lat, DECIMALS)],
                },
                "properties": {
                    "stop_id": stop.id,
                    "name": stop.name,
                    "lines": lines,
                    "kind": "tram" if tram_names.intersection(lines) else "bus",
                    "wheelchair": stop.wheelchair,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
