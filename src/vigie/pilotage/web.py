"""Control room pages (/pilotage) and the field agents' view (/terrain)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.accounts.domain import Agent
from vigie.errors import NotFound
from vigie.pilotage import context as ctx
from vigie.pilotage.stats import compute_stats
from vigie.reports.domain import TRANSITIONS
from vigie.reports.field import HANDBACK_REASONS, check_visible_to
from vigie.runtime import Vigie
from vigie.web.i18n import city_terms
from vigie.web.pages import forbidden_page, home_of, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False)


_lang = ctx.page_lang


def _base(request: Request, agent: Agent, csrf: str, **page: Any) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    return ctx.page_base(
        request,
        agent,
        csrf,
        labels=ctx.labels(v, lang),
        messages=ctx.js_messages(lang, city_terms(v.city, lang)),
        **page,
    )


def _not_found(request: Request, agent: Agent, csrf: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=404,
        title_key="error.not_found",
        text_key="pilotage.not_found_text",
        agent=agent,
        csrf_token=csrf,
    )


@router.get("/pilotage", response_class=HTMLResponse, response_model=None)
def queue_page(request: Request) -> Response:
    agent, csrf = page_agent(request)
    if not agent.can("reports.all"):
        return RedirectResponse(home_of(agent, request.app.state.vigie.city), status_code=303)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    return render(
        request,
        "pilotage/queue.html",
        groups=ctx.sorted_groups(v, lang),
        zones=ctx.sorted_zones(v),
        open_statuses=ctx.OPEN_STATUSES,
        all_statuses=[s.value for s in TRANSITIONS],
        priorities=ctx.PRIORITIES,
        sla_states=ctx.SLA_STATES[:3],
        teams=sorted(
            ({"code": c, "name": tm.name.get(lang)} for c, tm in v.catalogue.teams.items()),
            key=lambda tm: tm["name"],
        ),
        **_base(request, agent, csrf, open_statuses=ctx.OPEN_STATUSES),
    )


async def _report_page(request: Request, report_id: str, template: str, field: bool) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not field and not agent.can("reports.all"):
        return RedirectResponse(f"/terrain/signalements/{report_id}", status_code=303)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    try:
        row = await run_in_threadpool(check_visible_to, v, report_id, agent)
    except NotFound:
        return _not_found(request, agent, csrf)
    info = await run_in_threadpool(ctx.report_context, v, row, lang, agent)
    choices = ctx.template_choices(v, row, row.reporter_lang)
    templates = {status: found[0]["text"] for status, found in choices.items()}
    page: dict[str, Any] = {
        "report": info["report"],
        "templates": templates,
        "template_choices": choices,
        "template_lang": row.reporter_lang,
        "next_statuses": info["next_statuses"],
        "transitions": {s.value: sorted(t.value for t in allowed) for s, allowed in TRANSITIONS.items()},
    }
    extra: dict[str, Any] = {}
    if not field:
        extra = {
            "teams": [{"code": tm.code, "name": tm.name.get(lang)} for tm in v.catalogue.teams.values()],
            "groups": ctx.sorted_groups(v, lang),
            "services": sorted(ctx.services_data(v, lang), key=lambda s: (s["group"], s["name"])),
        }
        if row.channel == "email":
            from vigie.inbound.queries import intake_of

            extra["email_intake"] = page["email_intake"] = await run_in_threadpool(intake_of, v, row.id, lang)
    else:
        extra = {"reasons": HANDBACK_REASONS}
    return render(
        request,
        template,
        **info,
        **extra,
        templates=templates,
        **_base(request, agent, csrf, **page),
    )


@router.get("/pilotage/signalements/{report_id}", response_class=HTMLResponse, response_model=None)
async def detail_page(report_id: str, request: Request) -> Response:
    return await _report_page(request, report_id, "pilotage/detail.html", field=False)


@router.get("/pilotage/signalements/{report_id}/panneau", response_class=HTMLResponse, response_model=None)
def detail_panel(report_id: str, request: Request) -> Response:
    """The report's information panel alone, swapped in after an action."""
    agent, csrf = page_agent(request)
    v: Vigie = request.app.state.vigie
    try:
        row = check_visible_to(v, report_id, agent)
    except NotFound:
        return HTMLResponse("", status_code=404)
    info = ctx.report_context(v, row, _lang(request), agent)
    return render(request, "pilotage/_panel.html", **info, agent=agent)


@router.get("/pilotage/appel", response_class=HTMLResponse, response_model=None)
def intake_page(request: Request) -> Response:
    agent, csrf = page_agent(request)
    if not agent.can("reports.intake"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    return render(
        request,
        "pilotage/intake.html",
        zones=ctx.sorted_zones(v),
        **_base(
            request,
            agent,
            csrf,
            services=ctx.services_data(v, lang),
            groups={g.code: g.name.get(lang) for g in v.catalogue.groups.values()},
        ),
    )


@router.get("/pilotage/tableau-de-bord", response_class=HTMLResponse, response_model=None)
async def dashboard_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("stats.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = _lang(request)
    stats = await run_in_threadpool(compute_stats, v, 90, None, lang)
    return render(request, "pilotage/dashboard.html", stats=stats, **_base(request, agent, csrf, stats=stats))


@router.get("/terrain", response_class=HTMLResponse, response_model=None)
def terrain_page(request: Request) -> Response:
    agent, csrf = page_agent(request)
    return render(request, "pilotage/terrain.html", **_base(request, agent, csrf))


@router.get("/terrain/signalements/{report_id}", response_class=HTMLResponse, response_model=None)
async def terrain_detail_page(report_id: str, request: Request) -> Response:
    return await _report_page(request, report_id, "pilotage/terrain_detail.html", field=True)
