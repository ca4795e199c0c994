"""The LED retrofit plan in the control room (/pilotage/eclairage/plan): supervisors, admins.

The page asks ``/api/v1/lighting/plan`` (and its .geojson, .csv, .xlsx) with the
form's values: the years, the map of the conversions by year, the financing,
and scenarios kept side by side. It starts with a plan for the city's own fleet:
a crew of about 6 % of the street lights a year and 1,000 (city's currency) per
conversion as the budget, a starting point to change, not a recommendation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from vigie.accounts.domain import Agent
from vigie.assets.storage import AssetRow
from vigie.lighting.planner import PRIORITY_CLASSES
from vigie.pilotage import context as ctx
from vigie.runtime import Vigie
from vigie.web.deps import module_in_use
from vigie.web.i18n import catalog, city_terms, translate
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(module_in_use("lighting"))])
JS_PREFIX = "lighting_plan.js."
CREW_SHARE = 0.06
COST_PER_CONVERSION = 1000


def js_messages(lang: str, base: dict[str, str]) -> dict[str, str]:
    own = {
        key[len(JS_PREFIX) :]: translate(lang, key) for key in catalog()["fr"] if key.startswith(JS_PREFIX)
    }
    return {**base, **own}


def defaults(v: Vigie) -> dict[str, Any]:
    with v.db.session() as s:
        lights = int(
            s.scalar(select(func.count()).select_from(AssetRow).where(AssetRow.type == "street_light")) or 0
        )
    crew = max(1, round(lights * CREW_SHARE))
    return {
        "mode": "budget",
        "years": 5,
        "start_year": date.today().year + 1,
        "crew": crew,
        "budget": crew * COST_PER_CONVERSION,
        "objective": "energy",
        "lights": lights,
    }


def _base(request: Request, agent: Agent, csrf: str, **page: Any) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    messages = js_messages(lang, ctx.js_messages(lang, city_terms(v.city, lang)))
    return ctx.page_base(request, agent, csrf, labels=ctx.labels(v, lang), messages=messages, **page)


@router.get("/pilotage/eclairage/plan", response_class=HTMLResponse, response_model=None)
async def plan_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("stats.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    start = await run_in_threadpool(defaults, v)
    return render(
        request,
        "pilotage/lighting_plan.html",
        start=start,
        priorities=PRIORITY_CLASSES,
        currency=v.city.lighting.currency,
        cee=v.city.lighting.compliance == "fr-2018",
        targets=[
            {"id": tg.id, "label": tg.label.get(ctx.page_lang(request)) or tg.label.get("fr") or tg.id}
            for tg in v.city.lighting.targets
        ],
        **_base(request, agent, csrf, plan_defaults=start, currency=v.city.lighting.currency),
    )
