"""The gazetteer's address points in a map view, for house-number labels at street level.

Read straight from the built-in gazetteer's ``address_points`` (its ``(strip, lat)``
index bounds the scan to the view), at most :data:`MAX_POINTS` per view; a view
wider than :data:`MAX_SPAN` degrees is refused (labels are for street level, a
whole city of numbers is not a map).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text

from vigie.addresses.domain import strip_of
from vigie.addresses.text import HouseNumber
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie

MAX_SPAN = 0.03  # degrees: about 3 km × 2 km at Dijon's latitude, well past zoom 16
MAX_POINTS = 800
# The gazetteer's (strip, lat) index: the view's few longitude strips, a latitude range in each.
_IN_VIEW = text(
    "SELECT a.number, a.rep, a.lat, a.lon, p.name FROM address_points a "
    "JOIN address_places p ON p.id = a.place_id "
    "WHERE a.strip IN :strips AND a.lat BETWEEN :south AND :north AND a.lon BETWEEN :west AND :east "
    "LIMIT :limit"
).bindparams(bindparam("strips", expanding=True))


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` checked: four numbers, in range, ordered, small."""
    parts = value.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValidationFailed("bbox: four numbers min_lon,min_lat,max_lon,max_lat", field="bbox") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationFailed(
            "bbox: min before max, longitudes within ±180, latitudes within ±90", field="bbox"
        )
    if east - west > MAX_SPAN or north - south > MAX_SPAN:
        raise ValidationFailed(f"bbox: at most {MAX_SPAN}° wide and high (street level)", field="bbox")
    return west, south, east, north


def address_points(v: Vigie, bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    west, south, east, north = bbox
    with v.db.engine.connect() as conn:
        rows = conn.execute(
            _IN_VIEW,
            {
                "strips": list(range(strip_of(west), strip_of(east) + 1)),
                "south": south,
                "north": north,
                "west": west,
                "east": east,
                "limit": MAX_POINTS,
            },
        ).all()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
            "properties": {"number": HouseNumber(r.number, r.rep or "").label, "street": r.name},
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) == MAX_POINTS}
