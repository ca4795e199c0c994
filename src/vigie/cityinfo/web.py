"""Information pages and the library search for clients (/api/v1/info-pages, /api/v1/library).

Reading is public; writing a page needs ``info.manage`` (staff, audited).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from vigie.cityinfo.actions import do_delete_page, do_save_page, get_page, list_pages
from vigie.cityinfo.domain import InfoPage
from vigie.cityinfo.service import library_search
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie
from vigie.web.deps import (
    current_agent,
    data_published,
    declared_query_only,
    get_vigie,
    needs_permission,
    run_read,
    run_write,
)
from vigie.web.json import FastJSONResponse

router = APIRouter(prefix="/api/v1", tags=["city information"], dependencies=[Depends(declared_query_only)])


def page_dict(p: InfoPage) -> dict[str, Any]:
    return {
        "slug": p.slug,
        "title_fr": p.title_fr,
        "title_en": p.title_en,
        "body_fr": p.body_fr,
        "body_en": p.body_en,
        "position": p.position,
    }


@router.get(
    "/info-pages",
    summary="The city's information pages (Markdown, French and English)",
    response_class=FastJSONResponse,
)
async def info_pages(request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    pages = await run_read(request, list_pages, v)
    return FastJSONResponse({"pages": [page_dict(p) for p in pages]}, headers={"Cache-Control": "no-cache"})


@router.get("/info-pages/{slug}", summary="One information page", response_class=FastJSONResponse)
async def info_page(request: Request, slug: str, v: Vigie = Depends(get_vigie)) -> Response:
    page = await run_read(request, get_page, v, slug[:64])
    return FastJSONResponse(page_dict(page), headers={"Cache-Control": "no-cache"})


@router.put(
    "/info-pages/{slug}",
    summary="Write an information page (staff: info.manage)",
    response_class=FastJSONResponse,
    dependencies=[Depends(needs_permission("info.manage"))],
)
async def save_info_page(
    request: Request, slug: str, body: dict[str, Any] = Body(...), v: Vigie = Depends(get_vigie)
) -> Response:
    agent = current_agent(request)
    page, created = await run_write(request, do_save_page, v, agent, slug, body)
    return FastJSONResponse(page_dict(page), status_code=201 if created else 200)


@router.delete(
    "/info-pages/{slug}", summary="Remove an information page (staff: info.manage)", status_code=204
)
async def delete_info_page(request: Request, slug: str, v: Vigie = Depends(get_vigie)) -> Response:
    await run_write(request, do_delete_page, v, current_agent(request), slug[:64])
    return Response(status_code=204)


@router.get(
    "/library/search",
    summary="Search the library catalogue (SRU)",
    response_class=FastJSONResponse,
    dependencies=[Depends(data_published("library"))],
)
async def library(
    request: Request,
    q: str = Query(..., max_length=200),
    page: int = Query(1, ge=1, le=100),
    v: Vigie = Depends(get_vigie),
) -> Response:
    if sum(c.isalnum() for c in q) < 2:
        raise ValidationFailed("type at least two letters or digits", field="q")
    result = await run_read(request, library_search, v, q, page)
    books = [b.__dict__ for b in result.books]
    return FastJSONResponse({"total": result.total, "page": page, "books": books})


__all__ = ["router"]
