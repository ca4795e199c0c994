"""Control-room pages of one video-protection site and one camera (the video roles only).

- ``GET /pilotage/videoprotection/systemes/nouveau`` (``video.manage``): the form that
  records a system and its prefectoral authorisation.
- ``GET /pilotage/videoprotection/systemes/{id}`` (``video.cameras``): a system in full,
  its cameras and open alerts, and (``video.manage``) the form that changes it. Opening
  it is a consultation, audited by ``videoprotection.actions.get_site``.
- ``GET /pilotage/videoprotection/cameras/{id}`` (``video.cameras``): one camera, its
  site, masks and signage, and (``video.manage``) the form that changes them; audited
  by ``videoprotection.actions.get_camera``.

The forms send JSON to ``/api/v1/videoprotection`` (static/js/pilotage/video_site.js),
whose 422 names the field at fault: the script shows the message and focuses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.accounts.domain import Agent
from vigie.errors import NotFound
from vigie.pilotage import context as ctx
from vigie.pilotage.video import page_base, when_local
from vigie.runtime import Vigie
from vigie.videoprotection import actions as video
from vigie.videoprotection.domain import ALERTS, OPINIONS, PURPOSES, RETENTION_MAX_DAYS
from vigie.web.deps import DbId, module_in_use
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(module_in_use("videoprotection"))])

# The video pages' keyboard shortcuts (shown by `?`; single keys, never while typing).
SHORTCUTS_SITE = [
    (["e"], "vs.help.edit"),
    (["c"], "vs.help.cameras"),
    (["u"], "vs.help.up"),
]
SHORTCUTS_CAMERA = [
    (["e"], "vs.help.edit_camera"),
    (["s"], "vs.help.site"),
    (["u"], "vs.help.up"),
]


def _not_found(request: Request, agent: Agent, csrf: str) -> Response:
    return render(
        request,
        "error.html",
        status_code=404,
        title_key="error.not_found",
        text_key="vs.not_found",
        agent=agent,
        csrf_token=csrf,
    )


def _choices(v: Vigie, lang: str) -> dict[str, Any]:
    i = 0 if lang == "fr" else 1
    return {
        "purposes": [(code, names[i]) for code, names in PURPOSES.items()],
        "purpose_names": {code: names[i] for code, names in PURPOSES.items()},
        "opinions": [(code, names[i]) for code, names in OPINIONS.items()],
        "opinion_names": {code: names[i] for code, names in OPINIONS.items()},
        "zones": ctx.sorted_zones(v),
        "zone_names": {z.code: z.name for z in v.city.zones.zones},
        "retention_max": RETENTION_MAX_DAYS,
    }


def _site_alerts(v: Vigie, agent: Agent, lang: str, site_id: int | None, asset_id: str = "") -> list[Any]:
    i = 1 if lang == "fr" else 2
    out = []
    for a in video.list_alerts(v, agent):
        if (asset_id and a["asset_id"] == asset_id) or (not asset_id and a["site_id"] == site_id):
            a["text"] = ALERTS[a["kind"]][i]
            a["when"] = when_local(v, a["opened_at"])
            out.append(a)
    return out


@router.get("/pilotage/videoprotection/systemes/nouveau", response_class=HTMLResponse, response_model=None)
async def new_site_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("video.manage"):
        return forbidden_page(request)
    return _site_page(request, agent, csrf, None, [], [(["u"], "vs.help.up")], True)


@router.get("/pilotage/videoprotection/systemes/{site_id}", response_class=HTMLResponse, response_model=None)
async def site_page(site_id: DbId, request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("video.cameras"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    try:
        site = await run_in_threadpool(video.get_site, v, agent, site_id)  # audited
    except NotFound:
        return _not_found(request, agent, csrf)
    alerts = await run_in_threadpool(_site_alerts, v, agent, lang, site_id)
    can_manage = agent.can("video.manage")
    shortcuts = SHORTCUTS_SITE if can_manage else SHORTCUTS_SITE[1:]
    return _site_page(request, agent, csrf, site, alerts, shortcuts, can_manage)


def _site_page(
    request: Request,
    agent: Agent,
    csrf: str,
    site: dict[str, Any] | None,
    alerts: list[Any],
    shortcuts: list[tuple[list[str], str]],
    can_manage: bool,
) -> Response:
    """A system's page, or with ``site`` None the form recording a new one."""
    v: Vigie = request.app.state.vigie
    return render(
        request,
        "pilotage/video_site.html",
        site=site,
        alerts=alerts,
        shortcuts=shortcuts,
        can_manage=can_manage,
        today=datetime.now(v.city.timezone).date().isoformat(),
        **_choices(v, ctx.page_lang(request)),
        **page_base(request, agent, csrf, site_id=site["id"] if site else None),
    )


@router.get("/pilotage/videoprotection/cameras/{asset_id}", response_class=HTMLResponse, response_model=None)
async def camera_page(asset_id: str, request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("video.cameras"):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    try:
        camera = await run_in_threadpool(video.get_camera, v, agent, asset_id)  # audited
    except NotFound:
        return _not_found(request, agent, csrf)
    alerts = await run_in_threadpool(_site_alerts, v, agent, lang, None, camera["id"])
    can_manage = agent.can("video.manage")
    sites = await run_in_threadpool(video.list_sites, v, agent) if can_manage else []
    return render(
        request,
        "pilotage/video_camera.html",
        camera=camera,
        alerts=alerts,
        sites=sites,
        shortcuts=SHORTCUTS_CAMERA if can_manage else SHORTCUTS_CAMERA[1:],
        can_manage=can_manage,
        zone_names={z.code: z.name for z in v.city.zones.zones},
        **page_base(request, agent, csrf, camera_id=camera["id"]),
    )
