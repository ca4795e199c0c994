"""Native API of the assets context (/api/v1/assets).

Reading is public: asset data is not personal data, and camera locations are
public in France (prefectoral lists of authorised video-protection systems).
Writing needs an agent: creating an asset ``assets.manage`` (supervisor,
admin), changing its status ``assets.status`` (operator, supervisor, admin).
Errors are RFC 9457 problem JSON like the rest of the native API.

The live state of the assets (from their latest telemetry: a camera offline, a
lamp out) is for agents only: it tells where the city's equipment is weak.
It is served apart from the layers (``/states``, or spliced with ``state=true``)
so that thousands of telemetry messages a second never invalidate a layer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from vigie.accounts.permissions import require
from vigie.assets import actions, lamps
from vigie.assets.actions import AssetFilter
from vigie.assets.domain import AssetDraft
from vigie.assets.geojson import Layer, geojson_layer
from vigie.assets.states import NO_TELEMETRY, state_layer, state_snapshot
from vigie.assets.types import registry_json
from vigie.assets.views import asset_view
from vigie.errors import ValidationFailed
from vigie.reports.queries import parse_bbox
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only, get_vigie, needs_permission

router = APIRouter(prefix="/api/v1/assets", tags=["assets"], dependencies=[Depends(declared_query_only)])


def _csv(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _filter(
    type: str | None,
    status: str | None,
    zone: str | None,
    group: str | None,
    bbox: str | None,
    lat: float | None = None,
    long: float | None = None,
    radius: float | None = None,
) -> AssetFilter:
    for name, value in (("zone", zone), ("group", group)):
        if value and ("\x00" in value or len(value) > 2000):
            raise ValidationFailed(f"{name} is not a list of codes", field=name)
    f = AssetFilter(types=_csv(type), statuses=_csv(status), zones=_csv(zone), groups=_csv(group))
    if bbox:
        f.bbox = parse_bbox(bbox)
    if radius is not None or lat is not None or long is not None:
        if lat is None or long is None or radius is None:
            raise ValidationFailed("lat, long and radius go together", field="radius")
        f.near = (lat, long, radius)
    return f.check()


_TYPE = Query(None, description="Comma list of asset types (street_light, camera…)")
_STATUS = Query(None, description="Comma list of statuses (in_service, maintenance…)")
_ZONE = Query(None, description="Comma list of zone (commune) codes")
_GROUP = Query(None, description="Comma list of light groups (e.g. 21231-G012)")
_BBOX = Query(None, description="min_long,min_lat,max_long,max_lat")


@router.get("", summary="List and filter assets")
def list_(
    request: Request,
    type: str | None = _TYPE,
    status: str | None = _STATUS,
    zone: str | None = _ZONE,
    group: str | None = _GROUP,
    bbox: str | None = _BBOX,
    lat: float | None = Query(None, ge=-90, le=90),
    long: float | None = Query(None, ge=-180, le=180),
    radius: float | None = Query(None, gt=0, le=50_000, description="metres around lat/long"),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(100, ge=1, le=actions.MAX_PAGE_SIZE),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    f = _filter(type, status, zone, group, bbox, lat, long, radius)
    f.hidden = actions.hidden_types(current_agent(request, strict=False))
    rows, more = actions.list_assets(v, f, page, page_size)
    return {
        "items": [asset_view(r, v.city.zones) for r in rows],
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if more else None,
    }


def _cached_response(request: Request, body: bytes, etag: str, media: str, **headers: str) -> Response:
    """200 with the body, or 304 when the client has this version (If-None-Match)."""
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding", **headers}
    if etag in _csv(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


def _layer_response(request: Request, layer: Layer) -> Response:
    extra = {"X-Feature-Count": str(layer.features)}
    fresh = layer.etag not in _csv(request.headers.get("if-none-match"))
    if fresh and "gzip" in request.headers.get("accept-encoding", "").lower():
        extra["Content-Encoding"] = "gzip"
        return _cached_response(request, layer.gzipped(), layer.etag, "application/geo+json", **extra)
    return _cached_response(request, layer.body, layer.etag, "application/geo+json", **extra)


@router.get(
    ".geojson",
    summary="Assets as a GeoJSON FeatureCollection (map layers)",
    response_class=Response,
    responses={
        200: {"content": {"application/geo+json": {}}, "description": "FeatureCollection"},
        304: {"description": "Not modified (If-None-Match)"},
    },
)
def geojson(
    request: Request,
    type: str | None = _TYPE,
    status: str | None = _STATUS,
    zone: str | None = _ZONE,
    group: str | None = _GROUP,
    bbox: str | None = _BBOX,
    attributes: str | None = Query(
        None,
        description="Comma list of typed attributes to add to the properties "
        "(e.g. lampTechnology,powerRating)",
    ),
    state: bool = Query(
        False,
        description="Agents: add `state` (ok, fault, offline, unknown) from the latest telemetry "
        "to the properties, at most a few seconds old",
    ),
    v: Vigie = Depends(get_vigie),
) -> Response:
    agent = current_agent(request, strict=False)
    if state and not (agent is not None and agent.can("video.cameras")):
        require(current_agent(request), "reports.read")
    f = _filter(type, status, zone, group, bbox)
    f.hidden = actions.hidden_types(agent)
    layer = state_layer(v, f, _csv(attributes)) if state else geojson_layer(v, f, _csv(attributes))
    return _layer_response(request, layer)


@router.get(
    "/states",
    summary="Live state of the assets from their latest telemetry (agents)",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "Counts and the assets not ok"},
        304: {"description": "Not modified (If-None-Match)"},
    },
)
def states(request: Request, type: str | None = _TYPE, v: Vigie = Depends(get_vigie)) -> Response:
    """``{"as_of", "counts": {state: n}, "ids": {"fault"|"offline"|"unknown": [asset ids]}}``.

    Assets not listed are ``ok``. Recomputed at most every few seconds; a map
    merges it into its layers and asks again on alarm events and periodically.
    """
    agent = current_agent(request)
    if not (agent is not None and agent.can("video.cameras")):
        require(agent, "reports.read")
    f = _filter(type, None, None, None, None)
    body, etag = state_snapshot(v).json_for(actions.visible_types(agent, f.types))
    return _cached_response(request, body, etag, "application/json")


@router.get("/types", summary="Asset types, their typed attributes and the statuses")
def types() -> dict[str, Any]:
    return registry_json()


def _telemetry(v: Vigie, asset_id: str) -> tuple[Any, list[Any]]:
    """Latest state and recent history, from the telemetry context when it is wired in."""
    feed = v.asset_telemetry or NO_TELEMETRY
    return feed.latest_state(asset_id), list(feed.history(asset_id) or [])


@router.get("/{asset_id}", summary="One asset; for agents, with its latest telemetry and history")
def get_one(asset_id: str, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = current_agent(request, strict=False)
    row = actions.get_visible_asset(v, asset_id, agent)
    out = asset_view(row, v.city.zones)
    # The registry is public (the city publishes where its equipment is), live state is
    # not: which lights are out right now is for the control room only.
    if agent is not None and (agent.can("reports.read") or agent.can("video.cameras")):
        out["latest"], out["history"] = _telemetry(v, row.id)
    else:
        out["latest"], out["history"] = None, []
    return out


class AssetIn(BaseModel):
    id: str = Field(..., max_length=64, description="Stable id, e.g. CAM-0270 (MQTT topic safe)")
    type: str = Field(..., max_length=32)
    lat: float | None = None
    long: float | None = None
    status: str = "in_service"
    name: str = Field("", max_length=200)
    group: str = Field("", max_length=64)
    installed_on: date | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    links: dict[str, str] = Field(default_factory=dict)
    parent_id: str | None = Field(None, max_length=64)
    external_id: str | None = Field(None, max_length=128)


class AssetStatusIn(BaseModel):
    status: str = Field(..., max_length=24)
    note: str = Field("", max_length=actions.MAX_NOTE)


@router.post(
    "",
    status_code=201,
    summary="Create an asset",
    tags=["agents"],
    dependencies=[Depends(needs_permission("assets.manage"))],
)
def create(body: AssetIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    draft = AssetDraft(**body.model_dump())
    row = actions.do_create_asset(v, draft, current_agent(request))
    return asset_view(row, v.city.zones)


@router.post(
    "/{asset_id}/status",
    summary="Change an asset's status",
    tags=["agents"],
    dependencies=[Depends(needs_permission("assets.status"))],
)
def change_status(
    asset_id: str, body: AssetStatusIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    row = actions.do_update_asset_status(v, asset_id, current_agent(request), body.status, body.note)
    return asset_view(row, v.city.zones)


@router.get("/{asset_id}/lamps", summary="A light point's dated lamp history (installation, conversions)")
def lamp_history(asset_id: str, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"asset_id": asset_id, "changes": lamps.lamp_history(v, asset_id)}


class LampChangeIn(BaseModel):
    changed_on: date = Field(..., description="Day of the change")
    kind: str = Field("conversion", max_length=16, description="installed, conversion or relamp")
    lampTechnology: str = Field(..., max_length=8, description="HPS, LPS, LED, MH, MV, INC or other")
    powerRating: float | None = Field(None, description="Rated lamp power (W)")
    colorTemperature: float | None = Field(None, description="Colour temperature (K)")
    upwardLightRatio: float | None = Field(None, description="Upward light ratio as installed (%)")
    note: str = Field("", max_length=lamps.MAX_NOTE)


@router.post(
    "/{asset_id}/lamps",
    status_code=201,
    summary="Record a light point's conversion or relamp",
    tags=["agents"],
    dependencies=[Depends(needs_permission("assets.manage"))],
)
def record_lamp_change(
    asset_id: str, body: LampChangeIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return lamps.do_record_lamp_change(v, current_agent(request), {"asset_id": asset_id, **body.model_dump()})
