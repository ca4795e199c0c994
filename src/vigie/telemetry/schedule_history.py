"""The dated history of the light groups' schedules: each change, who made it, before and after.

A schedule saved through the API records its change in the same transaction,
effective the day it is saved (:func:`record_change`); changes made before Vigie
drove the lights are recorded with their own date without touching today's
schedule (``telemetry.lighting.do_record_past_change``). The lighting energy model
reads what each group burned on any past day (:func:`state_on`), so that a year's
energy is that of its lamps *and* its schedules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.telemetry.storage import ScheduleChangeRow

# The fields that say how a group burns (its name does not).
SWITCHING = (
    "active",
    "on_offset_minutes",
    "off_offset_minutes",
    "dim_start",
    "dim_end",
    "dim_level",
    "off_start",
    "off_end",
)


def switching_of(schedule: Any) -> dict[str, Any]:
    """A schedule's switching fields (a row or a dict), "" and None made alike."""
    get = schedule.get if isinstance(schedule, dict) else lambda k: getattr(schedule, k, None)
    out: dict[str, Any] = {}
    for k in SWITCHING:
        value = get(k)
        if k in ("dim_start", "dim_end", "off_start", "off_end"):
            value = value or ""
        elif k == "active":
            value = True if value is None else bool(value)
        elif k == "dim_level":
            value = 1.0 if value is None else float(value)
        else:
            value = int(value or 0)
        out[k] = value
    return out


def record_change(
    s: Session,
    *,
    group: str,
    effective_on: date,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    schedule_id: int | None = None,
    agent_id: int | None = None,
    changed_by: str = "",
    note: str = "",
) -> ScheduleChangeRow | None:
    """Add one change to the session (the caller commits it with what it changes).

    Nothing is recorded when the switching fields are the same (a renamed schedule).
    """
    after = switching_of(after)
    before = switching_of(before) if before is not None else None
    if before == after:
        return None
    row = ScheduleChangeRow(
        schedule_id=schedule_id,
        group=group,
        effective_on=effective_on,
        recorded_at=utcnow(),
        agent_id=agent_id,
        changed_by=changed_by[:200],
        before=before,
        after=after,
        note=note[:300],
    )
    s.add(row)
    return row


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    if before is None:
        return ["created"]
    return [k for k in SWITCHING if before.get(k) != after.get(k)]


def change_view(r: ScheduleChangeRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "schedule_id": r.schedule_id,
        "group": r.group,
        "effective_on": r.effective_on.isoformat(),
        "recorded_at": r.recorded_at.isoformat(),
        "changed_by": r.changed_by,
        "changed": changed_fields(r.before, r.after),
        "before": r.before,
        "after": r.after,
        "note": r.note,
    }


def list_changes(v: Vigie, group: str = "", limit: int = 500) -> list[dict[str, Any]]:
    """The changes, the latest to take effect first."""
    q = select(ScheduleChangeRow).order_by(ScheduleChangeRow.effective_on.desc(), ScheduleChangeRow.id.desc())
    if group:
        q = q.where(ScheduleChangeRow.group == group)
    with v.db.session() as s:
        return [change_view(r) for r in s.scalars(q.limit(limit))]


def history_version(v: Vigie) -> tuple[int, int | None]:
    """(count, latest id) of the changes: what a cache of the history is keyed by."""
    with v.db.session() as s:
        count, last = s.execute(select(func.count(), func.max(ScheduleChangeRow.id))).one()
    return int(count), last


@dataclass(frozen=True)
class Change:
    group: str
    effective_on: date
    before: dict[str, Any] | None
    after: dict[str, Any]


def load_changes(v: Vigie) -> list[Change]:
    """Every change, by group then date (the order :func:`state_on` wants)."""
    q = select(ScheduleChangeRow).order_by(
        ScheduleChangeRow.group, ScheduleChangeRow.effective_on, ScheduleChangeRow.id
    )
    with v.db.session() as s:
        return [Change(r.group, r.effective_on, r.before, r.after) for r in s.scalars(q)]


def state_on(changes: Iterable[Change], group: str, day: date) -> tuple[bool, dict[str, Any] | None]:
    """(known, state): what ``group`` burned at the end of ``day`` by its history.

    ``known`` is False for a group without history (today's schedule holds); the
    state is None when the group had no schedule of its own then (created later).
    """
    mine = [c for c in changes if c.group == group]
    if not mine:
        return False, None
    done = [c for c in mine if c.effective_on <= day]
    return True, (done[-1].after if done else mine[0].before)


__all__ = [
    "SWITCHING",
    "Change",
    "change_view",
    "changed_fields",
    "history_version",
    "list_changes",
    "load_changes",
    "record_change",
    "state_on",
    "switching_of",
]
