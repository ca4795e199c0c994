"""Address search and reverse geocoding for the web pages and clients (/api/v1/addresses).

Answers are GeoJSON FeatureCollections shaped like the BAN's API (label,
score, id, type, housenumber, street, postcode, citycode, city; ``kind`` and
``distance`` for reverse), whatever geocoder is configured. Public: addresses
are public data. See docs/addresses.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from vigie.addresses.domain import Address
from vigie.addresses.geocoder import geocoder_of
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie
from vigie.web.deps import declared_query_only, get_vigie, run_read
from vigie.web.json import FastJSONResponse

router = APIRouter(
    prefix="/api/v1/addresses", tags=["addresses"], dependencies=[Depends(declared_query_only)]
)

MIN_QUERY = 3  # fewer letters match too much to be useful (the BAN asks for 3 too)
CACHE = "public, max-age=300"


def collection(found: list[Address], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [a.feature() for a in found], **extra}


@router.get(
    "/search", summary="Search addresses, streets and places as one types", response_class=FastJSONResponse
)
async def search(
    request: Request,
    q: str = Query(
        ..., max_length=200, description="What was typed: '12 rue de la liberte', '12 liber', 'av foch'"
    ),
    lat: float | None = Query(None, ge=-90, le=90, description="Centre to rank by closeness (with lon)"),
    lon: float | None = Query(None, ge=-180, le=180, description="Centre to rank by closeness (with lat)"),
    limit: int = Query(5, ge=1, le=20),
    v: Vigie = Depends(get_vigie),
) -> Response:
    if (lat is None) != (lon is None):
        raise ValidationFailed("lat and lon go together", field="lon" if lon is None else "lat")
    if "\x00" in q:
        raise ValidationFailed("q contains a NUL character", field="q")
    found: list[Address] = []
    if sum(c.isalnum() for c in q) >= MIN_QUERY:
        found = await run_read(request, geocoder_of(v).search, q, lat, lon, limit)
    body = collection(found, query=q, limit=limit)
    return FastJSONResponse(body, headers={"Cache-Control": CACHE})


@router.get(
    "/reverse",
    summary="The address at a point (within 50 m), else its street, else its zone",
    response_class=FastJSONResponse,
)
async def reverse(
    request: Request,
    lat: float = Query(..., ge=-90, le=90),
    lon: float = Query(..., ge=-180, le=180),
    v: Vigie = Depends(get_vigie),
) -> Response:
    found = await run_read(request, geocoder_of(v).reverse, lat, lon)
    body = collection([found] if found is not None else [])
    return FastJSONResponse(body, headers={"Cache-Control": CACHE})


__all__ = ["collection", "router"]
