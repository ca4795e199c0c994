"""Server-Sent Event streams: public, per report (tracking page), agents, the operations log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from vigie import metrics
from vigie.accounts.permissions import PERMISSIONS, require
from vigie.alarms.queries import CAMERA_TYPES
from vigie.errors import VigieError
from vigie.events.domain import DomainEvent
from vigie.oplog.actions import LIVE_EVENT as OPLOG_EVENT
from vigie.reports.tracking import find_tracked
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only, read_agent

router = APIRouter(prefix="/api/v1/events", tags=["live events"], dependencies=[Depends(declared_query_only)])

# Shown in the API docs of every stream: with PostgreSQL, events cross NOTIFY (< 8,000 bytes).
_TRUNCATED = (
    "Each event's `data` is the report's view for this audience. An event whose report has "
    "very long texts (description, attributes, address) may come without them and with "
    "`truncated: true`: read the report from `/api/v1/reports/{id}` for the rest."
)


def _stream(
    request: Request,
    accept: Callable[[DomainEvent], bool],
    audience: str | Callable[[DomainEvent], str],
    cache_control: str = "no-cache",
    still_allowed: Callable[[], bool] | None = None,
) -> StreamingResponse:
    """``still_allowed`` (run in a thread) is asked again at least once per keep-alive interval,
    before an event is sent: a stream opened with a session or a token that was since signed
    out, revoked, erased or stripped of its permission ends, instead of carrying reporters'
    contacts for as long as it stays open."""
    v: Vigie = request.app.state.vigie
    sub = v.bus.hub.subscribe(accept)
    keepalive = v.settings.sse_keepalive_seconds

    stream = audience if isinstance(audience, str) else "tracking"

    async def body() -> AsyncIterator[bytes]:
        checked = time.monotonic()

        async def allowed() -> bool:
            nonlocal checked
            if still_allowed is None or time.monotonic() - checked < keepalive:
                return True
            checked = time.monotonic()
            return await run_in_threadpool(still_allowed)

        try:
            metrics.SSE_CLIENTS.labels(stream).inc()
            yield b"retry: 3000\n: connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(sub.get(), timeout=keepalive)
                except TimeoutError:
                    if await request.is_disconnected() or sub.overflowed or not await allowed():
                        return
                    yield b": keep-alive\n\n"
                    continue
                if not await allowed():
                    return
                yield event.encoded(audience if isinstance(audience, str) else audience(event))
        finally:
            metrics.SSE_CLIENTS.labels(stream).dec()
            sub.close()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": cache_control, "X-Accel-Buffering": "no"},
    )


@router.get("/public", summary="Live changes of public reports (public fields only)", description=_TRUNCATED)
async def public_stream(request: Request) -> StreamingResponse:
    return _stream(request, lambda e: e.public, "public")


@router.get(
    "/track/{token}",
    summary="Live changes of one report, for its reporter or followers",
    description=_TRUNCATED,
)
async def track_stream(token: str, request: Request) -> StreamingResponse:
    v: Vigie = request.app.state.vigie
    tracked = await run_in_threadpool(find_tracked, v, token)
    row = tracked.row
    ids = {row.id}
    if row.duplicate_of_id:
        ids.add(row.duplicate_of_id)
    # The one report this token may see in full even when it is not public (see reports.tracking).
    own = row.id if tracked.own else None

    def accept(e: DomainEvent) -> bool:
        if ids & set(e.report_ids):
            # After a merge the duplicate's followers follow the kept report too.
            ids.update(e.report_ids)
            return True
        return False

    def audience(e: DomainEvent) -> str:
        if e.public or (own is not None and e.report_ids[:1] == (own,)):
            return "public"
        return "restricted"

    def still_allowed() -> bool:
        try:
            find_tracked(v, token)
        except VigieError:  # erased, or no longer a token of a report
            return False
        return True

    return _stream(request, accept, audience, still_allowed=still_allowed)


def _still(request: Request, permission: str) -> Callable[[], bool]:
    """Whether the stream's caller, read again from its request, still holds ``permission``."""

    def check() -> bool:
        try:
            agent = read_agent(request)
        except VigieError:
            return False
        return agent is not None and agent.can(permission)

    return check


@router.get("/agent", summary="Every change, with agent fields (agents only)", description=_TRUNCATED)
async def agent_stream(request: Request) -> StreamingResponse:
    agent = await run_in_threadpool(current_agent, request)
    agent = require(agent, "reports.read")
    # Camera alarms are the video-protection roles' only, live as in the lists.
    cameras = agent.can("video.cameras")

    def seen(e: DomainEvent) -> bool:
        if e.type == OPLOG_EVENT:  # the log's own stream, filtered per entry (below)
            return False
        return cameras or e.payload.get("kind") != "alarm" or e.agent.get("asset_type") not in CAMERA_TYPES

    still = _still(request, "reports.read")
    if not agent.can("reports.all"):
        uid = agent.id
        return _stream(
            request,
            lambda e: e.agent.get("assigned_user_id") == uid and seen(e),
            "agent",
            "no-store",
            still_allowed=still,
        )
    return _stream(request, seen, "agent", "no-store", still_allowed=still)


@router.get("/oplog", summary="New entries of the operations log (those the agent may read)")
async def oplog_stream(request: Request) -> StreamingResponse:
    agent = await run_in_threadpool(current_agent, request)
    agent = require(agent, "oplog.read")
    # Each entry names the permission its reader needs (a camera's alarm, an extraction…).
    readable = {code for code in PERMISSIONS if agent.can(code)}

    def accept(e: DomainEvent) -> bool:
        return e.type == OPLOG_EVENT and e.payload.get("visible_to") in readable

    return _stream(request, accept, "agent", "no-store", still_allowed=_still(request, "oplog.read"))
