"""The readiness probe: 503 until the lifespan has started the platform."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vigie import __version__
from vigie.runtime import Vigie

router = APIRouter()


@router.get("/health", tags=["meta"], summary="Readiness probe")
def health(request: Request) -> JSONResponse:
    ready = bool(getattr(request.app.state, "ready", False))
    body: dict[str, object] = {"status": "ok" if ready else "starting", "version": __version__}
    if ready:
        v: Vigie = request.app.state.vigie
        body.update(
            {
                "city": v.city.jurisdiction_id,
                "database": v.db.dialect,
                "services": len(v.catalogue.services),
            }
        )
    return JSONResponse(body, status_code=200 if ready else 503)
