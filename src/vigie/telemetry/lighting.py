"""Lighting programs and commands: astronomical switching, night dimming, acknowledgements.

A schedule drives a light group: on at sunset (+ offset), off at sunrise
(+ offset), reduced flux (70 % in Dijon) between 22:00 and 05:00 local time,
optionally fully off in a window (some communes: midnight to 05:00). Every day
the leader sends each light tonight's program (``action: program`` with UTC
switch points) on ``{prefix}/command/{asset_id}``; devices answer on
``{prefix}/ack/{asset_id}`` with the command id. Manual ``switch`` and ``dim``
commands work the same way. Commands not acknowledged in time expire.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.runtime import Vigie
from vigie.telemetry import sun
from vigie.telemetry.schedule_history import record_change, switching_of
from vigie.telemetry.schema import STREETLIGHT, kind_of
from vigie.telemetry.storage import CommandRow, LightingScheduleRow

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ACTIONS = ("switch", "dim", "program")
DEFAULT_SCHEDULE = {
    # Every city starts with it (ensure_default_schedule): its name is the city's, not Dijon's.
    "name": "Toute la ville – nuit, flux à 70 % de 22 h à 5 h",
    "group": "*",
    "on_offset_minutes": 0,
    "off_offset_minutes": 0,
    "dim_start": "22:00",
    "dim_end": "05:00",
    "dim_level": 0.7,
}


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def _local(day: date, hm: str, tz: ZoneInfo) -> datetime:
    """``hm`` on the night starting on ``day``: times before noon belong to the next morning."""
    t = _hm(hm)
    d = day + timedelta(days=1) if t.hour < 12 else day
    return datetime.combine(d, t, tz).astimezone(UTC)


def program_for(
    s: LightingScheduleRow | dict[str, Any], day: date, tz: ZoneInfo, lat: float, long: float
) -> list[tuple[datetime, float]]:
    """Switch points (UTC, level) of the night starting on local date ``day``."""
    g = s.get if isinstance(s, dict) else (lambda k, d=None: getattr(s, k, d))
    on = sun.sunset(day, lat, long) + timedelta(minutes=g("on_offset_minutes", 0) or 0)
    off = sun.sunrise(day + timedelta(days=1), lat, long) + timedelta(minutes=g("off_offset_minutes", 0) or 0)
    windows: list[tuple[datetime, datetime, float]] = []
    if g("dim_start") and g("dim_end"):
        dim = float(g("dim_level", 0.7))
        windows.append((_local(day, str(g("dim_start")), tz), _local(day, str(g("dim_end")), tz), dim))
    if g("off_start") and g("off_end"):
        windows.append((_local(day, str(g("off_start")), tz), _local(day, str(g("off_end")), tz), 0.0))

    def level_at(t: datetime) -> float:
        if t < on or t >= off:
            return 0.0
        level = 1.0
        for a, b, lvl in windows:
            if a <= t < b:
                level = min(level, lvl)
        return level

    points = sorted({on, off, *(p for a, b, _ in windows for p in (a, b) if on < p < off)})
    steps: list[tuple[datetime, float]] = []
    for p in points:
        lvl = level_at(p)
        if not steps or steps[-1][1] != lvl:
            steps.append((p, lvl))
    return steps


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else None


def schedule_view(r: LightingScheduleRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "group": r.group,
        "active": r.active,
        "on_offset_minutes": r.on_offset_minutes,
        "off_offset_minutes": r.off_offset_minutes,
        "dim_start": r.dim_start,
        "dim_end": r.dim_end,
        "dim_level": r.dim_level,
        "off_start": r.off_start,
        "off_end": r.off_end,
        "last_sent_for": r.last_sent_for or None,
        "updated_at": _iso(r.updated_at),
    }


def command_view(r: CommandRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "asset_id": r.asset_id,
        "action": r.action,
        "payload": r.payload,
        "status": r.status,
        "created_at": _iso(r.created_at),
        "sent_at": _iso(r.sent_at),
        "acked_at": _iso(r.acked_at),
        "result": r.result or {},
        "created_by": r.created_by,
        "schedule_id": r.schedule_id,
    }


# --- schedules ------------------------------------------------------------------------

SCHEDULE_FIELDS = (
    "name",
    "group",
    "active",
    "on_offset_minutes",
    "off_offset_minutes",
    "dim_start",
    "dim_end",
    "dim_level",
    "off_start",
    "off_end",
)


def check_schedule(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data[k] for k in SCHEDULE_FIELDS if k in data and data[k] is not None}
    for k in ("dim_start", "dim_end", "off_start", "off_end"):
        if out.get(k) and not HHMM.match(str(out[k])):
            raise ValidationFailed(f"{k} must be a local time HH:MM", field=k)
    if "dim_level" in out and not 0 <= float(out["dim_level"]) <= 1:
        raise ValidationFailed("dim_level is between 0 and 1", field="dim_level")
    for k in ("on_offset_minutes", "off_offset_minutes"):
        if k in out and not -180 <= int(out[k]) <= 180:
            raise ValidationFailed(f"{k} is between -180 and 180", field=k)
    if "name" in out and not 1 <= len(str(out["name"]).strip()) <= 120:
        raise ValidationFailed("name has 1 to 120 characters", field="name")
    if "group" in out and not 1 <= len(str(out["group"])) <= 64:
        raise ValidationFailed("group has 1 to 64 characters ('*' for every light)", field="group")
    return out


def list_schedules(v: Vigie) -> list[dict[str, Any]]:
    with v.db.session() as s:
        return [
            schedule_view(r) for r in s.scalars(select(LightingScheduleRow).order_by(LightingScheduleRow.id))
        ]


def do_save_schedule(
    v: Vigie, agent: Agent | None, data: dict[str, Any], schedule_id: int | None = None
) -> dict[str, Any]:
    """An agent creates (``schedule_id`` None) or changes a schedule (lighting.manage)."""
    require(agent, "lighting.manage")
    return save_schedule(v, data, schedule_id, agent)


def save_schedule(
    v: Vigie, data: dict[str, Any], schedule_id: int | None = None, agent: Agent | None = None
) -> dict[str, Any]:
    """Create or change a schedule; the change is recorded in the history with it
    (effective today, local time), with who made it."""
    clean = check_schedule(data)
    now = utcnow()
    with v.db.session(write=True) as s:
        before: dict[str, Any] | None = None
        if schedule_id is None:
            for k in ("name", "group"):
                if k not in clean:
                    raise ValidationFailed(f"{k} is required", field=k)
            row = LightingScheduleRow(**{**DEFAULT_SCHEDULE, **clean}, created_at=now, updated_at=now)
            s.add(row)
            s.flush()
        else:
            found = s.get(LightingScheduleRow, schedule_id)
            if found is None:
                raise NotFound(f"no lighting schedule with id {schedule_id}")
            row = found
            before = switching_of(row)
            old_group = row.group
            for k, val in clean.items():
                setattr(row, k, val)
            row.last_sent_for = ""  # changed: send tonight's program again
            row.updated_at = now
            if row.group != old_group:  # the old group loses this schedule, the new one gains it
                record_change(
                    s,
                    group=old_group,
                    effective_on=now.astimezone(v.city.timezone).date(),
                    before=before,
                    after={**before, "active": False},
                    schedule_id=row.id,
                    agent_id=agent.id if agent else None,
                    changed_by=agent.label if agent else "",
                )
                before = None
        record_change(
            s,
            group=row.group,
            effective_on=now.astimezone(v.city.timezone).date(),
            before=before,
            after=switching_of(row),
            schedule_id=row.id,
            agent_id=agent.id if agent else None,
            changed_by=agent.label if agent else "",
        )
        s.commit()
        return schedule_view(row)


def ensure_default_schedule(v: Vigie) -> None:
    with v.db.session(write=True) as s:
        if s.scalar(select(func.count()).select_from(LightingScheduleRow)):
            return
        now = utcnow()
        s.add(LightingScheduleRow(**DEFAULT_SCHEDULE, created_at=now, updated_at=now))
        s.commit()


def lights_of_group(v: Vigie, group: str) -> list[str]:
    with v.db.session() as s:
        q = select(AssetRow.id, AssetRow.type)
        if group != "*":
            q = q.where(AssetRow.group == group)
        return [i for i, t in s.execute(q) if kind_of(t, i) == STREETLIGHT]


# --- commands -------------------------------------------------------------------------------


def _payload(command_id: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"id": command_id, "ts": _iso(utcnow()), "action": action, **params}


def check_command(action: str, params: dict[str, Any]) -> dict[str, Any]:
    if action == "switch":
        if params.get("powerState") not in ("on", "off"):
            raise ValidationFailed("switch needs powerState on or off", field="powerState")
        return {"powerState": params["powerState"]}
    if action == "dim":
        try:
            level = float(params.get("level"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            level = -1
        if not 0 <= level <= 1:
            raise ValidationFailed("dim needs a level between 0 and 1", field="level")
        return {"level": level}
    if action == "program":
        if not isinstance(params.get("program"), dict):
            raise ValidationFailed("program needs a program object", field="program")
        return {"program": params["program"]}
    raise ValidationFailed(f"unknown action '{action}' (expected {', '.join(ACTIONS)})", field="action")


def do_send_commands(
    v: Vigie,
    agent: Agent | None,
    asset_ids: list[str],
    group: str | None,
    action: str,
    params: dict[str, Any],
) -> list[str]:
    """An agent commands lights by id and/or by group (lighting.manage). Returns the command ids."""
    agent = require(agent, "lighting.manage")
    ids = list(dict.fromkeys(asset_ids))
    if group:
        ids += [i for i in lights_of_group(v, group) if i not in set(ids)]
    if not ids:
        raise ValidationFailed("give asset_ids or a group with lights", field="asset_ids")
    return queue_commands(v, ids, action, params, agent.label)


def queue_commands(
    v: Vigie,
    asset_ids: list[str],
    action: str,
    params: dict[str, Any],
    created_by: str,
    schedule_id: int | None = None,
) -> list[str]:
    """Insert pending commands (one per asset); the leader sends them. Returns their ids."""
    clean = check_command(action, params)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for asset_id in asset_ids:
        cid = uuid.uuid4().hex
        rows.append(
            {
                "id": cid,
                "asset_id": asset_id,
                "action": action,
                "payload": _payload(cid, action, clean),
                "status": "pending",
                "created_at": now,
                "result": {},
                "created_by": created_by[:120],
                "schedule_id": schedule_id,
            }
        )
    with v.db.session(write=True) as s:
        for i in range(0, len(rows), 2000):
            s.execute(insert(CommandRow), rows[i : i + 2000])
        s.commit()
    send = v.ingest.wake_dispatch
    if send is not None:
        send()
    return [r["id"] for r in rows]


def dispatch_pending(v: Vigie, publish: Callable[[str, bytes], bool], limit: int = 5000) -> int:
    """Publish pending commands and mark them sent; returns how many were sent."""
    with v.db.session() as s:
        rows = list(
            s.execute(
                select(CommandRow.id, CommandRow.asset_id, CommandRow.payload)
                .where(CommandRow.status == "pending")
                .order_by(CommandRow.created_at)
                .limit(limit)
            )
        )
    sent = []
    now = utcnow()
    # Mark as sent first: a fast device may acknowledge before we would get to it.
    with v.db.session(write=True) as s:
        for i in range(0, len(rows), 500):
            ids = [r[0] for r in rows[i : i + 500]]
            s.execute(
                update(CommandRow)
                .where(CommandRow.id.in_(ids), CommandRow.status == "pending")
                .values(status="sent", sent_at=now)
            )
        s.commit()
    for cid, asset_id, payload in rows:
        if publish(asset_id, json.dumps(payload, separators=(",", ":")).encode()):
            sent.append(cid)
    failed = sorted({r[0] for r in rows} - set(sent))
    if failed:
        with v.db.session(write=True) as s:
            s.execute(
                update(CommandRow)
                .where(CommandRow.id.in_(failed), CommandRow.status == "sent")
                .values(status="pending", sent_at=None)
            )
            s.commit()
    return len(sent)


def expire_commands(v: Vigie, now: datetime | None = None) -> int:
    now = now or utcnow()
    limit = now - timedelta(seconds=v.settings.command_ack_timeout_seconds)
    with v.db.session(write=True) as s:
        res = s.execute(
            update(CommandRow)
            .where(CommandRow.status.in_(["pending", "sent"]), CommandRow.created_at < limit)
            .values(status="expired")
        )
        s.commit()
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def run_schedules(v: Vigie, now: datetime | None = None) -> int:
    """Send tonight's program to each active schedule's lights once a day (from noon local)."""
    now = now or utcnow()
    tz = v.city.timezone
    local = now.astimezone(tz)
    night = local.date() if local.hour >= 12 else local.date() - timedelta(days=1)
    lat, long = v.city.centre  # sunset and sunrise where the city is
    sent = 0
    with v.db.session() as s:
        due = [
            r
            for r in s.scalars(select(LightingScheduleRow).where(LightingScheduleRow.active))
            if r.last_sent_for != night.isoformat()
        ]
    for r in due:
        steps = program_for(r, night, tz, lat, long)
        program = {
            "date": night.isoformat(),
            "on": _iso(steps[0][0]) if steps else None,
            "off": _iso(steps[-1][0]) if steps else None,
            "steps": [{"at": _iso(t), "level": lvl} for t, lvl in steps],
        }
        lights = lights_of_group(v, r.group)
        if lights:
            queue_commands(v, lights, "program", {"program": program}, f"schedule {r.id}", r.id)
            sent += len(lights)
        with v.db.session(write=True) as s:
            s.execute(
                update(LightingScheduleRow)
                .where(LightingScheduleRow.id == r.id)
                .values(last_sent_for=night.isoformat())
            )
            s.commit()
    return sent


def list_commands(v: Vigie, asset_id: str = "", status: str = "", limit: int = 100) -> list[dict[str, Any]]:
    q = select(CommandRow).order_by(CommandRow.created_at.desc()).limit(max(1, min(limit, 1000)))
    if asset_id:
        q = q.where(CommandRow.asset_id == asset_id)
    if status:
        q = q.where(CommandRow.status == status)
    with v.db.session() as s:
        return [command_view(r) for r in s.scalars(q)]


def get_command(v: Vigie, command_id: str) -> dict[str, Any]:
    with v.db.session() as s:
        row = s.get(CommandRow, command_id)
    if row is None:
        raise NotFound(f"no command with id '{command_id}'")
    return command_view(row)
