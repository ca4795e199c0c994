"""Control-room page where staff write the residents' information pages (info.manage).

The form saves through ``PUT /api/v1/info-pages/<slug>`` (the same use case,
permission and audit as any client); this page only lists and fills it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.cityinfo.actions import list_pages
from vigie.pilotage import context as ctx
from vigie.runtime import Vigie
from vigie.web.i18n import city_terms
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/pilotage/pages-info", response_class=HTMLResponse, response_model=None)
async def info_pages_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("info.manage"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    pages = await run_in_threadpool(list_pages, v)
    chosen = request.query_params.get("page", "")
    current = next((p for p in pages if p.slug == chosen), None)
    base = ctx.page_base(
        request, agent, csrf, labels={}, messages=ctx.js_messages(lang, city_terms(v.city, lang))
    )
    return render(request, "pilotage/info_pages.html", pages=pages, current=current, **base)


__all__ = ["router"]
