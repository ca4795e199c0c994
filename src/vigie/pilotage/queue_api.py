"""The queue's endpoints: a page, its count, its map, its CSV export, and bulk actions.

Mounted under ``/api/v1/pilotage`` by ``api.py``. Every filter is applied by the
database (``queue.py``), so they see every report, not a loaded subset.

Every control room screen asks for a page and a map view again at each live update, so
the per-request cost around the query matters as much as the query: the filter is read
on the event loop (an async dependency: a plain ``def`` one costs a round trip through
FastAPI's thread pool) and the answers are encoded by orjson in the read pool's thread
(``FastJSONResponse``), not by FastAPI's serializer on the event loop.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.actions import require
from vigie.db import utcnow
from vigie.errors import VigieError
from vigie.pilotage.context import page_lang
from vigie.pilotage.queue import (
    QueueQuery,
    cache_key,
    queue_csv,
    queue_page,
    references_and_statuses,
    restrict,
    stale_key,
)
from vigie.reports import actions
from vigie.reports.clusters import map_view, parse_zoom
from vigie.reports.queries import parse_bbox
from vigie.reports.views import agent_view, iso
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, get_vigie, needs_permission, run_read, run_write
from vigie.web.json import FastJSONResponse

router = APIRouter()
MAX_BULK = 500


def _csv(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


async def queue_query(
    status: str = Query("open", description="open (default), all, or one status"),
    group: str | None = Query(None, description="Comma list of service groups"),
    zone: str | None = Query(None, description="Comma list of zone codes"),
    priority: str = Query("", description="urgent, high, normal or low"),
    sla: str = Query("", description="overdue, due_soon, on_time or none"),
    q: str = Query("", max_length=200, description="A reference, or words of the description or address"),
    sort: str = Query("received", description="received (newest first), due, priority or status"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=200),
) -> QueueQuery:
    return QueueQuery(
        status=status,
        groups=_csv(group),
        zones=_csv(zone),
        priority=priority,
        sla=sla,
        text=q,
        sort=sort,
        page=page,
        page_size=page_size,
    ).check()


@router.get("/queue", summary="The control room's queue: one page over every matching report, and the count")
async def queue(
    request: Request, query: QueueQuery = Depends(queue_query), v: Vigie = Depends(get_vigie)
) -> Response:
    # The page's language (?lang=, its cookie, then the browser's), not Accept-Language alone:
    # the CSV is downloaded by a plain link, which sends the browser's, not the page's.
    lang = page_lang(request)

    def answer() -> Response:
        require(current_agent(request), "reports.triage")
        now = utcnow()
        rows, total = queue_page(v, query, now)
        base = v.settings.public_base_url.rstrip("/")
        pages = max(1, -(-total // query.page_size))
        return FastJSONResponse(
            {
                "items": [agent_view(r, v.catalogue, now, lang, base) for r in rows],
                "total": total,
                "page": query.page,
                "page_size": query.page_size,
                "pages": pages,
                "next_page": query.page + 1 if query.page < pages else None,
            }
        )

    return await run_read(request, answer)


@router.get("/queue/map", summary="The queue's reports in view, clustered by the database")
async def queue_map(
    request: Request,
    bbox: str = Query(..., description="min_long,min_lat,max_long,max_lat"),
    zoom: str = Query("13", description="The map's zoom level (0 to 22)"),
    query: QueueQuery = Depends(queue_query),
    v: Vigie = Depends(get_vigie),
) -> Response:
    box, level = parse_bbox(bbox), parse_zoom(zoom)

    def answer() -> Response:
        require(current_agent(request), "reports.triage")
        now = utcnow()
        view = map_view(v, restrict(query, now), box, level, cache_key(query, now), stale_key(query, now))
        return FastJSONResponse(
            {
                "total": view.total,
                "clusters": [{"lat": c.lat, "long": c.long, "count": c.count} for c in view.clusters],
                "points": [
                    {
                        "id": str(r.id),
                        "reference": r.reference,
                        "lat": r.lat,
                        "long": r.long,
                        "status": r.status,
                        "priority": r.priority,
                        "service_code": r.service_code,
                        "expected_at": iso(r.expected_at),
                    }
                    for r in view.points
                ],
            }
        )

    return await run_read(request, answer)


@router.get(
    "/queue.csv",
    summary="The queue's current filter as CSV (every matching report, no contact data)",
    response_class=StreamingResponse,
)
def queue_export(
    request: Request, query: QueueQuery = Depends(queue_query), v: Vigie = Depends(get_vigie)
) -> StreamingResponse:
    require(current_agent(request), "reports.triage")
    lang = page_lang(request)
    now = utcnow()
    stamp = now.astimezone(v.city.timezone).strftime("%Y-%m-%d-%H%M")
    return StreamingResponse(
        queue_csv(v, query, now, lang),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="signalements-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(pattern="^(acknowledge|assign)$")
    ids: list[str] = Field(min_length=1, max_length=MAX_BULK)
    team: str | None = Field(None, max_length=64)
    user_id: int | None = None
    public_note: str = Field("", max_length=4000)


@router.post(
    "/queue/bulk",
    summary="Acknowledge or assign several reports; each one succeeds or fails alone",
    dependencies=[Depends(needs_permission("reports.triage"))],
)
async def bulk(request: Request, body: BulkIn) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie

    def run() -> dict[str, Any]:
        agent = require(current_agent(request), "reports.triage")
        done: list[str] = []
        failed: list[dict[str, Any]] = []
        for report_id in dict.fromkeys(body.ids):
            try:
                if body.action == "acknowledge":
                    actions.do_acknowledge(v, report_id, agent, public_note=body.public_note)
                else:
                    actions.do_assign(
                        v,
                        report_id,
                        agent,
                        team=body.team,
                        user_id=body.user_id,
                        public_note=body.public_note,
                    )
                done.append(report_id)
            except VigieError as exc:
                failed.append({"id": report_id, "status": exc.status, "detail": exc.message})
        # Which reports were refused, by the names and statuses the operator sees in the queue
        # (the refusal's message alone says "report is resolved", not which one).
        known = references_and_statuses(v, [f["id"] for f in failed])
        for f in failed:
            f["reference"], f["report_status"] = known.get(f["id"], (None, None))
        return {"done": done, "failed": failed}

    result: dict[str, Any] = await run_write(request, run)
    return result


__all__ = ["router"]
