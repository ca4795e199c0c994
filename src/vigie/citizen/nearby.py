"""Where a resident is looking from: their position, or a place they typed (the geocoder).

Shared by the pages that list things near a point (stops, places, car parks):
``?lat=&lon=`` (the browser's position, or an address picked in the list) wins;
else ``?q=`` is searched with the platform's geocoder and its best answer used.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from vigie.addresses.geocoder import geocoder_of
from vigie.runtime import Vigie


@dataclass(frozen=True)
class Spot:
    lat: float
    lon: float
    label: str  # what the resident typed or picked; "" for their position


def _coordinate(text: str | None, low: float, high: float) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if low <= value <= high else None


def spot_of(v: Vigie, request: Request, geocode: bool = True) -> tuple[Spot | None, str]:
    """The point asked for, and the text typed (for the form); (None, q) when nothing matches.

    Without ``geocode`` only a position counts (the text is then searched for otherwise).
    """
    p = request.query_params
    q = " ".join(p.get("q", "").split())[:200].replace("\x00", "")
    lat = _coordinate(p.get("lat"), -90, 90)
    lon = _coordinate(p.get("lon"), -180, 180)
    if lat is not None and lon is not None:
        return Spot(lat, lon, q), q
    if geocode and sum(c.isalnum() for c in q) >= 3:
        center = v.city.center or {}
        found = geocoder_of(v).search(q, center.get("lat"), center.get("long"), 1)
        if found:
            a = found[0]
            return Spot(a.lat, a.lon, a.label), q
    return None, q


__all__ = ["Spot", "spot_of"]
