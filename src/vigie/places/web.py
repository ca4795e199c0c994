"""Places for clients (/api/v1/places): by theme, words, near a point; one place. Public data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from vigie.errors import ValidationFailed
from vigie.places.queries import PlaceQuery, find_places, get_place
from vigie.places.themes import THEMES
from vigie.runtime import Vigie
from vigie.web.deps import data_published, declared_query_only, get_vigie, run_read
from vigie.web.json import FastJSONResponse

router = APIRouter(
    prefix="/api/v1/places",
    tags=["places"],
    dependencies=[Depends(declared_query_only), Depends(data_published("places"))],
)


def place_query(
    theme: str = "",
    q: str = "",
    lat: float | None = None,
    lon: float | None = None,
    radius: int = 1000,
    page: int = 1,
) -> PlaceQuery:
    if theme and theme not in THEMES:
        raise ValidationFailed(f"'{theme[:40]}' is not a theme ({', '.join(THEMES)})", field="theme")
    if (lat is None) != (lon is None):
        raise ValidationFailed("lat and lon go together", field="lon" if lon is None else "lat")
    if "\x00" in q:
        raise ValidationFailed("q contains a NUL character", field="q")
    near = (lat, lon) if lat is not None and lon is not None else None
    return PlaceQuery(theme, q, near, radius, page)


@router.get(
    "", summary="Places by theme, words, or near a point (nearest first)", response_class=FastJSONResponse
)
async def places(
    request: Request,
    theme: str = Query("", max_length=32, description=f"One of {', '.join(THEMES)}"),
    q: str = Query("", max_length=200),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
    radius: int = Query(1000, ge=50, le=20_000, description="metres, with lat and lon"),
    page: int = Query(1, ge=1, le=10_000),
    v: Vigie = Depends(get_vigie),
) -> Response:
    query = place_query(theme, q, lat, lon, radius, page)
    found, more = await run_read(request, find_places, v, query)
    return FastJSONResponse(
        {"places": found, "page": page, "more": more}, headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/{place_id}", summary="One place", response_class=FastJSONResponse)
async def place(request: Request, place_id: str, v: Vigie = Depends(get_vigie)) -> Response:
    found = await run_read(request, get_place, v, place_id[:200])
    return FastJSONResponse(found, headers={"Cache-Control": "public, max-age=300"})


__all__ = ["place_query", "router"]
