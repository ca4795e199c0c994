"""Catalogue administration: reload the city's catalogue file without a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vigie.accounts.actions import do_audit, require
from vigie.catalogue.loader import load_catalogue
from vigie.errors import ConfigurationError
from vigie.runtime import Vigie
from vigie.web.deps import current_agent

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])


@router.post(
    "/reload",
    summary="Reload the catalogue file (admins); an invalid file is refused and the running one kept",
    response_model=None,
)
def reload_catalogue(request: Request) -> dict[str, Any] | JSONResponse:
    agent = require(current_agent(request), "users.manage")
    v: Vigie = request.app.state.vigie
    try:
        # Swapped in only once the reload is audited: a failure leaves the running one.
        cat = load_catalogue(v.city.catalogue_path, v.city.zones.codes())
    except ConfigurationError as exc:
        problems = [
            {"file": p.file, "line": p.line, "field": p.field, "detail": p.message}
            for p in exc.problems
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
    with v.db.session(write=True) as s:
        # The path goes to the detail: it is often longer than an audit target id.
        do_audit(
            s,
            agent,
            "catalogue.reload",
            "catalogue",
            Path(cat.source).name,
            {"source": cat.source, "services": len(cat.services)},
        )
        s.commit()
    v.catalogue = cat
    return {
        "source": cat.source,
        "groups": len(cat.groups),
        "services": len(cat.services),
        "procedures": len(cat.procedures),
    }
