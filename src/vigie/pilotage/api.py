"""JSON endpoints used by the control room and the field agents' view (/api/v1/pilotage)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from vigie.accounts.domain import Agent, Role
from vigie.accounts.permissions import require
from vigie.accounts.storage import UserRow
from vigie.db import utcnow
from vigie.errors import UnsupportedMediaType, ValidationFailed
from vigie.pilotage.context import procedure_messages
from vigie.pilotage.queue_api import router as queue_router
from vigie.pilotage.stats import compute_stats
from vigie.reports import field as actions
from vigie.reports.storage import ReportRow
from vigie.reports.views import agent_view
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only, get_vigie, needs_permission

router = APIRouter(
    prefix="/api/v1/pilotage", tags=["control room"], dependencies=[Depends(declared_query_only)]
)
router.include_router(queue_router)

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in (problem JSON)"},
    403: {"description": "The role does not allow this, or the CSRF token is missing"},
}


def request_lang(request: Request) -> str:
    header = request.headers.get("accept-language", "")
    return "en" if header.lower().startswith("en") else "fr"


def _out(v: Vigie, row: ReportRow, request: Request) -> dict[str, Any]:
    base = v.settings.public_base_url.rstrip("/")
    return agent_view(row, v.catalogue, utcnow(), request_lang(request), base)


def list_agents(v: Vigie, role: str | None = None, team: str | None = None) -> list[dict[str, Any]]:
    q = select(UserRow).where(UserRow.active.is_(True)).order_by(UserRow.name, UserRow.email)
    if role:
        q = q.where(UserRow.role == role)
    if team:
        q = q.where(UserRow.team == team)
    with v.db.session() as s:
        rows = list(s.scalars(q))
    return [
        {"id": r.id, "name": r.name or r.email, "email": r.email, "role": r.role, "team": r.team}
        for r in rows
    ]


@router.get(
    "/agents",
    summary="Active agents one can assign reports to (operators, supervisors, admins)",
    responses=PROBLEMS,
)
def agents(
    request: Request,
    role: str | None = Query(None, description="Only this role, e.g. field_agent"),
    team: str | None = Query(None, max_length=64, description="Only this team"),
    v: Vigie = Depends(get_vigie),
) -> list[dict[str, Any]]:
    require(current_agent(request), "reports.triage")
    if role is not None and role not in {r.value for r in Role}:
        raise ValidationFailed(
            f"unknown role '{role}' (expected one of {', '.join(r.value for r in Role)})",
            field="role",
        )
    return list_agents(v, role, team)


@router.get(
    "/suggest",
    summary="Services a caller's or a writer's words are most likely about (phone and e-mail intake)",
    responses=PROBLEMS,
)
def suggest_services(
    request: Request,
    text: str = Query("", max_length=4000, description="What the resident said or wrote"),
    v: Vigie = Depends(get_vigie),
) -> list[dict[str, Any]]:
    """Up to three services, best first, from the model trained on the city's history
    (``vigie triage``); empty when the words say nothing it knows."""
    from vigie.triage.actions import suggest

    require(current_agent(request), "reports.intake")
    lang = request_lang(request)
    out = []
    for found in suggest(v, text) if text.strip() else []:
        service = v.catalogue.service(found.service_code)
        if service is not None:
            out.append({"service_code": service.code, "name": service.name.get(lang), "group": service.group})
    return out


@router.get(
    "/stats",
    summary="Dashboard figures: open reports by group and commune, SLA, medians, per day",
    responses=PROBLEMS,
)
def stats(
    request: Request,
    days: int = Query(90, ge=7, le=366, description="Window of the per-day series and medians"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    require(current_agent(request), "stats.read")
    return compute_stats(v, days, lang=request_lang(request))


@router.get(
    "/reports/{report_id}/messages",
    summary="The report's procedure message templates, per status (to prefill public notes)",
    responses=PROBLEMS,
)
def messages(
    report_id: str,
    request: Request,
    lang: str | None = Query(None, pattern="^(fr|en)$", description="Default: the reporter's"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, str]:
    agent = require(current_agent(request), "reports.read")
    row = actions.check_visible_to(v, report_id, agent)
    return procedure_messages(v, row, lang or row.reporter_lang)


def _multipart_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["photos"],
                        "properties": {
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": "One or more photos of the fix (JPEG, PNG, WebP)",
                            },
                            "public_note": {"type": "string", "maxLength": 4000},
                            "internal_note": {"type": "string", "maxLength": 4000},
                        },
                    }
                }
            },
        }
    }


@router.post(
    "/reports/{report_id}/resolution",
    summary="Resolve a report with photos of the fix and notes (one transaction)",
    openapi_extra=_multipart_body(),
    responses={
        **PROBLEMS,
        404: {"description": "No such report, or (field agent) not assigned to you"},
        409: {"description": "The report cannot be resolved from its current status"},
        413: {"description": "A photo is too large"},
        415: {"description": "Not multipart, or a photo is not JPEG, PNG or WebP"},
        422: {"description": "Missing or invalid photo or note"},
    },
)
async def resolution(report_id: str, request: Request) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie
    agent = require(await run_in_threadpool(current_agent, request), "reports.work")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        raise UnsupportedMediaType("send the resolution as multipart/form-data with photos")
    await run_in_threadpool(actions.check_visible_to, v, report_id, agent)
    limit = v.settings.max_photos_per_report
    form = await request.form(max_files=limit + 1, max_fields=20)
    raw: list[tuple[str, bytes]] = []
    notes = {"public_note": "", "internal_note": ""}
    for key, value in form.multi_items():
        if key in ("photos", "photo"):
            if isinstance(value, str):
                raise ValidationFailed("photos must be files", field="photos")
            raw.append((value.filename or "", await value.read()))
        elif key in notes and isinstance(value, str):
            notes[key] = value
    if not raw:
        raise ValidationFailed("a photo of the fix is required", field="photos")
    if len(raw) > limit:
        raise ValidationFailed(f"at most {limit} photos", field="photos")
    row = await run_in_threadpool(_resolve, v, report_id, agent, raw, notes)
    return _out(v, row, request)


def _resolve(
    v: Vigie, report_id: str, agent: Agent, raw: list[tuple[str, bytes]], notes: dict[str, str]
) -> ReportRow:
    from vigie.photos.processing import process_photo

    processed = [
        process_photo(
            data,
            max_bytes=v.settings.max_photo_bytes,
            max_pixels=v.settings.max_photo_pixels,
            filename=name,
        )
        for name, data in raw
    ]
    return actions.do_resolve_with_photos(
        v, report_id, agent, processed, notes["public_note"], notes["internal_note"]
    )


class HandbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., description=f"One of {', '.join(actions.HANDBACK_REASONS)}")
    note: str = Field("", max_length=4000, description="Internal note for the operators")


@router.post(
    "/reports/{report_id}/handback",
    summary="Cannot fix: hand the report back to the operators (acknowledged, unassigned)",
    responses={
        **PROBLEMS,
        404: {"description": "No such report, or (field agent) not assigned to you"},
        409: {"description": "Not assigned to you, or closed"},
        422: {"description": "Unknown reason, or 'other' without a note"},
    },
    dependencies=[Depends(needs_permission("reports.work"))],
)
def handback(
    report_id: str, body: HandbackIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = require(current_agent(request), "reports.work")
    row = actions.do_hand_back(v, report_id, agent, body.reason, body.note)
    return _out(v, row, request)
