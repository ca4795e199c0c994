"""Salting circuits: their lines cut into pieces, who drives them, their coverage in the round.

Split from ``actions.py`` (which re-exports these names): a circuit is written once
and read often, by the pages, the coverage tracker and the demo's salting runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.runtime import Vigie
from vigie.winter.domain import PlanLevel, Projection, Tier, check_line, cut, line_length_m, parse_enum
from vigie.winter.shifts import in_force, winter_vehicles
from vigie.winter.storage import CircuitRow, CoverageRow, PlanLevelRow


def round_start(s: Session) -> datetime | None:
    """When the latest intervention began: coverage is counted from then."""
    rows = list(
        s.execute(select(PlanLevelRow.level, PlanLevelRow.at).order_by(PlanLevelRow.id.desc()).limit(500))
    )
    start = None
    for level, at in rows:
        if level == PlanLevel.INTERVENTION:
            start = at
        elif start is not None:
            break
    return start


# --- circuits ----------------------------------------------------------------------


@dataclass
class CircuitDraft:
    code: str
    name: str
    tier: Tier
    points: list[tuple[float, float]]
    vehicle_id: str | None


def check_circuit(body: dict[str, Any]) -> CircuitDraft:
    code = str(body.get("code") or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed("code is required (64 characters at most)", field="code")
    name = str(body.get("name") or code).strip()[:200]
    tier = Tier(parse_enum(Tier, body.get("tier"), "tier"))
    geometry = body.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
        raise ValidationFailed("geometry must be a GeoJSON LineString", field="geometry")
    points = check_line(geometry.get("coordinates"))
    vehicle = body.get("vehicle_id")
    if vehicle is not None and (not isinstance(vehicle, str) or len(vehicle) > 64):
        raise ValidationFailed("vehicle_id must be an asset id", field="vehicle_id")
    return CircuitDraft(code, name, tier, points, vehicle or None)


def _circuit_row(d: CircuitDraft) -> dict[str, Any]:
    pieces = len(cut(d.points, Projection(*d.points[0]), 0))
    return {
        "code": d.code,
        "name": d.name,
        "tier": d.tier.value,
        "coordinates": [list(p) for p in d.points],
        "length_m": round(line_length_m(d.points), 1),
        "pieces": pieces,
        "vehicle_id": d.vehicle_id,
        "created_at": utcnow(),
    }


def check_vehicles(v: Vigie, ids: Iterable[str | None]) -> None:
    """Each vehicle named is a winter vehicle of the fleet (the rota's rule, for standing
    vehicles too): a circuit given to no real vehicle is never driven, and its coverage
    never moves."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    unknown = sorted(wanted - {x["id"] for x in winter_vehicles(v)})
    if unknown:
        raise ValidationFailed(f"{unknown[0]!r} is not a winter vehicle of the fleet", field="vehicle_id")


def do_create_circuits(v: Vigie, agent: Agent | None, drafts: list[CircuitDraft]) -> list[int]:
    agent = require(agent, "winter.manage")
    check_vehicles(v, (d.vehicle_id for d in drafts))
    with v.db.session(write=True) as s:
        codes = [d.code for d in drafts]
        taken = set(s.scalars(select(CircuitRow.code).where(CircuitRow.code.in_(codes))))
        if taken or len(set(codes)) != len(codes):
            raise Conflict(
                f"circuit codes already used: {', '.join(sorted(taken)) or 'repeated in the batch'}"
            )
        rows = [CircuitRow(**_circuit_row(d)) for d in drafts]
        s.add_all(rows)
        s.flush()
        do_audit(s, agent, "winter.circuits", "winter_circuit", ",".join(codes)[:200], {"count": len(rows)})
        s.commit()
        return [r.id for r in rows]


def do_assign_circuit(v: Vigie, agent: Agent | None, circuit_id: int, vehicle_id: str | None) -> None:
    agent = require(agent, "winter.manage")
    check_vehicles(v, [vehicle_id])
    with v.db.session(write=True) as s:
        row = s.get(CircuitRow, circuit_id)
        if row is None:
            raise NotFound(f"no circuit {circuit_id}")
        row.vehicle_id = vehicle_id
        do_audit(s, agent, "winter.assign", "winter_circuit", str(circuit_id), {"vehicle_id": vehicle_id})
        s.commit()


def circuits_from_gtfs(path: str | Path, tier_of: Callable[[Any], Tier] | None = None) -> list[CircuitDraft]:
    """One circuit per shape of a GTFS feed (cities salt their bus and tram network first):
    P1 unless ``tier_of(route)`` says otherwise for the route of the shape's first trip."""
    from vigie.transport.gtfs import read_feed

    feed = read_feed(path)
    names: dict[str, str] = {}
    tiers: dict[str, Tier] = {}
    for trip in feed.trips:
        route = feed.routes.get(trip.route_id)
        if trip.shape_id and route and trip.shape_id not in names:
            names[trip.shape_id] = f"{route.kind.capitalize()} {route.name} — {trip.shape_id}"
            tiers[trip.shape_id] = tier_of(route) if tier_of else Tier.P1
    return [
        CircuitDraft(f"gtfs-{sid}", names.get(sid, sid), tiers.get(sid, Tier.P1), pts, None)
        for sid, pts in sorted(feed.shapes.items())
        if len(pts) >= 2
    ]


def assign_round_robin(drafts: list[CircuitDraft], vehicles: list[str]) -> None:
    for i, d in enumerate(drafts):
        d.vehicle_id = vehicles[i % len(vehicles)] if vehicles else None


def list_circuits(
    v: Vigie, since: datetime | None = None, with_geometry: bool = False
) -> list[dict[str, Any]]:
    """Circuits with their coverage since ``since`` (the current round when None): share,
    last treatment, the vehicles that treated them. Set-based: two GROUP BYs."""
    with v.db.session() as s:
        since = since or round_start(s)
        cov = select(CoverageRow.circuit_id, func.count(), func.max(CoverageRow.treated_at))
        by = select(CoverageRow.circuit_id, CoverageRow.vehicle_id, func.count())
        if since is not None:
            cov = cov.where(CoverageRow.treated_at >= since)
            by = by.where(CoverageRow.treated_at >= since)
        done = {c: (n, last) for c, n, last in s.execute(cov.group_by(CoverageRow.circuit_id))}
        vehicles: dict[int, list[tuple[str, int]]] = {}
        for c, vid, n in s.execute(by.group_by(CoverageRow.circuit_id, CoverageRow.vehicle_id)):
            vehicles.setdefault(c, []).append((vid, n))
        cols = [
            CircuitRow.id,
            CircuitRow.code,
            CircuitRow.name,
            CircuitRow.tier,
            CircuitRow.length_m,
            CircuitRow.pieces,
            CircuitRow.vehicle_id,
        ]
        if with_geometry:
            cols.append(CircuitRow.coordinates)
        # The shift's rota, where it has one, says which vehicle is on each circuit now.
        rota = in_force(s, utcnow())
        out = []
        for r in s.execute(select(*cols).order_by(CircuitRow.tier, CircuitRow.id)):
            n, last = done.get(r.id, (0, None))
            given = rota.get(r.id)
            vehicle = given["vehicle_id"] if given else r.vehicle_id
            treated_by = [vid for vid, _ in sorted(vehicles.get(r.id, []), key=lambda x: -x[1])]
            item = {
                "id": r.id,
                "code": r.code,
                "name": r.name,
                "tier": r.tier,
                "length_m": r.length_m,
                "vehicle_id": vehicle,
                "standing_vehicle_id": r.vehicle_id,
                "driver": given["driver"] if given else "",
                "on_rota": given is not None,
                "share": round(min(1.0, n / r.pieces), 4) if r.pieces else 0.0,
                "last_treated_at": last,
                "treated_by": treated_by,
                "treated_by_assigned": bool(vehicle) and vehicle in treated_by,
            }
            if with_geometry:
                item["coordinates"] = r.coordinates
            out.append(item)
        return out


def coverage_summary(circuits: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per tier: kilometres of circuits and the share treated (weighted by length)."""
    out: dict[str, dict[str, float]] = {}
    for c in circuits:
        t = out.setdefault(c["tier"], {"km": 0.0, "treated_km": 0.0})
        t["km"] += c["length_m"] / 1000
        t["treated_km"] += c["length_m"] * c["share"] / 1000
    for t in out.values():
        t["share"] = round(t["treated_km"] / t["km"], 4) if t["km"] else 0.0
        t["km"], t["treated_km"] = round(t["km"], 1), round(t["treated_km"], 1)
    return out
