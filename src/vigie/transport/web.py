"""Public transport for clients and the residents' pages (/api/v1/transport).

Stops near a point, the next departures of a stop with their live delay, and
the demo's replayed GTFS-Realtime feed. Public: timetables are public data.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from vigie.errors import NotFound
from vigie.runtime import Vigie
from vigie.transport.departures import replay_of, stop_departures, stops_near
from vigie.transport.parking import car_parks_now
from vigie.web.deps import data_published, declared_query_only, get_vigie, run_read
from vigie.web.json import FastJSONResponse

router = APIRouter(
    prefix="/api/v1/transport",
    tags=["transport"],
    dependencies=[Depends(declared_query_only), Depends(data_published("transport"))],
)


@router.get(
    "/stops/near", summary="Served stops near a point, nearest first", response_class=FastJSONResponse
)
async def near(
    request: Request,
    lat: float = Query(..., ge=-90, le=90),
    lon: float = Query(..., ge=-180, le=180),
    radius: int = Query(600, ge=50, le=3000, description="metres"),
    limit: int = Query(10, ge=1, le=50),
    v: Vigie = Depends(get_vigie),
) -> Response:
    found = await run_read(request, stops_near, v, lat, lon, radius, limit)
    return FastJSONResponse(
        {"stops": [s.as_dict() for s in found]}, headers={"Cache-Control": "public, max-age=300"}
    )


@router.get(
    "/stops/{stop_id}/departures",
    summary="The next departures of a stop, with their live delay when the real-time feed has one",
    response_class=FastJSONResponse,
)
async def departures(
    request: Request,
    stop_id: str,
    limit: int = Query(8, ge=1, le=30),
    v: Vigie = Depends(get_vigie),
) -> Response:
    def answer() -> dict[str, object]:
        stop, found = stop_departures(v, stop_id[:128], datetime.now().astimezone(), limit)
        return {"stop": stop.as_dict(), "departures": [d.as_dict() for d in found]}

    return FastJSONResponse(await run_read(request, answer), headers={"Cache-Control": "no-cache"})


@router.get("/car-parks", summary="Car parks with their occupancy now", response_class=FastJSONResponse)
async def car_parks(request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    parks = await run_read(request, car_parks_now, v)
    return FastJSONResponse({"car_parks": parks}, headers={"Cache-Control": "public, max-age=60"})


@router.get(
    "/realtime/replay.pb",
    summary="The demo's GTFS-Realtime TripUpdates feed: a recorded day's delays, replayed today",
)
async def replay_feed(request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    replay = await run_read(request, replay_of, v)
    if replay is None:
        raise NotFound("no replay is configured (transport_replay)")
    body = await run_read(request, replay.feed, datetime.now().astimezone())
    return Response(body, media_type="application/x-protobuf", headers={"Cache-Control": "no-cache"})


__all__ = ["router"]
