"""Native API of the winter service: /api/v1/winter (agents; driving conditions public)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.permissions import require
from vigie.runtime import Vigie
from vigie.web.deps import (
    DbId,
    current_agent,
    declared_query_only,
    get_vigie,
    module_in_use,
    needs_permission,
)
from vigie.winter import actions, shifts

router = APIRouter(
    prefix="/api/v1/winter",
    tags=["winter"],
    dependencies=[Depends(declared_query_only), Depends(module_in_use("winter"))],
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LevelIn(_Body):
    level: Literal["veille", "alerte", "intervention"]
    reason: str = Field("", max_length=2000)


class DecisionIn(_Body):
    accept: bool


class ConditionsIn(_Body):
    tier: Literal["P1", "P2", "P3"]
    condition: Literal["C1", "C2", "C3", "C4"]
    note: str = Field("", max_length=2000)


class SaltIn(_Body):
    kind: Literal["delivery", "count"]
    tonnes: float = Field(..., ge=0, le=1_000_000)
    note: str = Field("", max_length=2000)


class CircuitIn(_Body):
    code: str = Field(..., min_length=1, max_length=64)
    name: str = Field("", max_length=200)
    tier: Literal["P1", "P2", "P3"]
    geometry: dict[str, Any]
    vehicle_id: str | None = Field(None, max_length=64)


class CircuitAssignIn(_Body):
    vehicle_id: str | None = Field(None, max_length=64)


class ShiftItemIn(_Body):
    circuit_id: int = Field(..., ge=1, le=2**31 - 1)
    vehicle_id: str | None = Field(None, max_length=64, description="null: the circuit's standing vehicle")
    driver_id: int | None = Field(None, ge=1, le=2**31 - 1, description="An active field agent")


class ShiftIn(_Body):
    items: list[ShiftItemIn] = Field(..., max_length=shifts.MAX_ITEMS)


Which = Query("current", pattern="^(current|next)$", description="The shift under way or the next one")


@router.get("", summary="The winter plan now: level, open proposals, coverage per tier, salt")
def overview(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = current_agent(request)
    require(agent, "winter.read")
    level = actions.current_level(v)
    circuits = actions.list_circuits(v)
    return {
        **level,
        "proposals": actions.open_proposals(v),
        "coverage": actions.coverage_summary(circuits),
        "conditions": actions.published_conditions(v),
        "salt": actions.salt_stock(v, level["round_started"]),
        "history": actions.level_history(v, 20),
    }


@router.post(
    "/level", summary="Set the winter plan's level", dependencies=[Depends(needs_permission("winter.manage"))]
)
def set_level(request: Request, body: LevelIn, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.do_set_level(v, current_agent(request), body.level, body.reason)


@router.post(
    "/proposals/{proposal_id}/decision",
    summary="Accept or dismiss a proposed level",
    dependencies=[Depends(needs_permission("winter.manage"))],
)
def decide(
    request: Request, proposal_id: DbId, body: DecisionIn, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return actions.do_decide_proposal(v, current_agent(request), proposal_id, body.accept)


@router.get("/circuits", summary="Salting circuits with their coverage in the current round")
def circuits(
    request: Request,
    geometry: bool = Query(False, description="Include each line"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    agent = current_agent(request)
    require(agent, "winter.read")
    return {"items": actions.list_circuits(v, with_geometry=geometry)}


@router.post(
    "/circuits",
    status_code=201,
    summary="Add a salting circuit (a LineString of a tier)",
    dependencies=[Depends(needs_permission("winter.manage"))],
)
def add_circuit(request: Request, body: CircuitIn, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    draft = actions.check_circuit(body.model_dump())
    (cid,) = actions.do_create_circuits(v, current_agent(request), [draft])
    return {"id": cid}


@router.post(
    "/circuits/{circuit_id}/vehicle",
    summary="Assign a circuit to a vehicle (null: nobody)",
    dependencies=[Depends(needs_permission("winter.manage"))],
)
def assign(
    request: Request, circuit_id: DbId, body: CircuitAssignIn, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    actions.do_assign_circuit(v, current_agent(request), circuit_id, body.vehicle_id)
    return {"id": circuit_id, "vehicle_id": body.vehicle_id}


@router.get("/assignments", summary="A shift's rota: circuits given to a vehicle and its driver")
def rota(request: Request, shift: str = Which, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    require(current_agent(request), "winter.read")
    return {
        **shifts.assignments(v, shift),
        "vehicles": shifts.winter_vehicles(v),
        "drivers": shifts.drivers(v),
    }


@router.put(
    "/assignments",
    summary="Give circuits to vehicles and drivers for a shift (all or nothing)",
    dependencies=[Depends(needs_permission("winter.manage"))],
)
def set_rota(
    request: Request, body: ShiftIn, shift: str = Which, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    items = [i.model_dump() for i in body.items]
    return shifts.do_assign(v, current_agent(request), shift, items)


@router.get("/conditions", summary="Driving conditions per priority tier, as published (public)")
def conditions(v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"items": actions.published_conditions(v)}


@router.post(
    "/conditions",
    summary="Declare the driving conditions of a tier (published at once)",
    dependencies=[Depends(needs_permission("winter.manage"))],
)
def declare(request: Request, body: ConditionsIn, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.do_declare_conditions(v, current_agent(request), body.tier, body.condition, body.note)


@router.post(
    "/salt",
    summary="Record a salt delivery or a stock count",
    dependencies=[Depends(needs_permission("winter.manage"))],
)
def salt(request: Request, body: SaltIn, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.do_record_salt(v, current_agent(request), body.kind, body.tonnes, body.note)
