"""Control-room pages of the traffic regulation and winter services.

- ``GET /pilotage/trafic`` (``traffic.read``): signal controllers with their live
  mode, timing plan and fault; priority requests per line; a detector's counts
  today beside its usual profile (chart and table); roadworks and closures on a
  map, declared and ended from the page (``traffic.manage``).
- ``GET /pilotage/hiver`` (``winter.read``): the winter plan's level and the
  proposals of the road weather stations, coverage per tier and per circuit
  (map coloured by share treated, live), driving conditions per tier, salt.
- ``GET /pilotage/hiver/affectations`` (``winter.read``; changes ``winter.manage``): the
  rota of the current or next shift, a vehicle and a driver per circuit, beside each
  circuit's live coverage and whether its vehicle is the one treating it.

Everything the pages change goes through the JSON APIs of the two contexts
(``/api/v1/traffic``, ``/api/v1/winter``); the pages add no API of their own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.accounts.domain import Agent
from vigie.pilotage import context as ctx
from vigie.runtime import Vigie
from vigie.traffic import actions as traffic
from vigie.traffic.domain import EventKind, Restriction
from vigie.web.deps import module_in_use
from vigie.web.i18n import catalog, translate
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render
from vigie.winter import actions as winter
from vigie.winter import shifts
from vigie.winter.domain import CONDITION_NAMES, LEVEL_NAMES, Condition, PlanLevel, Tier

router = APIRouter(include_in_schema=False)
JS = "services.js."


def _messages(lang: str) -> dict[str, str]:
    own = {key[len(JS) :]: translate(lang, key) for key in catalog()["fr"] if key.startswith(JS)}
    return {**ctx.js_messages(lang), **own}


def _base(request: Request, agent: Agent, csrf: str, **page: Any) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    return ctx.page_base(request, agent, csrf, labels=ctx.labels(v, lang), messages=_messages(lang), **page)


def _traffic_context(v: Vigie) -> dict[str, Any]:
    controllers = traffic.controllers(v)
    controllers.sort(key=lambda c: (not c["fault"], c["mode"] in (None, "normal"), c["id"]))
    events = traffic.list_events(v, agent=True)
    return {
        "controllers": controllers,
        "priority": traffic.priority_summary(v),
        "events": events,
        "faults": sum(1 for c in controllers if c["fault"]),
        "degraded": sum(1 for c in controllers if c["mode"] in ("flashing", "off")),
        "detectors": traffic.detector_ids(v),
    }


@router.get(
    "/pilotage/trafic",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(module_in_use("traffic"))],
)
async def traffic_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("traffic.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    info = await run_in_threadpool(_traffic_context, v)
    page = {
        "can_manage": agent.can("traffic.manage"),
        "controllers": [
            {k: c[k] for k in ("id", "name", "lat", "long", "mode", "fault", "fault_code")}
            for c in info["controllers"]
        ],
        "detectors": info["detectors"],
    }
    return render(
        request,
        "pilotage/traffic.html",
        **info,
        kinds=[k.value for k in EventKind],
        restrictions=[r.value for r in Restriction],
        can_manage=page["can_manage"],
        **_base(request, agent, csrf, **page),
    )


def _winter_context(v: Vigie, lang: str) -> dict[str, Any]:
    level = winter.current_level(v)
    circuits = winter.list_circuits(v)
    en = lang == "en"
    return {
        "level": level,
        "levels": [(lvl.value, LEVEL_NAMES[lvl][en]) for lvl in PlanLevel],
        "level_name": LEVEL_NAMES[PlanLevel(level["level"])][en],
        "proposals": winter.open_proposals(v),
        "coverage": winter.coverage_summary(circuits),
        "circuits": circuits,
        "conditions": {c["tier"]: c for c in winter.published_conditions(v)},
        "condition_names": [(c.value, CONDITION_NAMES[c][en]) for c in Condition],
        "tiers": [t.value for t in Tier],
        "salt": winter.salt_stock(v, level["round_started"]),
        "history": winter.level_history(v, 10),
    }


@router.get(
    "/pilotage/hiver",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(module_in_use("winter"))],
)
async def winter_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("winter.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    info = await run_in_threadpool(_winter_context, v, lang)
    page = {"can_manage": agent.can("winter.manage"), "level": info["level"]["level"]}
    return render(
        request,
        "pilotage/winter.html",
        **info,
        can_manage=page["can_manage"],
        **_base(request, agent, csrf, **page),
    )


def _rota_context(v: Vigie, which: str, tier: str) -> dict[str, Any]:
    rota = shifts.assignments(v, which)
    given = {a["circuit_id"]: a for a in rota["items"]}
    circuits = [c for c in winter.list_circuits(v) if not tier or c["tier"] == tier]
    for c in circuits:
        a = given.get(c["id"])
        c["rota_vehicle"] = a["vehicle_id"] if a else ""
        c["rota_driver"] = a["driver_id"] if a else None
    tz = v.city.timezone
    return {
        "circuits": circuits,
        "vehicles": shifts.winter_vehicles(v),
        "drivers": shifts.drivers(v),
        "shift": {
            "which": which,
            "start": rota["start"].astimezone(tz).strftime("%d/%m %H:%M"),
            "end": rota["end"].astimezone(tz).strftime("%d/%m %H:%M"),
        },
        "assigned": len(given),
        "vehicles_used": len({a["vehicle_id"] for a in given.values()}),
    }


@router.get(
    "/pilotage/hiver/affectations",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(module_in_use("winter"))],
)
async def rota_page(
    request: Request,
    poste: str = Query("current", pattern="^(current|next)$"),
    palier: str = Query("", pattern="^(|P1|P2|P3)$"),
) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("winter.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    info = await run_in_threadpool(_rota_context, v, poste, palier)
    can_manage = agent.can("winter.manage")
    return render(
        request,
        "pilotage/winter_rota.html",
        **info,
        tier=palier,
        tiers=[t.value for t in Tier],
        can_manage=can_manage,
        **_base(request, agent, csrf, can_manage=can_manage, shift=poste),
    )
