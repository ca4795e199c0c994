"""Native API of the lighting context (/api/v1/lighting/…).

The fleet's energy, the targets and the compliance counts are public: they are
figures about public equipment, with no personal data (the public page shows
them to residents). Per-cabinet figures and the map layer of points by
compliance status are for agents (``reports.read``); recording a commune's
switch-off hours needs ``lighting.manage``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from vigie.accounts.permissions import require
from vigie.lighting import actions
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only, get_vigie, module_in_use, needs_permission

router = APIRouter(
    prefix="/api/v1/lighting",
    tags=["lighting"],
    dependencies=[Depends(declared_query_only), Depends(module_in_use("lighting"))],
)


@router.get(
    "/energy", summary="The fleet's yearly energy, its trajectory since the reference year, the targets"
)
async def energy(v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return await run_in_threadpool(actions.energy_report, v)


@router.get("/cabinets", summary="Energy and saving per control cabinet (agents)", tags=["agents"])
async def cabinets(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    require(current_agent(request), "reports.read")
    return {"cabinets": await run_in_threadpool(actions.cabinets_report, v)}


@router.get("/compliance", summary="Light points by compliance with the city's national rules")
async def compliance(v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return await run_in_threadpool(actions.compliance_report, v)


@router.get(
    "/compliance/points.geojson",
    summary="Light points of one compliance status (or all), in one commune or all, as a map layer (agents)",
    tags=["agents"],
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def compliance_points(
    request: Request,
    status: str = Query(
        "non_compliant", description="compliant, non_compliant, unknown or all", max_length=20
    ),
    zone: str = Query("", description="Only the points of this commune (its code)", max_length=32),
    v: Vigie = Depends(get_vigie),
) -> Response:
    require(current_agent(request), "reports.read")
    import json

    layer = await run_in_threadpool(actions.compliance_geojson, v, status, None, 50_000, zone)
    return Response(json.dumps(layer, separators=(",", ":")), media_type="application/geo+json")


class SwitchOffIn(BaseModel):
    off_start: str = Field(description="Local time HH:MM the lights go off", max_length=5)
    off_end: str = Field(description="Local time HH:MM they come back on (before sunrise)", max_length=5)
    decided_on: str | None = Field(
        None, description="Date of the mayor's decision (YYYY-MM-DD)", max_length=10
    )
    note: str = Field("", description="Reference of the decision, a remark", max_length=300)


@router.get("/switch-off", summary="Communes that switch their lights off part of the night")
def switch_offs(v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"switch_off": actions.list_switch_offs(v)}


@router.put(
    "/switch-off/{zone}",
    summary="Record a commune's part-night switch-off",
    tags=["agents"],
    dependencies=[Depends(needs_permission("lighting.manage"))],
)
def set_switch_off(
    zone: str, body: SwitchOffIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    out = actions.do_set_switch_off(v, current_agent(request), zone, body.model_dump())
    assert out is not None
    return out


@router.delete(
    "/switch-off/{zone}", status_code=204, summary="A commune no longer switches off", tags=["agents"]
)
def delete_switch_off(zone: str, request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    actions.do_set_switch_off(v, current_agent(request), zone, None)
    return Response(status_code=204)


@router.get(
    "/measured",
    summary="Each cabinet's latest power reading against the energy model (agents)",
    tags=["agents"],
)
async def measured(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    require(current_agent(request), "reports.read")
    from vigie.lighting.measured import measured_vs_model

    return await run_in_threadpool(measured_vs_model, v)
