"""Map endpoints: the PMTiles basemap served by range requests, the context layers."""

from __future__ import annotations

import os

import anyio
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response

from vigie.errors import NotFound
from vigie.maps.addresses_layer import address_points, parse_bbox
from vigie.maps.basemap import PmtilesBasemap, basemap_of
from vigie.maps.layers import context_layers
from vigie.maps.ranges import RangeNotSatisfiable, requested_ranges
from vigie.web.deps import declared_query_only, run_read, vigie_of
from vigie.web.problems import vigie_error_response

router = APIRouter(prefix="/api/v1/map", tags=["maps"], dependencies=[Depends(declared_query_only)])

# An archive is replaced rarely (a new extract); an hour keeps panning free of
# round trips, and the ETag lets PMTiles clients notice a new archive.
ARCHIVE_CACHE = "public, max-age=3600"
PMTILES_TYPE = "application/vnd.pmtiles"


def _matches(etag: str, if_none_match: str | None) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


_RANGES = {206: {"description": "The requested byte range"}, 416: {"description": "Range past the end"}}


@router.head("/basemap.pmtiles", summary="The basemap archive's size and version", response_class=Response)
@router.get(
    "/basemap.pmtiles",
    summary="The basemap's PMTiles archive (HTTP range requests)",
    response_class=Response,
    responses=_RANGES,  # type: ignore[arg-type]
)
async def basemap_archive(request: Request) -> Response:
    basemap = basemap_of(vigie_of(request))
    if not isinstance(basemap, PmtilesBasemap):
        raise NotFound("no PMTiles basemap is configured (VIGIE_BASEMAP)")
    try:
        stat = await anyio.to_thread.run_sync(os.stat, basemap.path)
    except FileNotFoundError:
        raise NotFound("the basemap archive has been removed from the server") from None
    response = FileResponse(
        basemap.path,
        stat_result=stat,
        media_type=PMTILES_TYPE,
        headers={"Cache-Control": ARCHIVE_CACHE},
    )
    etag = response.headers["etag"]
    if _matches(etag, request.headers.get("if-none-match")):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": ARCHIVE_CACHE})
    try:
        requested_ranges(request.headers.get("range"), stat.st_size)
    except RangeNotSatisfiable as exc:
        refused = vigie_error_response(exc)
        refused.headers["Content-Range"] = f"bytes */{exc.size}"
        refused.headers["ETag"] = etag
        return refused
    # Checked: FileResponse sends the same ranges (206, one part or multipart/byteranges).
    return response


LAYER_CACHE = "public, max-age=3600"
ADDRESSES_CACHE = "public, max-age=300"


@router.get(
    "/layers/addresses.geojson",
    summary="The gazetteer's address points in a street-level view (house-number labels)",
    response_class=Response,
)
async def address_labels(
    request: Request,
    bbox: str = Query(..., max_length=100, description="min_lon,min_lat,max_lon,max_lat (at most 0.03°)"),
) -> Response:
    v = vigie_of(request)
    found = await run_read(request, address_points, v, parse_bbox(bbox))
    return Response(
        orjson.dumps(found),
        media_type="application/geo+json",
        headers={"Cache-Control": ADDRESSES_CACHE, "X-Feature-Count": str(len(found["features"]))},
    )


@router.get(
    "/layers/{name}.geojson",
    summary="A context layer drawn on every map (public transport lines, stops…)",
    response_class=Response,
)
async def context_layer(request: Request, name: str = Path(max_length=40)) -> Response:
    layers = context_layers(vigie_of(request))
    layer = layers.get(name)
    if layer is None:
        known = ", ".join(sorted(layers)) or "none is configured"
        raise NotFound(f"no map layer {name!r} (layers: {known})")
    headers = {
        "ETag": layer.etag,
        "Cache-Control": LAYER_CACHE,
        "Vary": "Accept-Encoding",
        "X-Feature-Count": str(layer.features),
    }
    if _matches(layer.etag, request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return Response(layer.gzipped, media_type="application/geo+json", headers=headers)
    return Response(layer.body, media_type="application/geo+json", headers=headers)
