"""Native API of telemetry and lighting: series for charts, dead letters, schedules, commands."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.permissions import require
from vigie.assets.actions import get_asset, hidden_types
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.reports.domain import parse_datetime
from vigie.runtime import Vigie
from vigie.telemetry import lighting, past_schedules, queries
from vigie.telemetry.schedule_history import list_changes
from vigie.web.deps import (
    DbId,
    current_agent,
    declared_query_only,
    get_vigie,
    module_in_use,
    needs_permission,
)

router = APIRouter(
    prefix="/api/v1/telemetry", tags=["telemetry"], dependencies=[Depends(declared_query_only)]
)
lighting_router = APIRouter(
    prefix="/api/v1",
    tags=["lighting"],
    dependencies=[Depends(declared_query_only), Depends(module_in_use("lighting"))],
)


def _asset_type(v: Vigie, asset_id: str) -> str:
    try:
        return get_asset(v, asset_id).type
    except NotFound:
        return ""  # telemetry may name assets the registry does not know yet


def _agent(request: Request) -> None:
    require(current_agent(request), "reports.read")


@router.get("/status", summary="Ingest status: counters, dead letters, broker connection")
def status(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    _agent(request)
    return queries.ingest_status(v)


@router.get("/dead-letters", summary="Messages the ingest refused, with the reason (agents)")
def dead_letters(
    request: Request,
    reason: str = Query("", max_length=32),
    asset_id: str = Query("", max_length=64),
    limit: int = Query(100, ge=1, le=1000),
    before_id: int | None = Query(None, ge=1, le=2**31 - 1),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    _agent(request)
    return queries.dead_letters(v, reason, asset_id, limit, before_id)


@router.get("/{asset_id}", summary="Time series of an asset (downsampled) and its latest state")
def asset_series(
    asset_id: str,
    request: Request,
    start: str | None = Query(None, description="ISO 8601; default: a day before end"),
    end: str | None = Query(None, description="ISO 8601; default: now"),
    step: str | None = Query(
        None, description="auto (default, ≤ 500 points), raw, 1m, 5m, 15m, 1h, 6h, 1d or seconds"
    ),
    metric: list[str] | None = Query(None, description="Measurements to include (default: all)"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    _agent(request)
    if len(asset_id) > 64:
        raise ValidationFailed("asset_id is at most 64 characters", field="asset_id")
    hidden = hidden_types(current_agent(request))
    if hidden and _asset_type(v, asset_id) in hidden:
        # A camera's series tells when it is down: for the video-protection roles only.
        raise NotFound(f"no asset with id '{asset_id}'")
    out = queries.series(
        v,
        asset_id,
        parse_datetime(start, "start") if start else None,
        parse_datetime(end, "end") if end else None,
        step,
        [m for item in metric or [] for m in item.split(",") if m],
    )
    out["latest"] = queries.latest_state(v, asset_id)
    return out


# --- lighting schedules and commands (supervisors, administrators) ---------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SwitchingIn(_Body):
    """A schedule's switching and dimming, the part its history records."""

    active: bool | None = None
    on_offset_minutes: int | None = Field(None, ge=-180, le=180)
    off_offset_minutes: int | None = Field(None, ge=-180, le=180)
    dim_start: str | None = Field(None, max_length=5, description="Local time HH:MM")
    dim_end: str | None = Field(None, max_length=5)
    dim_level: float | None = Field(None, ge=0, le=1)
    off_start: str | None = Field(None, max_length=5)
    off_end: str | None = Field(None, max_length=5)


class ScheduleIn(SwitchingIn):
    name: str | None = Field(None, max_length=120)
    group: str | None = Field(None, max_length=64, description="Light group; '*' for every light")


class CommandIn(_Body):
    asset_ids: list[str] = Field(default_factory=list, max_length=50_000)
    group: str | None = Field(None, max_length=64, description="Send to every light of a group")
    action: str = Field(..., description="switch, dim or program")
    powerState: str | None = Field(None, description="switch: on or off")  # noqa: N815
    level: float | None = Field(None, ge=0, le=1, description="dim: 0–1")
    program: dict[str, Any] | None = None


def _manager(request: Request) -> None:
    require(current_agent(request), "lighting.manage")


@lighting_router.get("/lighting/schedules", summary="Lighting schedules of the light groups")
def list_schedules(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    _manager(request)
    return {"items": lighting.list_schedules(v)}


@lighting_router.post(
    "/lighting/schedules",
    status_code=201,
    summary="Create a schedule",
    dependencies=[Depends(needs_permission("lighting.manage"))],
)
def create_schedule(body: ScheduleIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return lighting.do_save_schedule(v, current_agent(request), body.model_dump(exclude_none=True))


@lighting_router.patch(
    "/lighting/schedules/{schedule_id}",
    summary="Change a schedule",
    dependencies=[Depends(needs_permission("lighting.manage"))],
)
def update_schedule(
    schedule_id: DbId, body: ScheduleIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    data = body.model_dump(exclude_none=True)
    return lighting.do_save_schedule(v, current_agent(request), data, schedule_id)


class PastChangeIn(_Body):
    group: str = Field(..., max_length=64, description="Light group; '*' for every light")
    effective_on: str = Field(..., max_length=10, description="The day it took effect (YYYY-MM-DD)")
    before: SwitchingIn | None = Field(None, description="Fields as they were (others: as known then)")
    after: SwitchingIn = Field(..., description="Fields as they became")
    note: str = Field("", max_length=300, description="The decision it came from, a remark")


@lighting_router.get(
    "/lighting/schedule-changes",
    summary="The dated history of the light groups' schedules: who, when, what changed",
)
def schedule_changes(
    request: Request,
    group: str = Query("", max_length=64, description="Only this light group's changes"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    _manager(request)
    return {"items": list_changes(v, group)}


@lighting_router.post(
    "/lighting/schedule-changes",
    status_code=201,
    summary="Record a change a group's schedule had in the past (today's schedule unchanged)",
    dependencies=[Depends(needs_permission("lighting.manage"))],
)
def record_past_change(body: PastChangeIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    data = body.model_dump()
    data["before"] = body.before.model_dump(exclude_none=True) if body.before else {}
    data["after"] = body.after.model_dump(exclude_none=True)
    return past_schedules.do_record_past_change(v, current_agent(request), data)


@lighting_router.get(
    "/lighting/schedules/{schedule_id}/program", summary="Tonight's switch points of a schedule"
)
def schedule_program(
    schedule_id: DbId,
    request: Request,
    date: str | None = Query(None, description="Local date of the night (YYYY-MM-DD)"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    from datetime import date as date_

    _manager(request)
    sched = next((s for s in lighting.list_schedules(v) if s["id"] == schedule_id), None)
    if sched is None:
        raise NotFound(f"no lighting schedule with id {schedule_id}")
    if date:
        try:
            day = date_.fromisoformat(date)
        except ValueError:
            raise ValidationFailed("date is YYYY-MM-DD", field="date") from None
    else:
        day = utcnow().astimezone(v.city.timezone).date()
    c = v.city.center or {}
    steps = lighting.program_for(
        sched, day, v.city.timezone, float(c.get("lat", 47.322)), float(c.get("long", 5.041))
    )
    return {
        "schedule_id": schedule_id,
        "date": day.isoformat(),
        "steps": [{"at": lighting._iso(t), "level": lvl} for t, lvl in steps],
    }


@lighting_router.post(
    "/commands",
    status_code=202,
    summary="Send a command to lights",
    dependencies=[Depends(needs_permission("lighting.manage"))],
)
def send_command(body: CommandIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    params = {
        k: val
        for k, val in {"powerState": body.powerState, "level": body.level, "program": body.program}.items()
        if val is not None
    }
    command_ids = lighting.do_send_commands(
        v, current_agent(request), body.asset_ids, body.group, body.action, params
    )
    return {"count": len(command_ids), "command_ids": command_ids[:1000]}


@lighting_router.get("/commands", summary="Commands and their acknowledgement")
def list_commands(
    request: Request,
    asset_id: str = Query("", max_length=64),
    status: str = Query("", max_length=16, description="pending, sent, acked, failed, expired"),
    limit: int = Query(100, ge=1, le=1000),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    _manager(request)
    return {"items": lighting.list_commands(v, asset_id, status, limit)}


@lighting_router.get("/commands/{command_id}", summary="One command")
def get_command(command_id: str, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    _manager(request)
    return lighting.get_command(v, command_id[:32])
