"""Read side of the alarms context: views, filtered lists, history and links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.alarms.storage import AlarmEventRow, AlarmReportLinkRow, AlarmRow
from vigie.errors import NotFound, ValidationFailed
from vigie.runtime import Vigie
from vigie.telemetry.schema import CAMERA, type_names

# Camera alarms are for the video-protection roles (they name cameras and place them).
CAMERA_TYPES = type_names(CAMERA)


def audience(agent: Agent | None) -> bool | None:
    """Which alarms ``agent`` may see: True cameras' only, False all but cameras', None all."""
    cameras, others = (
        agent is not None and agent.can("video.cameras"),
        agent is not None and agent.can("reports.read"),
    )
    if not cameras and not others:
        require(agent, "reports.read")  # raises: nobody signed in, or no right at all
    return None if cameras and others else cameras


def _seen_by(cameras: bool | None) -> list[ColumnElement[bool]]:
    if cameras is None:
        return []
    is_camera = AlarmRow.asset_type.in_(CAMERA_TYPES)
    return [is_camera if cameras else ~is_camera]


def check_sees(agent: Agent | None, row: AlarmRow) -> None:
    """An alarm the agent may not see does not exist for them."""
    cameras = audience(agent)
    if cameras is not None and (row.asset_type in CAMERA_TYPES) != cameras:
        raise NotFound(f"no alarm with id {row.id}")


STATES = (
    "active_unacknowledged",
    "active_acknowledged",
    "cleared_unacknowledged",
    "cleared_acknowledged",
)
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2, "warning": 3}


def _iso(d: datetime | None) -> str | None:
    return d.isoformat().replace("+00:00", "Z") if d else None


def alarm_view(row: AlarmRow, report_ids: list[int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "type": row.type,
        "title": row.title,
        "severity": row.severity,
        "state": row.state,
        "active": row.active,
        "acknowledged": row.state.endswith("_acknowledged"),
        "asset_id": row.asset_id,
        "asset_type": row.asset_type,
        "zone": row.zone,
        "lat": row.lat,
        "long": row.long,
        "details": row.details or {},
        "count": row.count,
        "first_seen": _iso(row.first_seen),
        "last_seen": _iso(row.last_seen),
        "acknowledged_at": _iso(row.acknowledged_at),
        "acknowledged_by": row.acknowledged_by,
        "cleared_at": _iso(row.cleared_at),
        "cleared_by": row.cleared_by,
        "assigned_user_id": row.assignee_user_id,
        "assignee": row.assignee_label,
        "escalate_at": _iso(row.escalate_at),
        "escalated": row.escalated,
        "escalated_at": _iso(row.escalated_at),
        "updated_at": _iso(row.updated_at),
    }
    if report_ids is not None:
        out["report_ids"] = report_ids
    return out


def event_view(e: AlarmEventRow) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "actor": e.actor_label,
        "note": e.note,
        "detail": e.detail or {},
        "at": _iso(e.at),
    }


@dataclass
class AlarmFilter:
    states: list[str]
    severities: list[str]
    types: list[str]
    zones: list[str]
    asset_id: str = ""
    active: bool | None = None
    cameras: bool | None = None  # see audience()

    def check(self) -> None:
        for s in self.states:
            if s not in STATES and s not in ("active", "cleared"):
                raise ValidationFailed(
                    f"unknown state '{s}' (expected active, cleared or {', '.join(STATES)})",
                    field="state",
                )
        for s in self.severities:
            if s not in SEVERITY_ORDER:
                raise ValidationFailed(f"unknown severity '{s}'", field="severity")


def list_alarms(
    v: Vigie, f: AlarmFilter, page: int = 1, page_size: int = 100
) -> tuple[list[dict[str, Any]], int]:
    f.check()
    if page < 1 or not 1 <= page_size <= 500:
        raise ValidationFailed("page starts at 1; page_size is 1 to 500", field="page_size")
    A = AlarmRow
    conds: list[ColumnElement[bool]] = []
    states: set[str] = set()
    for st in f.states:
        both = st in ("active", "cleared")
        states.update([st + "_unacknowledged", st + "_acknowledged"] if both else [st])
    if states:
        conds.append(A.state.in_(sorted(states)))
    if f.severities:
        conds.append(A.severity.in_(f.severities))
    if f.types:
        conds.append(A.type.in_(f.types))
    if f.zones:
        conds.append(A.zone.in_(f.zones))
    if f.asset_id:
        conds.append(A.asset_id == f.asset_id)
    if f.active is not None:
        conds.append(A.active.is_(f.active))
    conds += _seen_by(f.cameras)
    with v.db.session() as s:
        total = s.scalar(select(func.count()).select_from(A).where(*conds)) or 0
        rows = list(
            s.scalars(
                select(A)
                .where(*conds)
                .order_by(A.active.desc(), A.last_seen.desc(), A.id.desc())
                .limit(page_size)
                .offset((page - 1) * page_size)
            )
        )
        links = _links(s, [r.id for r in rows])
    return [alarm_view(r, links.get(r.id, [])) for r in rows], int(total)


def _links(s: Any, alarm_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if not alarm_ids:
        return out
    q = select(AlarmReportLinkRow.alarm_id, AlarmReportLinkRow.report_id).where(
        AlarmReportLinkRow.alarm_id.in_(alarm_ids)
    )
    for alarm_id, report_id in s.execute(q.order_by(AlarmReportLinkRow.id)):
        out.setdefault(alarm_id, []).append(report_id)
    return out


def get_alarm(v: Vigie, alarm_id: int) -> AlarmRow:
    with v.db.session() as s:
        row = s.get(AlarmRow, alarm_id)
    if row is None:
        raise NotFound(f"no alarm with id {alarm_id}")
    return row


def alarm_detail(v: Vigie, alarm_id: int, agent: Agent | None = None, check: bool = False) -> dict[str, Any]:
    """One alarm in full; with ``check``, only if ``agent`` may see it."""
    with v.db.session() as s:
        row = s.get(AlarmRow, alarm_id)
        if row is None:
            raise NotFound(f"no alarm with id {alarm_id}")
        if check:
            check_sees(agent, row)
        events = list(
            s.scalars(
                select(AlarmEventRow).where(AlarmEventRow.alarm_id == alarm_id).order_by(AlarmEventRow.id)
            )
        )
        links = list(s.scalars(select(AlarmReportLinkRow).where(AlarmReportLinkRow.alarm_id == alarm_id)))
    out = alarm_view(row, [link.report_id for link in links])
    out["history"] = [event_view(e) for e in events]
    out["links"] = [
        {
            "report_id": link.report_id,
            "distance_m": round(link.distance_m, 1),
            "linked_at": _iso(link.linked_at),
            "resolved_at": _iso(link.resolved_at),
        }
        for link in links
    ]
    return out


def alarms_for_report(v: Vigie, report_id: int) -> list[dict[str, Any]]:
    """Alarms linked to a report (for the report page of the control room)."""
    with v.db.session() as s:
        q = (
            select(AlarmRow)
            .join(AlarmReportLinkRow, AlarmReportLinkRow.alarm_id == AlarmRow.id)
            .where(AlarmReportLinkRow.report_id == report_id)
            .order_by(AlarmRow.id)
        )
        return [alarm_view(r) for r in s.scalars(q)]


def active_keys(v: Vigie) -> list[tuple[str, str]]:
    with v.db.session() as s:
        return [(a, t) for a, t in s.execute(select(AlarmRow.asset_id, AlarmRow.type).where(AlarmRow.active))]


def summary(v: Vigie, cameras: bool | None = None) -> dict[str, Any]:
    """Active alarms by severity and state, for the control room's header."""
    seen = _seen_by(cameras)
    with v.db.session() as s:
        q = (
            select(AlarmRow.severity, AlarmRow.state, func.count())
            .where(AlarmRow.active, *seen)
            .group_by(AlarmRow.severity, AlarmRow.state)
        )
        by: dict[str, dict[str, int]] = {}
        for sev, state, n in s.execute(q):
            by.setdefault(sev, {})[state] = int(n)
        escalated = s.scalar(
            select(func.count()).select_from(AlarmRow).where(AlarmRow.active, AlarmRow.escalated, *seen)
        )
    return {"active": by, "escalated": int(escalated or 0)}


def active_counts(s: Any) -> dict[str, int]:
    """Active alarms by severity (the metrics): every kind, cameras' included, as counts only."""
    rows = s.execute(
        select(AlarmRow.severity, func.count()).where(AlarmRow.active.is_(True)).group_by(AlarmRow.severity)
    )
    return {str(severity): int(n) for severity, n in rows}
