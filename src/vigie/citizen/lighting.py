"""The residents' lighting page (/eclairage): the LED share over time, energy and money saved.

The same figures as the control room's, without per-commune or per-point detail;
tables rendered on the server (the page reads without JavaScript), charts drawn
by a small script.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.citizen.web import show_page
from vigie.lighting.views import page_data
from vigie.runtime import Vigie
from vigie.web.deps import module_in_use
from vigie.web.i18n import request_language

router = APIRouter(include_in_schema=False, dependencies=[Depends(module_in_use("lighting"))])


@router.get("/eclairage", response_class=HTMLResponse)
async def lighting_page(request: Request) -> Response:
    v: Vigie = request.app.state.vigie
    lang = request_language(request, v.city.default_language)
    data = await run_in_threadpool(page_data, v, lang, None, True)
    return show_page(request, "citizen/lighting.html", nav="lighting", light=data)
