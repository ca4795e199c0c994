"""Reading places: by theme, by words, near a point, one by id."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from vigie.errors import NotFound
from vigie.places.storage import PlaceRow
from vigie.places.text import fold
from vigie.runtime import Vigie

PAGE = 50
EARTH_M = 6_371_000.0
FIELDS = (
    "id",
    "theme",
    "category",
    "name",
    "address",
    "commune",
    "description",
    "phone",
    "website",
    "hours",
    "lat",
    "lon",
)


@dataclass
class PlaceQuery:
    theme: str = ""
    q: str = ""
    near: tuple[float, float] | None = None
    radius: float = 1000  # metres, with near
    page: int = 1


def _distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def as_dict(row: Any, distance: float | None = None) -> dict[str, Any]:
    out = {k: getattr(row, k) for k in FIELDS}
    if distance is not None:
        out["distance"] = round(distance)
    return out


def find_places(v: Vigie, query: PlaceQuery) -> tuple[list[dict[str, Any]], bool]:
    """A page of places (nearest first around ``near``, else by name); whether there are more."""
    stmt = select(*(getattr(PlaceRow, k) for k in FIELDS))
    if query.theme:
        stmt = stmt.where(PlaceRow.theme == query.theme)
    for word in fold(query.q).split()[:6]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(PlaceRow.search.like(f"% {escaped}%", escape="\\"))
    offset = (query.page - 1) * PAGE
    if query.near is not None:
        lat, lon = query.near
        dlat = query.radius / 111_320
        dlon = query.radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
        stmt = stmt.where(
            PlaceRow.lat.between(lat - dlat, lat + dlat), PlaceRow.lon.between(lon - dlon, lon + dlon)
        )
        with v.db.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        found = sorted(
            ((d, r) for r in rows if (d := _distance(lat, lon, r.lat, r.lon)) <= query.radius),
            key=lambda x: (x[0], x[1].id),
        )
        return [as_dict(r, d) for d, r in found[offset : offset + PAGE]], len(found) > offset + PAGE
    stmt = stmt.order_by(PlaceRow.name, PlaceRow.id).offset(offset).limit(PAGE + 1)
    with v.db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [as_dict(r) for r in rows[:PAGE]], len(rows) > PAGE


def theme_counts(v: Vigie) -> dict[str, int]:
    with v.db.engine.connect() as conn:
        return dict(conn.execute(select(PlaceRow.theme, func.count()).group_by(PlaceRow.theme)).all())  # type: ignore[arg-type]


def get_place(v: Vigie, place_id: str) -> dict[str, Any]:
    with v.db.engine.connect() as conn:
        row = conn.execute(
            select(*(getattr(PlaceRow, k) for k in FIELDS)).where(PlaceRow.id == place_id)
        ).first()
    if row is None:
        raise NotFound(f"no place '{place_id}'", field="place_id")
    return as_dict(row)


__all__ = ["PAGE", "PlaceQuery", "find_places", "get_place", "theme_counts"]
