"""Schedules of the past: a change a light group's schedule had before Vigie drove its lights.

Recorded with its own date in the schedules' history (telemetry.schedule_history),
today's schedule untouched; the lighting energy model then burns each past year
with the schedules of that year.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie
from vigie.telemetry.lighting import DEFAULT_SCHEDULE, check_schedule, list_schedules
from vigie.telemetry.schedule_history import (
    SWITCHING,
    change_view,
    load_changes,
    record_change,
    state_on,
    switching_of,
)


def do_record_past_change(v: Vigie, agent: Agent | None, data: dict[str, Any]) -> dict[str, Any]:
    """Record a change a group's schedule had in the past (before Vigie drove its lights, or
    outside it), without changing today's schedule (lighting.manage).

    ``before`` and ``after`` hold the switching fields that changed; the others are taken
    from what the group burned the day before (its history, else its schedule of today,
    else the schedule for every light, else Vigie's default).
    """
    require(agent, "lighting.manage")
    group = str(data.get("group") or "")
    if not 1 <= len(group) <= 64:
        raise ValidationFailed("group has 1 to 64 characters ('*' for every light)", field="group")
    raw = data.get("effective_on")
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed("effective_on is a date YYYY-MM-DD", field="effective_on") from None
    today = utcnow().astimezone(v.city.timezone).date()
    if day > today:
        raise ValidationFailed(
            "effective_on is not in the future: change the schedule itself", field="effective_on"
        )
    if day.year < 1950:
        raise ValidationFailed("effective_on is after 1950", field="effective_on")
    parts: dict[str, dict[str, Any]] = {}
    for key in ("before", "after"):
        given = data.get(key) or {}
        unknown = sorted(set(given) - set(SWITCHING))
        if unknown:
            raise ValidationFailed(f"{key} has no field {unknown[0]!r}", field=key)
        parts[key] = check_schedule(given)
    if not parts["after"]:
        raise ValidationFailed("after names at least one field that changed", field="after")
    note = str(data.get("note") or "")
    if len(note) > 300:
        raise ValidationFailed("note has at most 300 characters", field="note")
    known, state = state_on(load_changes(v), group, day - timedelta(days=1))
    if not known or state is None:
        current = {sc["group"]: sc for sc in list_schedules(v) if sc["active"]}
        state = current.get(group) or current.get("*") or DEFAULT_SCHEDULE
    before = {**switching_of(state), **parts["before"]}
    after = {**before, **parts["after"]}
    with v.db.session(write=True) as s:
        row = record_change(
            s,
            group=group,
            effective_on=day,
            before=before,
            after=after,
            agent_id=agent.id if agent else None,
            changed_by=agent.label if agent else "",
            note=note,
        )
        if row is None:
            raise ValidationFailed("before and after are the same: nothing changed", field="after")
        s.commit()
        return change_view(row)


__all__ = ["do_record_past_change"]
