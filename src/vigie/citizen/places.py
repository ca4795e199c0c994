"""Residents' places pages: a map and a list by theme, words, or near me / near a place; a place's page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.citizen.nearby import spot_of
from vigie.citizen.views import page_config
from vigie.citizen.web import show_page
from vigie.errors import NotFound
from vigie.maps.pages import map_config
from vigie.places.queries import PlaceQuery, find_places, get_place, theme_counts
from vigie.places.themes import THEMES
from vigie.runtime import Vigie
from vigie.web.deps import data_published

router = APIRouter(include_in_schema=False, dependencies=[Depends(data_published("places"))])


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _page(request: Request) -> int:
    try:
        return max(1, min(10_000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


@router.get("/lieux", response_class=HTMLResponse)
async def places_page(request: Request) -> Response:
    v = _vigie(request)
    theme = request.query_params.get("theme", "")
    theme = theme if theme in THEMES else ""
    page = _page(request)

    def load() -> dict[str, Any]:
        spot, q = spot_of(v, request, geocode=False)
        near = (spot.lat, spot.lon) if spot else None
        # Near a point the words typed were the place's address, not the places' names.
        query = PlaceQuery(theme, "" if near else q, near, 1500, page)
        found, more = find_places(v, query)
        return {"spot": spot, "q": q, "places": found, "more": more, "counts": theme_counts(v)}

    data = await run_in_threadpool(load)
    spot = data["spot"]
    keep = {k: request.query_params[k] for k in ("theme", "q", "lat", "lon") if request.query_params.get(k)}
    points = [
        {"lat": p["lat"], "lon": p["lon"], "name": p["name"], "url": f"/lieux/{p['id']}"}
        for p in data["places"]
    ]
    return show_page(
        request,
        "citizen/places.html",
        nav="places",
        themes=THEMES,
        theme=theme,
        page=page,
        prev_url=f"/lieux?{urlencode({**keep, 'page': page - 1})}" if page > 1 else "",
        next_url=f"/lieux?{urlencode({**keep, 'page': page + 1})}" if data["more"] else "",
        config=page_config(request, near={"points": points, "center": spot and [spot.lat, spot.lon]}),
        map_config=map_config(request),
        **data,
    )


@router.get("/lieux/{place_id}", response_class=HTMLResponse)
async def place_page(request: Request, place_id: str) -> Response:
    v = _vigie(request)
    try:
        place = await run_in_threadpool(get_place, v, place_id[:200])
    except NotFound:
        return show_page(request, "citizen/gone.html", status_code=404, back="/lieux", nav="places")
    points = [
        {"lat": place["lat"], "lon": place["lon"], "name": place["name"], "url": f"/lieux/{place['id']}"}
    ]
    return show_page(
        request,
        "citizen/place.html",
        nav="places",
        place=place,
        config=page_config(request, near={"points": points, "center": None}),
        map_config=map_config(request),
    )


__all__ = ["router"]
