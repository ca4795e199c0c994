"""Circuits given to a vehicle and its driver for one shift (the PC neige's rota).

Shifts are the control centre's (``VIGIE_OPLOG_SHIFT_STARTS``, local times). During a
shift that has assignments, a circuit's vehicle is the shift's; otherwise it keeps its
standing vehicle (``winter_circuits.vehicle_id``). The coverage pages and the demo's
salting runs read the vehicle in force (:func:`in_force`), so the live coverage follows
the rota: the vehicle assigned is the one sent along the circuit, and the page shows
whether it is the one treating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent, Role
from vigie.accounts.permissions import require
from vigie.accounts.storage import UserRow
from vigie.assets.actions import AssetFilter, list_assets
from vigie.db import utcnow
from vigie.errors import ValidationFailed
from vigie.events.changes import Logged
from vigie.events.domain import DomainEvent
from vigie.oplog.domain import parse_shift_starts, shift_around
from vigie.runtime import Vigie
from vigie.winter.storage import AssignmentRow, CircuitRow

WINTER_ROLES = ("snow_plough", "salt_spreader")
MAX_ITEMS = 5000


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime


def shift_of(v: Vigie, which: str = "current", now: datetime | None = None) -> Shift:
    """The shift under way (``current``) or the one after it (``next``)."""
    if which not in ("current", "next"):
        raise ValidationFailed("shift is current or next", field="shift")
    starts = parse_shift_starts(v.settings.oplog_shift_starts)
    start, end = shift_around(now or utcnow(), starts, v.city.timezone)
    if which == "next":
        start, end = shift_around(end + timedelta(seconds=1), starts, v.city.timezone)
    return Shift(start, end)


def winter_vehicles(v: Vigie) -> list[dict[str, Any]]:
    """The fleet's snow ploughs and salt spreaders (id, name, role)."""
    rows, _ = list_assets(v, AssetFilter(types=["vehicle"]), page_size=1000)
    return [
        {"id": r.id, "name": r.name or r.id, "role": r.attributes.get("vehicleRole")}
        for r in rows
        if r.attributes.get("vehicleRole") in WINTER_ROLES
    ]


def drivers(v: Vigie) -> list[dict[str, Any]]:
    """Who may drive: the active field agents (staff names, for agents' pages only)."""
    with v.db.session() as s:
        rows = s.execute(
            select(UserRow.id, UserRow.name, UserRow.email)
            .where(UserRow.active.is_(True), UserRow.role == Role.FIELD_AGENT.value)
            .order_by(UserRow.name, UserRow.id)
        )
        return [{"id": r.id, "name": r.name or r.email} for r in rows]


def in_force(s: Session, at: datetime, shift: Shift | None = None) -> dict[int, dict[str, Any]]:
    """circuit id -> the shift's assignment (vehicle, driver) for the circuits that have one.

    ``shift`` names the shift; by default the one containing ``at``.
    """
    q = select(
        AssignmentRow.circuit_id, AssignmentRow.vehicle_id, AssignmentRow.driver_id, UserRow.name
    ).outerjoin(UserRow, UserRow.id == AssignmentRow.driver_id)
    if shift is not None:
        q = q.where(AssignmentRow.shift_start == shift.start)
    else:
        q = q.where(AssignmentRow.shift_start <= at, AssignmentRow.shift_end > at)
    return {
        cid: {"vehicle_id": vid, "driver_id": did, "driver": name or ""}
        for cid, vid, did, name in s.execute(q)
    }


def do_assign(
    v: Vigie, agent: Agent | None, which: str, items: list[dict[str, Any]], now: datetime | None = None
) -> dict[str, Any]:
    """Set the assignments of the current or next shift: each item is ``circuit_id`` with its
    ``vehicle_id`` and ``driver_id`` (both null: the circuit goes back to its standing vehicle).
    All or nothing; audited and written in the operations log."""
    agent = require(agent, "winter.manage")
    shift = shift_of(v, which, now)
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"at most {MAX_ITEMS} assignments at once", field="items")
    vehicles = {x["id"] for x in winter_vehicles(v)}
    people = {d["id"]: d["name"] for d in drivers(v)}
    seen: set[int] = set()
    for i, item in enumerate(items):
        cid, vid, did = item["circuit_id"], item.get("vehicle_id"), item.get("driver_id")
        if cid in seen:
            raise ValidationFailed(f"circuit {cid} is given twice", field=f"items.{i}.circuit_id")
        seen.add(cid)
        if vid is not None and vid not in vehicles:
            raise ValidationFailed(
                f"'{vid}' is not a winter vehicle of the fleet", field=f"items.{i}.vehicle_id"
            )
        if did is not None and did not in people:
            raise ValidationFailed(f"no active field agent with id {did}", field=f"items.{i}.driver_id")
        if did is not None and vid is None:
            raise ValidationFailed("a driver drives a vehicle: choose it too", field=f"items.{i}.vehicle_id")
    at = utcnow()
    with v.db.session(write=True) as s:
        known = set(s.scalars(select(CircuitRow.id).where(CircuitRow.id.in_(seen)))) if seen else set()
        missing = sorted(seen - known)
        if missing:
            raise ValidationFailed(f"no circuit {missing[0]}", field="items")
        if seen:
            s.execute(
                delete(AssignmentRow).where(
                    AssignmentRow.shift_start == shift.start, AssignmentRow.circuit_id.in_(seen)
                )
            )
        rows = [
            AssignmentRow(
                circuit_id=item["circuit_id"],
                shift_start=shift.start,
                shift_end=shift.end,
                vehicle_id=item.get("vehicle_id"),
                driver_id=item.get("driver_id"),
                assigned_by=None if agent.is_system else agent.id,
                assigned_at=at,
            )
            for item in items
            if item.get("vehicle_id") is not None
        ]
        s.add_all(rows)
        do_audit(
            s,
            agent,
            "winter.shift.assigned",
            "winter_shift",
            shift.start.isoformat(),
            {"circuits": len(items), "assigned": len(rows)},
        )
        local = shift.start.astimezone(v.city.timezone).strftime("%d/%m %H:%M")
        used = sorted({r.vehicle_id for r in rows if r.vehicle_id})
        v.messages.stage(
            s,
            Logged(
                service="winter",
                kind="winter.assignment",
                text_fr=f"Affectation des circuits pour le poste du {local} : {len(rows)} circuits, "
                f"{len(used)} véhicules",
                text_en=f"Circuits assigned for the shift of {local}: {len(rows)} circuits, "
                f"{len(used)} vehicles",
                actor="" if agent.is_system else agent.label,
                actor_id=None if agent.is_system else agent.id,
                ref=f"shift:{shift.start.isoformat()}",
                detail={"circuits": len(items), "assigned": len(rows)},
            ),
        )
        s.commit()
    payload = {"kind": "winter", "shift_start": shift.start.isoformat(), "circuits": sorted(seen)}
    v.messages.publish([DomainEvent("winter.assignment", (), False, payload, payload)])
    return assignments(v, which, now)


def assignments(v: Vigie, which: str = "current", now: datetime | None = None) -> dict[str, Any]:
    """The shift and its assignments, per circuit (with the names of vehicles and drivers)."""
    shift = shift_of(v, which, now)
    with v.db.session() as s:
        given = in_force(s, shift.start, shift)
    return {
        "shift": which,
        "start": shift.start,
        "end": shift.end,
        "items": [{"circuit_id": cid, **a} for cid, a in sorted(given.items())],
    }


__all__ = ["Shift", "assignments", "do_assign", "drivers", "in_force", "shift_of", "winter_vehicles"]
