"""Control-room pages of the operations log and of video protection.

- ``GET /pilotage/main-courante`` (``oplog.read``): one timeline of every service the
  agent may see, filtered per service, severity and dates, searched by words (a plain
  GET form: keyboard and no script needed), exported as CSV, the end-of-shift summary,
  and (``oplog.write``) an entry or a correction written from the page.
- ``GET /pilotage/videoprotection`` (``video.cameras``, the video-protection roles):
  compliance alerts, the sites and their authorisation, the cameras' map.
- ``GET /pilotage/videoprotection/registre`` (``video.extractions``): the register of
  image extractions (each opening audited) and who consulted what.

Writes go through the JSON APIs (``/api/v1/oplog``, ``/api/v1/videoprotection``).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.accounts.domain import Agent
from vigie.errors import ValidationFailed
from vigie.oplog import actions as oplog
from vigie.oplog.domain import SERVICES, SEVERITIES, services_in_use
from vigie.pilotage import context as ctx
from vigie.runtime import Vigie
from vigie.videoprotection import actions as video
from vigie.videoprotection import register
from vigie.videoprotection.domain import ALERTS, MEDIA, PURPOSES, REQUISITIONS
from vigie.web.deps import module_in_use
from vigie.web.i18n import catalog, translate
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False)
JS = "video.js."
PAGE_SIZE = 100


def _messages(lang: str) -> dict[str, str]:
    own = {key[len(JS) :]: translate(lang, key) for key in catalog()["fr"] if key.startswith(JS)}
    return {**ctx.js_messages(lang), **own}


def page_base(request: Request, agent: Agent, csrf: str, **page: Any) -> dict[str, Any]:
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    return ctx.page_base(request, agent, csrf, labels=ctx.labels(v, lang), messages=_messages(lang), **page)


def _day(v: Vigie, value: str, name: str, end: bool = False) -> datetime | None:
    """A local date of the filter form as the start (or the end) of that day in the city."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed(f"not a date (YYYY-MM-DD): {value!r}", field=name) from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=v.city.timezone)


def when_local(v: Vigie, iso: str | None) -> str:
    return datetime.fromisoformat(iso).astimezone(v.city.timezone).strftime("%d/%m %H:%M") if iso else ""


@router.get("/pilotage/main-courante", response_class=HTMLResponse, response_model=None)
async def oplog_page(
    request: Request,
    service: str = Query("", max_length=32),
    severity: str = Query("", max_length=16),
    q: str = Query("", max_length=200),
    start: str = Query("", max_length=10),
    end: str = Query("", max_length=10),
    page: int = Query(1, ge=1, le=10_000),
) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("oplog.read"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    f = oplog.OplogFilter(
        (service,) if service else (),
        (),
        (severity,) if severity else (),
        q.strip(),
        _day(v, start, "start"),
        _day(v, end, "end", end=True),
    )
    items, total = await run_in_threadpool(oplog.list_entries, v, agent, f, page, PAGE_SIZE)
    summary = await run_in_threadpool(oplog.shift_summary, v, agent)
    for e in items:
        e["when"] = when_local(v, e["at"])
        e["shown"] = e["text_en"] if lang == "en" and e["text_en"] else e["text"]
    query = {
        k: val
        for k, val in (("service", service), ("severity", severity), ("q", q), ("start", start), ("end", end))
        if val
    }
    i = 0 if lang == "fr" else 1
    today = datetime.now(v.city.timezone).date().isoformat()
    # New entries appear live on the first page, unless the filter ends in the past.
    live = page == 1 and (not end or end >= today)
    live_filter = {"service": service, "severity": severity, "q": q.strip()}
    return render(
        request,
        "pilotage/oplog.html",
        live=live,
        items=items,
        total=total,
        page_number=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        chosen={"service": service, "severity": severity, "q": q, "start": start, "end": end},
        query=query,
        services=[(c, names[i]) for c, names in services_in_use(v.city).items()],
        severities=[(c, names[i]) for c, names in SEVERITIES.items()],
        service_names={c: names[i] for c, names in SERVICES.items()},
        summary=summary,
        shift=(summary.start.astimezone(v.city.timezone), summary.end.astimezone(v.city.timezone)),
        can_write=agent.can("oplog.write"),
        **page_base(
            request,
            agent,
            csrf,
            oplog={
                "live": live,
                "total": total,
                "filter": live_filter,
                "services": {c: names[i] for c, names in SERVICES.items()},
                "severities": {c: translate(lang, f"oplog.sev.{c}") for c in SEVERITIES},
            },
        ),
    )


@router.get(
    "/pilotage/videoprotection",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(module_in_use("videoprotection"))],
)
async def video_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("video.cameras"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    i = 0 if lang == "fr" else 1
    sites = await run_in_threadpool(video.list_sites, v, agent)
    alerts = await run_in_threadpool(video.list_alerts, v, agent)
    states: dict[str, int] = {}
    for s in sites:
        states[s["state"]] = states.get(s["state"], 0) + 1
    for a in alerts:
        a["text"] = ALERTS[a["kind"]][1 + i]
        a["when"] = when_local(v, a["opened_at"])
    return render(
        request,
        "pilotage/video.html",
        sites=sites,
        alerts=alerts,
        states=states,
        purposes={k: names[i] for k, names in PURPOSES.items()},
        can_manage=agent.can("video.manage"),
        **page_base(request, agent, csrf, can_manage=agent.can("video.manage")),
    )


@router.get(
    "/pilotage/videoprotection/registre",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(module_in_use("videoprotection"))],
)
async def register_page(request: Request, q: str = Query("", max_length=200)) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("video.extractions"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    i = 0 if lang == "fr" else 1
    entries = await run_in_threadpool(register.list_register, v, agent, q)  # audited
    consultations = await run_in_threadpool(video.list_consultations, v, agent)
    for e in entries:
        e["when"] = when_local(v, e["extracted_at"])
        e["span"] = f"{when_local(v, e['span_start'])} → {when_local(v, e['span_end'])}"
    for c in consultations:
        c["when"] = when_local(v, c["at"])
    return render(
        request,
        "pilotage/video_register.html",
        entries=entries,
        consultations=consultations[:50],
        q=q,
        requisitions=[(c, names[i]) for c, names in REQUISITIONS.items()],
        media=[(c, names[i]) for c, names in MEDIA.items()],
        media_names={c: names[i] for c, names in MEDIA.items()},
        requisition_names={c: names[i] for c, names in REQUISITIONS.items()},
        today=datetime.now(v.city.timezone).date().isoformat(),
        **page_base(request, agent, csrf),
    )
