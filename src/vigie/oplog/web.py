"""Native API of the operations log: /api/v1/oplog (agents)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import ValidationFailed
from vigie.oplog import actions, domain
from vigie.runtime import Vigie
from vigie.web.deps import DbId, current_agent, declared_query_only, get_vigie, needs_permission
from vigie.web.i18n import request_language

router = APIRouter(
    prefix="/api/v1/oplog", tags=["operations log"], dependencies=[Depends(declared_query_only)]
)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field("control", max_length=32, description="One of the control centre's services")
    text: str = Field(..., min_length=1, max_length=domain.TEXT_MAX)
    severity: str = Field("info", max_length=16, description="info, notable or urgent")


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=domain.TEXT_MAX)


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(p.strip() for v in values or [] for p in v.split(",") if p.strip())


def _when(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"not an ISO 8601 date and time: {value!r}", field=name) from None
    if at.tzinfo is None:
        raise ValidationFailed("give a time zone (Z or +01:00)", field=name)
    return at


def oplog_filter(
    service: list[str] | None = Query(None, description="Services (comma-separated or repeated)"),
    kind: list[str] | None = Query(None, description="Kinds of entry: note, correction, alarm.raised…"),
    severity: list[str] | None = Query(None, description="info, notable, urgent"),
    q: str = Query("", max_length=200, description="Words of the text, actor or reference"),
    start: str = Query("", max_length=40, description="From (ISO 8601 with zone)"),
    end: str = Query("", max_length=40, description="Before (ISO 8601 with zone)"),
    ref: str = Query("", max_length=64, description="What the entry is about, e.g. alarm:12"),
) -> actions.OplogFilter:
    return actions.OplogFilter(
        _split(service),
        _split(kind),
        _split(severity),
        q.strip(),
        _when(start, "start"),
        _when(end, "end"),
        ref,
    )


@router.get("", summary="The timeline, newest first (filters per service, kind, severity, dates, words)")
def timeline(
    request: Request,
    f: actions.OplogFilter = Depends(oplog_filter),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(100, ge=1, le=500),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    items, total = actions.list_entries(v, current_agent(request), f, page, page_size)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/services", summary="The services and severities of the log, with their names")
def services(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    require(current_agent(request), "oplog.read")
    return {
        "services": [
            {"code": c, "fr": fr, "en": en} for c, (fr, en) in domain.services_in_use(v.city).items()
        ],
        "severities": [{"code": c, "fr": fr, "en": en} for c, (fr, en) in domain.SEVERITIES.items()],
    }


@router.get(".csv", summary="The filtered timeline as CSV", response_class=StreamingResponse)
def export(
    request: Request, f: actions.OplogFilter = Depends(oplog_filter), v: Vigie = Depends(get_vigie)
) -> StreamingResponse:
    lang = request_language(request)
    rows = actions.export_csv(v, current_agent(request), f, lang)
    first = next(rows)  # the permission and the filter are checked before the answer starts
    stamp = utcnow().astimezone(v.city.timezone).strftime("%Y-%m-%d-%H%M")

    def body() -> Any:
        yield first
        yield from rows

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="main-courante-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/summary", summary="End-of-shift summary (the shift under way unless start and end are given)")
def summary(
    request: Request,
    start: str = Query("", max_length=40),
    end: str = Query("", max_length=40),
    format: str = Query("json", pattern="^(json|text)$"),  # noqa: A002
    v: Vigie = Depends(get_vigie),
) -> Any:
    result = actions.shift_summary(v, current_agent(request), _when(start, "start"), _when(end, "end"))
    if format == "text":
        return PlainTextResponse(domain.summary_text(result, v.city.timezone, request_language(request)))
    return result.as_dict()


@router.get("/{entry_id}", summary="One entry, with the corrections made to it")
def entry(entry_id: DbId, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.get_entry(v, current_agent(request), entry_id)


@router.post(
    "",
    status_code=201,
    summary="Write an entry (an operator's note)",
    dependencies=[Depends(needs_permission("oplog.write"))],
)
def write(body: EntryIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.do_write(v, current_agent(request), body.service, body.text, body.severity)


@router.post(
    "/{entry_id}/corrections",
    status_code=201,
    summary="Correct an entry by a new one",
    dependencies=[Depends(needs_permission("oplog.write"))],
)
def correct(
    entry_id: DbId, body: CorrectionIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return actions.do_correct(v, current_agent(request), entry_id, body.text)
