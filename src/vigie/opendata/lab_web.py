"""The data lab on the web: its page (/labo, permalinks /labo/{id}) and API (/api/v1/lab).

Anyone may query the published releases and save a query: a saved query is its
SQL and a title, reached by a random id; it reads published data only.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.errors import NotFound, ValidationFailed
from vigie.opendata import lab
from vigie.opendata.queries import published_datasets
from vigie.reusers.quota import enforce
from vigie.runtime import Vigie
from vigie.web.deps import declared_query_only, json_object
from vigie.web.i18n import request_language
from vigie.web.templating import render

router = APIRouter(tags=["open data: data lab"])
EXAMPLE = "SELECT *\nFROM {dataset}\nLIMIT 20"
PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def sql_name(name: str) -> str:
    """A dataset's name as a query writes it: most ids have a hyphen (``arrets-tram``), which
    SQL reads as a minus unless the name is in double quotes."""
    return name if PLAIN_NAME.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ValidationFailed(f"{key} must be text", field=key)
    return value


def _page(request: Request, saved: Any = None) -> HTMLResponse:
    v = _vigie(request)
    published = {p.id: p.dataset.metadata for p in published_datasets(v)}
    names = sorted(published)
    lang = request_language(request, v.city.default_language)
    example = EXAMPLE.format(dataset=sql_name(names[0]) if names else "dataset")
    sql = saved.sql if saved is not None else example
    return render(
        request,
        "opendata/lab.html",
        nav="opendata",
        # Each link names its dataset (WCAG 2.4.4): one "the dataset" per line said nothing.
        datasets=[(name, sql_name(name), published[name].title(lang)) for name in names],
        sql=sql,
        saved=saved,
        recent=lab.recent_queries(v),
        limits={
            "rows": v.settings.lab_rows,
            "seconds": v.settings.lab_seconds,
            # Every limit a query can hit is named before it is hit.
            "memory_mb": v.settings.lab_memory_mb,
            "answer_mb": lab.MAX_ANSWER_BYTES // (1024 * 1024),
        },
    )


@router.get("/labo", response_class=HTMLResponse, summary="The data lab")
async def lab_page(request: Request) -> HTMLResponse:
    return await run_in_threadpool(_page, request)


@router.get("/labo/{query_id}", response_class=HTMLResponse, summary="A saved data lab query (permalink)")
async def lab_permalink(request: Request, query_id: str) -> HTMLResponse:
    def answer() -> HTMLResponse:
        try:
            saved = lab.saved_query(_vigie(request), query_id)
        except NotFound:
            return render(request, "opendata/not_found.html", status_code=404, nav="opendata")
        return _page(request, saved)

    return await run_in_threadpool(answer)


async def _rate(request: Request) -> None:
    """The open data quotas (shared with the records API and the exports)."""
    await run_in_threadpool(enforce, request, "lab")


@router.post(
    "/api/v1/lab/query",
    summary="Run one read-only SQL query over the published releases",
    dependencies=[Depends(declared_query_only)],
)
async def lab_query(request: Request) -> Response:
    data = await json_object(request, 64 * 1024)
    await _rate(request)
    result = await run_in_threadpool(lab.run_lab_query, _vigie(request), _text(data, "sql"))
    return Response(result.to_bytes(), media_type="application/json")


@router.post(
    "/api/v1/lab/queries",
    status_code=201,
    summary="Save a query: its permalink",
    dependencies=[Depends(declared_query_only)],
)
async def lab_save(request: Request) -> dict[str, Any]:
    data = await json_object(request, 64 * 1024)
    await _rate(request)
    row = await run_in_threadpool(
        lab.do_save_query, _vigie(request), _text(data, "title"), _text(data, "sql")
    )
    base = _vigie(request).settings.public_base_url.rstrip("/")
    return {"id": row.id, "title": row.title, "sql": row.sql, "url": f"{base}/labo/{row.id}"}


@router.get(
    "/api/v1/lab/queries/{query_id}", summary="A saved query", dependencies=[Depends(declared_query_only)]
)
async def lab_saved(request: Request, query_id: str) -> dict[str, Any]:
    row = await run_in_threadpool(lab.saved_query, _vigie(request), query_id)
    return {"id": row.id, "title": row.title, "sql": row.sql, "created_at": row.created_at.isoformat()}


@router.get(
    "/api/v1/lab/queries/{query_id}/result",
    summary="Run a saved query",
    dependencies=[Depends(declared_query_only)],
)
async def lab_saved_result(request: Request, query_id: str) -> Response:
    await _rate(request)
    v = _vigie(request)

    def answer() -> Response:
        row = lab.saved_query(v, query_id)
        return Response(lab.run_lab_query(v, row.sql).to_bytes(), media_type="application/json")

    return await run_in_threadpool(answer)


__all__ = ["router"]
