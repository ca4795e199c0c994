"""Native API of the traffic context: /api/v1/traffic (agents; road events also public)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import JSONResponse

from vigie.accounts.permissions import require
from vigie.city.profile import CityProfile
from vigie.runtime import Vigie
from vigie.traffic import actions
from vigie.web.deps import (
    DbId,
    current_agent,
    declared_query_only,
    get_vigie,
    module_in_use,
    needs_permission,
)
from vigie.web.openapi import CITY_EXAMPLES, city_example

router = APIRouter(
    prefix="/api/v1/traffic",
    tags=["traffic"],
    dependencies=[Depends(declared_query_only), Depends(module_in_use("traffic"))],
)


def event_example(city: CityProfile | None) -> dict[str, Any] | None:
    """A road event's example, at the city's centre and in its time zone (no city's street)."""
    if city is None:
        return None
    lat, long = round(city.centre[0], 4), round(city.centre[1], 4)
    starts = datetime(2026, 12, 8, 7, tzinfo=city.timezone)
    return {
        "kind": "roadworks",
        "title": "Réfection de chaussée",
        "restriction": "laneClosed",
        "geometry": {
            "type": "LineString",
            "coordinates": [
                [round(long - 0.0018, 4), round(lat, 4)],
                [round(long + 0.0018, 4), round(lat, 4)],
            ],
        },
        "starts_at": starts.isoformat(),
        "ends_at": starts.replace(day=12, hour=18).isoformat(),
    }


CITY_EXAMPLES["traffic.event"] = event_example


@router.get("/controllers", summary="Signal controllers: live mode, timing plan, fault, priority today")
def list_controllers(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = current_agent(request)
    require(agent, "traffic.read")
    return {"items": actions.controllers(v)}


@router.get("/priority", summary="Tram and bus priority requests per line over the last 24 hours")
def priority(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = current_agent(request)
    require(agent, "traffic.read")
    return {"items": actions.priority_summary(v)}


@router.get(
    "/detectors/{asset_id}/flow", summary="A detector's counts today beside its usual profile for the weekday"
)
def detector_flow(
    request: Request, asset_id: str = Path(..., max_length=64), v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = current_agent(request)
    require(agent, "traffic.read")
    return actions.detector_flow(v, asset_id)


@router.get(
    "/events.geojson",
    summary="Roadworks and closures in force or coming within 30 days (open data, GeoJSON)",
)
def events_geojson(v: Vigie = Depends(get_vigie)) -> JSONResponse:
    return JSONResponse(
        actions.events_geojson(v),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.post(
    "/events",
    status_code=201,
    summary="Declare roadworks or a closure",
    openapi_extra=city_example("traffic.event"),
    dependencies=[Depends(needs_permission("traffic.manage"))],
)
def create_event(
    request: Request,
    body: dict[str, Any] = Body(...),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    agent = current_agent(request)
    agent = require(agent, "traffic.manage")
    return actions.do_create_event(v, agent, actions.check_event(body))


@router.put(
    "/events/{event_id}",
    summary="Change a road event (geometry, period, what it does)",
    openapi_extra=city_example("traffic.event"),
    dependencies=[Depends(needs_permission("traffic.manage"))],
)
def update_event(
    request: Request,
    event_id: DbId,
    body: dict[str, Any] = Body(...),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    agent = current_agent(request)
    agent = require(agent, "traffic.manage")
    return actions.do_update_event(v, agent, event_id, actions.check_event(body))


@router.post("/events/{event_id}/end", summary="End a road event now (cancel it if not begun)")
def end_event(request: Request, event_id: DbId, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = current_agent(request)
    agent = require(agent, "traffic.manage")
    return actions.do_end_event(v, agent, event_id)
