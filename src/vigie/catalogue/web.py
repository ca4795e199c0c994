"""Catalogue administration: reload the city's catalogue file without a restart."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from vigie.catalogue.actions import do_reload_catalogue
from vigie.errors import ConfigurationError
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only

router = APIRouter(
    prefix="/api/v1/catalogue", tags=["catalogue"], dependencies=[Depends(declared_query_only)]
)


@router.post(
    "/reload",
    summary="Reload the catalogue file (admins); an invalid file is refused and the running one kept",
    response_model=None,
)
def reload_catalogue(request: Request) -> dict[str, Any] | JSONResponse:
    v: Vigie = request.app.state.vigie
    try:
        cat = do_reload_catalogue(v, current_agent(request))
    except ConfigurationError as exc:
        problems = [
            {"file": p.file, "line": p.line, "field": p.field, "detail": p.message} for p in exc.problems
        ]
        return JSONResponse(
            {
                "type": "https://vigie.city/problems/invalid_catalogue",
                "title": "Invalid catalogue",
                "status": 422,
                "detail": f"{exc.summary()}; the running catalogue is kept",
                "errors": problems,
            },
            status_code=422,
            media_type="application/problem+json",
        )
    return {
        "source": cat.source,
        "groups": len(cat.groups),
        "services": len(cat.services),
        "procedures": len(cat.procedures),
    }
