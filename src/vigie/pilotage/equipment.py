"""Control room pages for the city's equipment: map layers, live alarms, one asset.

- ``GET /pilotage/equipements``: map with one layer per asset type; assets in
  service coloured by their live state (telemetry: ok, fault, offline, unknown),
  the others by their registry status; active alarms in red, and the live alarm panel;
- ``GET /pilotage/alarmes``: the live alarm panel alone, full width (filters,
  acknowledge, assign, comment, clear);
- ``GET /pilotage/equipements/{asset_id}``: one asset (typed attributes, links,
  status, latest telemetry, chart, alarms, history).

Who may open them: operators, supervisors and administrators. Field agents get
403 on the map and on the alarm panel (control-room tools; the alarms assigned
to them reach them on their own stream) but may open an asset page, read-only:
no status change and no alarm action, the API refusing those to them anyway.
Clearing an alarm by hand is offered to supervisors and administrators only.

The data come from the JSON APIs (``/api/v1/assets.geojson``,
``/api/v1/assets/states``, ``/api/v1/alarms``, ``/api/v1/telemetry/{id}``) and
the agents' event stream; these pages add no API of their own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.accounts.domain import Agent
from vigie.assets.actions import get_visible_asset
from vigie.assets.types import ASSET_TYPES, STATUSES
from vigie.assets.views import STATES, asset_view
from vigie.errors import NotFound
from vigie.pilotage import context as ctx
from vigie.pilotage import equipment_context as eq
from vigie.runtime import Vigie
from vigie.web.i18n import city_terms
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False)


_lang = ctx.page_lang


def _panel(v: Vigie, agent: Agent, lang: str, asset_id: str = "") -> dict[str, Any]:
    """What the alarm panel's script needs (both pages and the asset page)."""
    return {
        "rules": eq.alarm_rules(v, lang),
        "can_triage": agent.can("alarms.handle"),
        "can_clear": agent.can("alarms.clear"),
        "asset_filter": asset_id,
    }


def _base(request: Request, agent: Agent, csrf: str, **page: Any) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    labels = {**ctx.labels(v, lang), **eq.labels(v, lang), "asset_state": _state_labels(lang)}
    terms = city_terms(v.city, lang)
    messages = eq.js_messages(lang, ctx.js_messages(lang, terms), terms)
    return ctx.page_base(request, agent, csrf, labels=labels, messages=messages, **page)


def _state_labels(lang: str) -> dict[str, str]:
    """Short names of the live states (popups); the legend has longer ones."""
    return {s: eq.tr(lang, f"equipment.live.{s}", s) for s in STATES}


def _filters(v: Vigie, lang: str) -> dict[str, Any]:
    return {
        "zones": ctx.sorted_zones(v),
        "rules": eq.alarm_rules(v, lang),
        "severities": eq.SEVERITIES,
    }


@router.get("/pilotage/equipements", response_class=HTMLResponse, response_model=None)
async def equipment_map_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("alarms.handle"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    layers = [
        {"type": code, "name": eq.type_name(code, lang)}
        for code in eq.LAYER_TYPES
        if code in ASSET_TYPES and (code not in eq.LAYER_MODULES or v.city.uses(eq.LAYER_MODULES[code]))
    ]
    filters = await run_in_threadpool(_filters, v, lang)
    return render(
        request,
        "pilotage/equipment.html",
        layers=layers,
        statuses=STATUSES,
        asset_states=STATES,
        **filters,
        **_base(request, agent, csrf, layers=layers, statuses=list(STATUSES), panel=_panel(v, agent, lang)),
    )


@router.get("/pilotage/alarmes", response_class=HTMLResponse, response_model=None)
async def alarms_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("alarms.handle"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    filters = await run_in_threadpool(_filters, v, lang)
    return render(
        request,
        "pilotage/alarms.html",
        **filters,
        **_base(request, agent, csrf, panel=_panel(v, agent, lang)),
    )


def _asset_context(v: Vigie, asset_id: str, lang: str, days: int, agent: Agent) -> dict[str, Any]:
    row = get_visible_asset(v, asset_id, agent)
    view = asset_view(row, v.city.zones)
    metrics = eq.chart_config(row.type, lang)
    latest = eq.latest_state(v, row.id)
    series = eq.series_for(v, row.id, row.type, days)
    return {
        "row": row,
        "item": view,
        "type_name": eq.type_name(row.type, lang),
        "installed": eq.display_value(view["installed_on"], lang) if view["installed_on"] else "",
        "attributes": eq.attribute_rows(row, lang),
        "links_out": eq.links_out(v, row, lang),
        "links_in": eq.links_in(v, row, lang),
        "history": eq.asset_history(v, row.id),
        "latest": latest,
        "latest_rows": eq.latest_rows(latest, lang),
        "samples": eq.recent_samples(v, row.id, lang),
        "metrics": metrics,
        "series": series,
        "series_rows": eq.series_table(series, metrics, v.city.timezone, lang),
    }


@router.get("/pilotage/equipements/{asset_id}", response_class=HTMLResponse, response_model=None)
async def asset_page(asset_id: str, request: Request, periode: str = Query("24h", max_length=8)) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    days = eq.CHART_RANGES.get(periode, 1)
    try:
        if len(asset_id) > 64 or "\x00" in asset_id:
            raise NotFound("no such asset")
        info = await run_in_threadpool(_asset_context, v, asset_id, lang, days, agent)
    except NotFound:
        return render(
            request,
            "error.html",
            status_code=404,
            title_key="error.not_found",
            text_key="equipment.not_found_text",
            agent=agent,
            csrf_token=csrf,
        )
    view = info["item"]
    page = {
        "asset": {k: view[k] for k in ("id", "type", "name", "status", "lat", "long", "zone")},
        "metrics": info["metrics"],
        "series": info["series"],
        "range": next((k for k, d in eq.CHART_RANGES.items() if d == days), "24h"),
        "can_status": agent.can("assets.status"),
        "panel": _panel(v, agent, lang, view["id"]),
    }
    return render(
        request,
        "pilotage/asset.html",
        **info,
        statuses=STATUSES,
        ranges=list(eq.CHART_RANGES),
        current_range=page["range"],
        can_status=page["can_status"],
        **_filters(v, lang),
        **_base(request, agent, csrf, **page),
    )
