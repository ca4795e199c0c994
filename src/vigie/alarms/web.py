"""Native API of the alarms context: /api/v1/alarms (agents)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vigie.alarms import actions, queries
from vigie.runtime import Vigie
from vigie.web.deps import DbId, current_agent, declared_query_only, get_vigie, needs_permission

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"], dependencies=[Depends(declared_query_only)])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlarmNoteIn(_Body):
    note: str = Field("", max_length=4000)


class AlarmAssignIn(_Body):
    user_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Agent to assign; null to unassign.")
    note: str = Field("", max_length=4000)


class AlarmCommentIn(_Body):
    note: str = Field(..., min_length=1, max_length=4000)


def _split(values: list[str] | None) -> list[str]:
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


def _audience(request: Request) -> bool | None:
    return queries.audience(current_agent(request))


@router.get("", summary="Alarms, newest activity first (filters: state, severity, type, zone)")
def list_alarms(
    request: Request,
    state: list[str] | None = Query(
        None, description="active, cleared, active_unacknowledged, … (comma-separated or repeated)"
    ),
    severity: list[str] | None = Query(None, description="critical, major, minor, warning"),
    type: list[str] | None = Query(None, description="Rule ids, e.g. lamp-failure"),  # noqa: A002
    zone: list[str] | None = Query(None, description="Zone (commune) codes"),
    asset_id: str = Query("", max_length=64),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(100, ge=1, le=500),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    f = queries.AlarmFilter(
        _split(state), _split(severity), _split(type), _split(zone), asset_id, cameras=_audience(request)
    )
    items, total = queries.list_alarms(v, f, page, page_size)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/summary", summary="Active alarms by severity and state")
def summary(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return queries.summary(v, _audience(request))


@router.get("/{alarm_id}", summary="One alarm with its history and linked reports")
def detail(alarm_id: DbId, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return queries.alarm_detail(v, alarm_id, current_agent(request), check=True)


@router.post(
    "/{alarm_id}/acknowledge",
    summary="Acknowledge (operators, supervisors)",
    dependencies=[Depends(needs_permission("alarms.handle"))],
)
def acknowledge(
    alarm_id: DbId, request: Request, body: AlarmNoteIn | None = None, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    actions.do_acknowledge(v, alarm_id, current_agent(request), (body or AlarmNoteIn()).note)
    return queries.alarm_detail(v, alarm_id)


@router.post(
    "/{alarm_id}/assign",
    summary="Hand the alarm to an agent (or unassign)",
    dependencies=[Depends(needs_permission("alarms.handle"))],
)
def assign(
    alarm_id: DbId, body: AlarmAssignIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    actions.do_assign(v, alarm_id, current_agent(request), body.user_id, body.note)
    return queries.alarm_detail(v, alarm_id)


@router.post(
    "/{alarm_id}/comment",
    summary="Add a comment to the alarm's history",
    dependencies=[Depends(needs_permission("alarms.handle"))],
)
def comment(
    alarm_id: DbId, body: AlarmCommentIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    actions.do_comment(v, alarm_id, current_agent(request), body.note)
    return queries.alarm_detail(v, alarm_id)


@router.post(
    "/{alarm_id}/clear",
    summary="Clear by hand (supervisors and administrators)",
    dependencies=[Depends(needs_permission("alarms.clear"))],
)
def clear(
    alarm_id: DbId, request: Request, body: AlarmNoteIn | None = None, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    actions.do_clear(v, alarm_id, current_agent(request), (body or AlarmNoteIn()).note)
    return queries.alarm_detail(v, alarm_id)
