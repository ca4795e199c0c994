"""The retrofit plan as the control room's lighting page shows it: what a yearly budget buys.

Reads the page's form (budget and crews per year, years, objective), runs the
planner (:func:`vigie.lighting.planner_service.plan_city`) and shapes its years,
its financing and its reasons (the priority classes and the year each is done)
for the template. Nothing is stored: the plan is as fresh as the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from vigie.accounts.domain import Agent
from vigie.errors import ValidationFailed
from vigie.lighting.planner import PlanOptions
from vigie.lighting.planner_service import plan_city
from vigie.runtime import Vigie

DEFAULTS = {"budget": "2000000", "crew": "3000", "years": "5", "objective": "energy"}


@dataclass
class PlanForm:
    budget: str = ""
    crew: str = ""
    years: str = DEFAULTS["years"]
    objective: str = DEFAULTS["objective"]
    asked: bool = False  # the form was sent

    @classmethod
    def of(cls, params: dict[str, str], start: dict[str, object] | None = None) -> PlanForm:
        """The form as sent, or prefilled with ``start`` (the plan page's defaults) or DEFAULTS."""
        if "budget" not in params and "crew" not in params:
            start = start or {}
            return cls(
                str(start.get("budget", DEFAULTS["budget"])),
                str(start.get("crew", DEFAULTS["crew"])),
                str(start.get("years", DEFAULTS["years"])),
            )
        return cls(
            params.get("budget", "").strip(),
            params.get("crew", "").strip(),
            params.get("years", DEFAULTS["years"]).strip(),
            params.get("objective", DEFAULTS["objective"]).strip(),
            True,
        )


def _number(text: str, field: str, integer: bool = False) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace("\u202f", "").replace(" ", "").replace(",", "."))
    except ValueError:
        raise ValidationFailed(f"{field} is not a number", field=field) from None
    if integer and value != int(value):
        raise ValidationFailed(f"{field} is a whole number", field=field)
    return value


def plan_view(v: Vigie, agent: Agent, form: PlanForm, today: date | None = None) -> dict[str, Any]:
    """The plan of the form, or ``{"error": field, "message": …}`` for a bad field."""
    today = today or date.today()
    try:
        years = _number(form.years, "years", integer=True)
        crew = _number(form.crew, "crew", integer=True)
        if form.objective not in ("energy", "money"):
            raise ValidationFailed("objective is energy or money", field="objective")
        options = PlanOptions(
            mode="budget",
            start_year=today.year + 1,
            years=int(years or 5),
            budget=_number(form.budget, "budget"),
            crew=int(crew) if crew is not None else None,
            objective=form.objective,  # type: ignore[arg-type]
        )
        cp = plan_city(v, agent, options)
    except ValidationFailed as exc:
        return {"error": exc.field, "message": exc.message}
    plan, fin = cp.plan, cp.finance
    return {
        "start_year": options.start_year,
        "currency": cp.currency,
        "years": [
            {
                "year": r.year,
                "conversions": r.conversions,
                "cost": r.cost,
                "kwh_saved": r.kwh_saved,
                "money_saved": r.money_saved,
                "fleet_kwh": r.fleet_kwh,
            }
            for r in plan.years
        ],
        "first": plan.years[0] if plan.years else None,
        "conversions": plan.conversions,
        "investment": plan.investment,
        "eligible": plan.eligible,
        "excluded_heritage": plan.excluded_heritage,
        "deadlines": dict(plan.deadlines),
        "method": plan.method,
        "gap": plan.gap,
        "fleet_kwh_now": plan.fleet_kwh_now,
        "npv": fin.npv,
        "payback_year": fin.payback_year,
        "cee": fin.cee,
    }


__all__ = ["DEFAULTS", "PlanForm", "plan_view"]
