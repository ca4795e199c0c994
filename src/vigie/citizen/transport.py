"""Residents' transport pages: stops near me or near a place, a stop's next departures, car parks.

Server-rendered (they work without JavaScript); a small script draws the map
(the network's lines are the maps' context layer), offers the address list and
the "my position" button, and refreshes the departures every 30 seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.citizen.nearby import spot_of
from vigie.citizen.views import page_config
from vigie.citizen.web import show_page
from vigie.errors import NotFound
from vigie.maps.pages import map_config
from vigie.runtime import Vigie
from vigie.transport.departures import Departure, stop_departures, stops_near
from vigie.transport.parking import car_parks_now
from vigie.web.deps import data_published

router = APIRouter(include_in_schema=False, dependencies=[Depends(data_published("transport"))])


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def departure_view(d: Departure, now: datetime) -> dict[str, Any]:
    minutes = max(0, int((d.expected - now).total_seconds() // 60))
    return {
        "line": d.route,
        "headsign": d.headsign,
        "scheduled": d.scheduled.strftime("%H:%M"),
        "expected": d.expected.strftime("%H:%M"),
        "delay_min": None if d.delay is None else round(d.delay / 60),
        "minutes": minutes,
        "canceled": d.canceled,
    }


@router.get("/transports", response_class=HTMLResponse)
async def transport_page(request: Request) -> Response:
    v = _vigie(request)

    def load() -> dict[str, Any]:
        spot, q = spot_of(v, request)
        stops = stops_near(v, spot.lat, spot.lon, 600, 12) if spot else []
        return {"spot": spot, "q": q, "stops": [s.as_dict() for s in stops], "parks": car_parks_now(v)}

    data = await run_in_threadpool(load)
    spot = data["spot"]
    points = [
        {"lat": s["lat"], "lon": s["lon"], "name": s["name"], "url": f"/transports/arrets/{s['id']}"}
        for s in data["stops"]
    ]
    return show_page(
        request,
        "citizen/transport.html",
        nav="transport",
        config=page_config(request, near={"points": points, "center": spot and [spot.lat, spot.lon]}),
        map_config=map_config(request),
        **data,
    )


@router.get("/transports/arrets/{stop_id}", response_class=HTMLResponse)
async def stop_page(request: Request, stop_id: str) -> Response:
    v = _vigie(request)

    def load() -> dict[str, Any]:
        now = datetime.now().astimezone()
        stop, found = stop_departures(v, stop_id[:128], now, 10)
        return {"stop": stop.as_dict(), "departures": [departure_view(d, now) for d in found]}

    try:
        data = await run_in_threadpool(load)
    except NotFound:
        return show_page(request, "citizen/gone.html", status_code=404, back="/transports", nav="transport")
    return show_page(
        request,
        "citizen/stop.html",
        nav="transport",
        config=page_config(request, stop_id=data["stop"]["id"]),
        headers={"Cache-Control": "no-cache"},
        **data,
    )


__all__ = ["departure_view", "router"]
