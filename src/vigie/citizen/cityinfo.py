"""Residents' city information: staff-written pages, online services, the library catalogue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.citizen.views import page_config
from vigie.citizen.web import show_page
from vigie.cityinfo.actions import get_page, list_pages
from vigie.cityinfo.domain import render_markdown
from vigie.cityinfo.library import CatalogueUnavailable
from vigie.cityinfo.service import PER_PAGE, library_search, service_links
from vigie.errors import NotFound
from vigie.runtime import Vigie
from vigie.web.deps import data_published
from vigie.web.i18n import request_language

router = APIRouter(include_in_schema=False)


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


@router.get("/infos", response_class=HTMLResponse)
async def info_index(request: Request) -> Response:
    v = _vigie(request)
    lang = request_language(request, v.city.default_language)
    pages = await run_in_threadpool(list_pages, v)
    groups = await run_in_threadpool(service_links, v)
    return show_page(
        request,
        "citizen/infos.html",
        nav="infos",
        pages=[{"slug": p.slug, "title": p.title(lang)} for p in pages],
        groups=[
            {
                "title": g.title(lang),
                "links": [
                    {"url": x.url, "title": x.title(lang), "text": x.description(lang)} for x in g.links
                ],
            }
            for g in groups
        ],
        library=bool(v.settings.library_sru_url),
        config=page_config(request),
    )


@router.get("/infos/{slug}", response_class=HTMLResponse)
async def info_page(request: Request, slug: str) -> Response:
    v = _vigie(request)
    lang = request_language(request, v.city.default_language)
    try:
        page = await run_in_threadpool(get_page, v, slug[:64])
    except NotFound:
        return show_page(request, "citizen/gone.html", status_code=404, back="/infos", nav="infos")
    # A page not yet translated is shown in French, and says so by its language attribute.
    shown = "en" if lang == "en" and page.body_en else "fr"
    return show_page(
        request,
        "citizen/info_page.html",
        nav="infos",
        title=page.title(lang),
        body=render_markdown(page.body(lang)),
        page_lang=shown,
        config=page_config(request),
    )


@router.get("/bibliotheque", response_class=HTMLResponse, dependencies=[Depends(data_published("library"))])
async def library_page(request: Request) -> Response:
    v = _vigie(request)
    q = " ".join(request.query_params.get("q", "").split())[:200].replace("\x00", "")
    try:
        page = max(1, min(100, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1

    def load() -> dict[str, Any]:
        if not v.settings.library_sru_url or sum(c.isalnum() for c in q) < 2:
            return {"result": None, "error": ""}
        try:
            return {"result": library_search(v, q, page), "error": ""}
        except CatalogueUnavailable as exc:
            return {"result": None, "error": exc.message}

    data = await run_in_threadpool(load)
    result = data["result"]
    more = result is not None and result.total > page * PER_PAGE
    return show_page(
        request,
        "citizen/library.html",
        nav="infos",
        q=q,
        configured=bool(v.settings.library_sru_url),
        prev_url=f"/bibliotheque?{urlencode({'q': q, 'page': page - 1})}" if result and page > 1 else "",
        next_url=f"/bibliotheque?{urlencode({'q': q, 'page': page + 1})}" if more else "",
        config=page_config(request),
        **data,
    )


__all__ = ["router"]
