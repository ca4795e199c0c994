"""Traffic use cases: roadworks and closures; what the control room reads of controllers,
detectors and priority requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, func, select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.assets.actions import AssetFilter, get_asset, list_assets
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.changes import Logged
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie
from vigie.telemetry.queries import latest_values, series
from vigie.traffic.domain import (
    SERVED,
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    EventDraft,
    EventKind,
    Restriction,
    check_geometry,
    check_period,
)
from vigie.traffic.storage import PriorityRequestRow, RoadEventRow, TrafficProfileRow

MAX_TITLE = 200
MAX_DESCRIPTION = 4000


def _enum(enum: Any, value: Any, name: str) -> Any:
    try:
        return enum(str(value))
    except ValueError:
        raise ValidationFailed(
            f"{name} must be one of {', '.join(e.value for e in enum)}, not {value!r}", field=name
        ) from None


def _when(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} is not an ISO 8601 date and time", field=name) from None


def check_event(body: dict[str, Any]) -> EventDraft:
    """Validate a road event: kind, title, what it does to traffic, geometry, period."""
    if not isinstance(body, dict):
        raise ValidationFailed("a road event is a JSON object")
    title = str(body.get("title") or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationFailed(f"title is required ({MAX_TITLE} characters at most)", field="title")
    description = str(body.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    kind = _enum(EventKind, body.get("kind"), "kind")
    default = Restriction.ROAD_CLOSED if kind == EventKind.CLOSURE else Restriction.LANE_CLOSED
    restriction = _enum(Restriction, body.get("restriction") or default, "restriction")
    geometry, bbox = check_geometry(body.get("geometry"))
    starts, ends = _when(body.get("starts_at"), "starts_at"), _when(body.get("ends_at"), "ends_at")
    check_period(starts, ends)
    return EventDraft(kind, title, description, restriction, geometry, starts, ends, bbox)


def _event_view(r: RoadEventRow, agent: bool = False) -> dict[str, Any]:
    out = {
        "id": r.id,
        "kind": r.kind,
        "title": r.title,
        "description": r.description,
        "restriction": r.restriction,
        "geometry": r.geometry,
        "starts_at": r.starts_at,
        "ends_at": r.ends_at,
        "cancelled": r.cancelled_at is not None,
    }
    if agent:
        out.update(created_at=r.created_at, updated_at=r.updated_at, cancelled_at=r.cancelled_at)
    return out


def _published(type_: str, view: dict[str, Any]) -> DomainEvent:
    # Road events are public: the residents' map shows them live.
    payload = {"kind": "road_event", **{k: v for k, v in view.items() if k != "geometry"}}
    return DomainEvent(type=type_, report_ids=(), public=True, payload=payload, agent=payload)


KIND_NAMES = {"roadworks": ("Chantier", "Roadworks"), "closure": ("Fermeture", "Closure")}


def _log(v: Vigie, s: Any, agent: Agent, row: RoadEventRow, what: tuple[str, str]) -> None:
    """The operations log's entry, written with the change (same transaction)."""
    fr, en = KIND_NAMES.get(row.kind, (row.kind, row.kind))
    tz = v.city.timezone
    period = f"{row.starts_at.astimezone(tz):%d/%m %H:%M} → {row.ends_at.astimezone(tz):%d/%m %H:%M}"
    v.messages.stage(
        s,
        Logged(
            service="traffic",
            kind=f"traffic.event.{what[1]}",
            text_fr=f"{fr} {what[0]} : {row.title} ({period})",
            text_en=f"{en} {what[1]}: {row.title} ({period})",
            actor="" if agent.is_system else agent.label,
            actor_id=None if agent.is_system else agent.id,
            ref=f"road_event:{row.id}",
            severity="notable" if row.kind == "closure" else "info",
            detail={"kind": row.kind, "restriction": row.restriction},
        ),
    )


def do_create_event(v: Vigie, agent: Agent | None, draft: EventDraft) -> dict[str, Any]:
    agent = require(agent, "traffic.manage")
    now = utcnow()
    with v.db.session(write=True) as s:
        row = RoadEventRow(
            kind=draft.kind.value,
            title=draft.title,
            description=draft.description,
            restriction=draft.restriction.value,
            geometry=draft.geometry,
            min_long=draft.bbox[0],
            min_lat=draft.bbox[1],
            max_long=draft.bbox[2],
            max_lat=draft.bbox[3],
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            created_by=None if agent.is_system else agent.id,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        do_audit(s, agent, "traffic.event.create", "road_event", str(row.id), {"kind": row.kind})
        _log(v, s, agent, row, ("déclaré", "declared"))
        s.commit()
        view = _event_view(row, agent=True)
    v.messages.publish([_published("traffic.event", view)])
    return view


def do_update_event(v: Vigie, agent: Agent | None, event_id: int, draft: EventDraft) -> dict[str, Any]:
    agent = require(agent, "traffic.manage")
    with v.db.session(write=True) as s:
        row = s.get(RoadEventRow, event_id)
        if row is None:
            raise NotFound(f"no road event {event_id}")
        if row.cancelled_at is not None:
            raise Conflict(f"road event {event_id} was cancelled")
        row.kind, row.title, row.description = draft.kind.value, draft.title, draft.description
        row.restriction, row.geometry = draft.restriction.value, draft.geometry
        row.min_long, row.min_lat, row.max_long, row.max_lat = draft.bbox
        row.starts_at, row.ends_at, row.updated_at = draft.starts_at, draft.ends_at, utcnow()
        do_audit(s, agent, "traffic.event.update", "road_event", str(row.id), {})
        _log(v, s, agent, row, ("modifié", "changed"))
        s.commit()
        view = _event_view(row, agent=True)
    v.messages.publish([_published("traffic.event", view)])
    return view


def do_end_event(v: Vigie, agent: Agent | None, event_id: int) -> dict[str, Any]:
    """End an event now: a finished event ends at once, one not begun is cancelled."""
    agent = require(agent, "traffic.manage")
    now = utcnow()
    with v.db.session(write=True) as s:
        row = s.get(RoadEventRow, event_id)
        if row is None:
            raise NotFound(f"no road event {event_id}")
        if row.cancelled_at is not None or row.ends_at <= now:
            raise Conflict(f"road event {event_id} is already over")
        if row.starts_at > now:
            row.cancelled_at = now
        else:
            row.ends_at = now
        row.updated_at = now
        do_audit(s, agent, "traffic.event.end", "road_event", str(row.id), {})
        _log(v, s, agent, row, ("annulé", "cancelled") if row.cancelled_at else ("terminé", "ended"))
        s.commit()
        view = _event_view(row, agent=True)
    v.messages.publish([_published("traffic.event", view)])
    return view


def list_events(
    v: Vigie, at: datetime | None = None, horizon_days: int = 30, agent: bool = False
) -> list[dict[str, Any]]:
    """Events in force at ``at`` or starting within ``horizon_days`` (not cancelled)."""
    at = at or utcnow()
    R = RoadEventRow
    q = (
        select(R)
        .where(R.cancelled_at.is_(None), R.ends_at > at, R.starts_at < at + timedelta(days=horizon_days))
        .order_by(R.starts_at, R.id)
    )
    with v.db.session() as s:
        return [_event_view(r, agent) for r in s.scalars(q)]


def events_geojson(v: Vigie, at: datetime | None = None) -> dict[str, Any]:
    """Events in force or coming, as GeoJSON (the open dataset and the maps' layer)."""
    at = at or utcnow()
    features = []
    for e in list_events(v, at):
        props = {k: val for k, val in e.items() if k not in ("geometry", "cancelled")}
        props["starts_at"], props["ends_at"] = e["starts_at"].isoformat(), e["ends_at"].isoformat()
        props["in_force"] = e["starts_at"] <= at
        features.append({"type": "Feature", "id": e["id"], "geometry": e["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}


# --- what the control room reads ---------------------------------------------------


def controllers(v: Vigie) -> list[dict[str, Any]]:
    """Every signal controller with its live mode, plan and fault, and today's priority
    requests (how many, share served)."""
    rows, _ = list_assets(v, AssetFilter(types=["traffic_signal_controller"]), page_size=1000)
    live = latest_values(v)
    since = utcnow() - timedelta(hours=24)
    P = PriorityRequestRow
    with v.db.session() as s:
        counts = {
            cid: (n, served)
            for cid, n, served in s.execute(
                select(P.controller_id, func.count(), func.sum(func.cast(P.outcome.in_(SERVED), Integer)))
                .where(P.at >= since)
                .group_by(P.controller_id)
            )
        }
    out = []
    for r in rows:
        received, values = live.get(r.id, (None, {}))
        n, served = counts.get(r.id, (0, 0))
        out.append(
            {
                "id": r.id,
                "name": r.name,
                "zone": r.zone,
                "lat": r.lat,
                "long": r.long,
                "mode": values.get("operationMode"),
                "plan": values.get("timingPlan"),
                "fault": bool(values.get("fault")),
                "fault_code": values.get("faultCode") or None,
                "priority_requests": n,
                "priority_served": round((served or 0) / n, 3) if n else None,
            }
        )
    return out


def detector_ids(v: Vigie) -> list[dict[str, str]]:
    """Every traffic detector (id, name), for the chart's picker."""
    rows, _ = list_assets(v, AssetFilter(types=["traffic_detector"]), page_size=1000)
    return [{"id": r.id, "name": r.name or r.id} for r in rows]


def priority_summary(v: Vigie, hours: int = 24) -> list[dict[str, Any]]:
    """Per line and vehicle type: requests, share served, mean wait, over the last hours."""
    since = utcnow() - timedelta(hours=hours)
    P = PriorityRequestRow
    q = (
        select(
            P.line,
            P.vehicle_type,
            func.count(),
            func.sum(func.cast(P.outcome.in_(SERVED), Integer)),
            func.avg(P.delay_s),
        )
        .where(P.at >= since)
        .group_by(P.line, P.vehicle_type)
        .order_by(func.count().desc())
    )
    with v.db.session() as s:
        return [
            {
                "line": line,
                "vehicle_type": vt,
                "requests": n,
                "served": round((served or 0) / n, 3),
                "mean_wait_s": round(float(wait), 1) if wait is not None else None,
            }
            for line, vt, n, served, wait in s.execute(q)
        ]


def detector_flow(v: Vigie, detector_id: str, day: datetime | None = None) -> dict[str, Any]:
    """A detector's counts over a day beside its usual profile for that weekday (charts)."""
    asset = get_asset(v, detector_id)
    if asset.type != "traffic_detector":
        raise NotFound(f"{detector_id} is not a traffic detector")
    tz = v.city.timezone
    local = (day or utcnow()).astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    data = series(
        v, detector_id, start, end, str(SLOT_MINUTES * 60), ["occupancy", "intensity", "averageVehicleSpeed"]
    )
    weekday = start.weekday()
    with v.db.session() as s:
        prof = {
            r.slot: r
            for r in s.scalars(
                select(TrafficProfileRow).where(
                    TrafficProfileRow.detector_id == detector_id, TrafficProfileRow.weekday == weekday
                )
            )
        }
    usual = [
        {
            "t": int((start + timedelta(minutes=SLOT_MINUTES * i)).timestamp()),
            "occupancy": prof[i].occupancy if i in prof else None,
            "spread": prof[i].occupancy_var ** 0.5 if i in prof else None,
            "speed": prof[i].speed if i in prof else None,
        }
        for i in range(SLOTS_PER_DAY)
    ]
    return {"detector_id": detector_id, "day": start.date().isoformat(), "series": data, "usual": usual}
