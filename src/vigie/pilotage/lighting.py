"""The control room's lighting page (/pilotage/eclairage): where the city stands.

Fleet, energy and trajectory against the targets, communes, compliance with the
national rules; its figures come from the lighting context (the same as
/api/v1/lighting/energy and /compliance) and are rendered on the server, tables
included, so that the page reads without JavaScript; a script draws the charts.
A plan section answers what a yearly budget buys: the form (budget, crews,
years, objective; prefilled with an example) runs the retrofit planner and shows
each year's conversions, the savings, the financing and the reasons (priority
classes and the year each is done). The latest changes of the light groups'
schedules (dimming, switch-off) are listed with who recorded them: the
trajectory burns each past year with the schedules of its end. Who may open it: those who see the
dashboard (``stats.read``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.lighting.measured import measured_vs_model
from vigie.lighting.plan_view import PlanForm, plan_view
from vigie.lighting.views import page_data
from vigie.pilotage import context as ctx
from vigie.pilotage.lighting_plan import defaults as plan_defaults
from vigie.runtime import Vigie
from vigie.telemetry.schedule_history import list_changes
from vigie.web.deps import module_in_use
from vigie.web.i18n import city_terms
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(module_in_use("lighting"))])


@router.get("/pilotage/eclairage", response_class=HTMLResponse, response_model=None)
async def lighting_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("stats.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    data = await run_in_threadpool(page_data, v, lang)
    start = await run_in_threadpool(plan_defaults, v)
    form = PlanForm.of(dict(request.query_params), start)
    plan = await run_in_threadpool(plan_view, v, agent, form)
    measured = await run_in_threadpool(measured_vs_model, v)
    changes = await run_in_threadpool(list_changes, v, "", 20)
    messages = ctx.js_messages(lang, city_terms(v.city, lang))
    base = ctx.page_base(request, agent, csrf, labels=ctx.labels(v, lang), messages=messages)
    return render(
        request,
        "pilotage/lighting.html",
        light=data,
        form=form,
        plan=plan,
        measured=measured,
        schedule_changes=changes,
        demo=v.settings.environment != "production",
        status_code=422 if "error" in plan else 200,
        **base,
    )
