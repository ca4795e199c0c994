"""Native API of the LED retrofit plan: the plan, its exports, its map (supervisors, admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from vigie.lighting.finance import FinanceOptions
from vigie.lighting.planner import PRIORITY_CLASSES, PlanOptions
from vigie.lighting.planner_fleet import CostModel
from vigie.lighting.planner_service import (
    CityPlan,
    Scenario,
    plan_city,
    plan_csv,
    plan_geojson,
    plan_json,
    plan_xlsx,
)
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only, get_vigie, module_in_use

router = APIRouter(
    prefix="/api/v1/lighting",
    tags=["lighting"],
    dependencies=[Depends(declared_query_only), Depends(module_in_use("lighting"))],
)


@dataclass
class PlanQuery:
    options: PlanOptions
    costs: CostModel
    finance: FinanceOptions
    scenario: Scenario
    lang: str
    target: str | None = None


def plan_query(
    mode: Literal["budget", "target"] = Query(
        "budget", description="budget: best use of a budget; target: least cost"
    ),
    budget: float | None = Query(None, ge=0, le=1e10, description="Budget per year (the city's currency)"),
    crew: int | None = Query(
        None, ge=0, le=10_000_000, description="Conversions the crews can make per year"
    ),
    years: int = Query(5, ge=1, le=50, description="Years of the plan"),
    start_year: int | None = Query(None, ge=2000, le=2100, description="First year (default: next year)"),
    objective: Literal["energy", "money"] = Query("energy", description="What the budget mode maximises"),
    target_kwh: float | None = Query(
        None, ge=0, le=1e12, description="Target mode: the fleet's annual kWh to reach"
    ),
    priorities: str = Query(
        ",".join(PRIORITY_CLASSES), max_length=200, description="Priority classes in order, comma-separated"
    ),
    together: Literal["cabinet", "street"] | None = Query(
        None, description="Whole cabinets or streets at once"
    ),
    method: Literal["auto", "exact", "fast"] = Query("auto", description="exact: HiGHS MILP; fast; auto"),
    cost_base: float = Query(450.0, ge=0, le=1e6, description="Conversion cost: fixed part per point"),
    cost_per_watt: float = Query(4.0, ge=0, le=1e4, description="Conversion cost: per LED watt"),
    tariff: float | None = Query(
        None, ge=0, le=10, description="Scenario: tariff per kWh (default: the city's)"
    ),
    dim_level: float | None = Query(
        None, ge=0, le=1, description="Scenario: night dimming level for every group"
    ),
    discount_rate: float = Query(0.04, gt=-0.5, lt=1, description="Discount rate of the NPV"),
    finance_years: int = Query(20, ge=1, le=60, description="Years the savings are counted"),
    lang: Literal["fr", "en"] = Query("fr", description="Language of the exports' column names"),
    target: str | None = Query(
        None, max_length=32, description="A city target's id: the least-cost plan that reaches it by its year"
    ),
) -> PlanQuery:
    options = PlanOptions(
        mode=mode,
        start_year=start_year or date.today().year + 1,
        years=years,
        budget=budget,
        crew=crew,
        objective=objective,
        target_kwh=target_kwh,
        priorities=tuple(p.strip() for p in priorities.split(",") if p.strip()),
        together=together,
        method=method,
        time_limit=30.0,
    )
    return PlanQuery(
        options,
        CostModel(cost_base, cost_per_watt),
        FinanceOptions(years=finance_years, discount_rate=discount_rate),
        Scenario(tariff, dim_level),
        lang,
        target or None,
    )


def _plan(request: Request, q: PlanQuery, v: Vigie) -> CityPlan:
    agent = current_agent(request)
    return plan_city(v, agent, q.options, q.costs, q.finance, scenario=q.scenario, target=q.target)


def _filename(q: PlanQuery, ext: str) -> str:
    return f"plan-led-{q.options.start_year}-{q.options.start_year + q.options.years - 1}.{ext}"


@router.get("/plan", summary="The LED retrofit plan: conversions, savings and financing per year")
def get_plan(
    request: Request, q: PlanQuery = Depends(plan_query), v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return plan_json(_plan(request, q, v))


@router.get("/plan.csv", summary="The plan's converted points as CSV", response_class=Response)
def get_plan_csv(
    request: Request, q: PlanQuery = Depends(plan_query), v: Vigie = Depends(get_vigie)
) -> Response:
    return Response(
        plan_csv(_plan(request, q, v), q.lang),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(q, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/plan.xlsx", summary="The plan as an XLSX workbook (years, points, financing)", response_class=Response
)
def get_plan_xlsx(
    request: Request, q: PlanQuery = Depends(plan_query), v: Vigie = Depends(get_vigie)
) -> Response:
    return Response(
        plan_xlsx(_plan(request, q, v), q.lang),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(q, "xlsx")}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/plan.geojson", summary="The plan's converted points with their year, for the map")
def get_plan_geojson(
    request: Request, q: PlanQuery = Depends(plan_query), v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return plan_geojson(_plan(request, q, v))
