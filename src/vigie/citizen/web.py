"""Residents' web app: report a problem, follow it, public map (an installable PWA).

Pages are built on the native API (/api/v1); the only endpoint added here is
the address autocomplete. The manifest, the service worker (served at /sw.js
so its scope is the whole site) and the offline page live in ``pwa.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select

from vigie.citizen.pwa import router as pwa_router
from vigie.citizen.views import (
    OPEN_STATUSES,
    STATUS_FILTERS,
    category_groups,
    compressed,
    day_bounds,
    form_services,
    history_label,
    list_item,
    local_time,
    local_url,
    media_items,
    page_config,
    parse_day,
)
from vigie.errors import NotFound
from vigie.maps.pages import map_config
from vigie.reports.actions import get_report
from vigie.reports.clusters import map_view, parse_zoom
from vigie.reports.queries import ReportFilter, apply_filter, list_reports, parse_bbox, public_filter
from vigie.reports.storage import ReportRow
from vigie.reports.tracking import Tracked, find_tracked, report_view
from vigie.reports.views import public_view
from vigie.runtime import Vigie
from vigie.traffic.actions import list_events
from vigie.web.deps import declared_query_only, run_read
from vigie.web.i18n import request_language
from vigie.web.templating import render
from vigie.winter.actions import published_conditions

router = APIRouter(include_in_schema=False)
router.include_router(pwa_router)

MAP_PAGE_SIZE = 50


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _lang(request: Request) -> str:
    return request_language(request, _vigie(request).city.default_language)


def show_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return compressed(request, render(request, template, status_code=status_code, **context))


def _when(v: Vigie) -> Callable[[str | None], str]:
    return lambda iso: local_time(v, iso)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    v = _vigie(request)
    lang = _lang(request)
    config = page_config(
        request,
        services=form_services(v, lang),
        max_photos=v.settings.max_photos_per_report,
        max_photo_bytes=v.settings.max_photo_bytes,
    )
    return show_page(
        request,
        "citizen/home.html",
        groups=category_groups(v, lang),
        config=config,
        map_config=map_config(request),
        nav="report",
    )


@router.get("/mes-signalements", response_class=HTMLResponse)
def my_reports(request: Request) -> Response:
    return show_page(request, "citizen/mine.html", config=page_config(request), nav="mine")


def _tracking(v: Vigie, tracked: Tracked, lang: str) -> dict[str, Any]:
    base = v.settings.public_base_url.rstrip("/")
    row = tracked.row
    # Same rule as /api/v1/track: a non-public report in full to its own reporter only.
    view = report_view(v, row, tracked.in_full, lang)
    view.setdefault("service_name", "")
    view.setdefault("photos", [])
    for entry in view["history"]:
        entry["label"] = history_label(lang, entry)
        entry["media"] = media_items(entry, base)
    for photo in view["photos"]:
        photo["url"] = local_url(photo["url"], base) or photo["url"]
        photo["thumbnail_url"] = local_url(photo["thumbnail_url"], base) or photo["thumbnail_url"]
    zone = v.city.zones.by_code.get(row.zone or "") if tracked.in_full else None
    view["zone_name"] = zone.name if zone else ""
    if row.duplicate_of_id:
        view["kept_reference"] = get_report(v, row.duplicate_of_id).reference
    return view


@router.get("/suivi/{token}", response_class=HTMLResponse)
async def tracking_page(token: str, request: Request) -> Response:
    v = _vigie(request)
    lang = _lang(request)
    try:
        tracked = await run_in_threadpool(find_tracked, v, token[:128])
    except NotFound:
        return show_page(
            request, "citizen/not_found.html", status_code=404, config=page_config(request), nav=""
        )
    report = await run_in_threadpool(_tracking, v, tracked, lang)
    return show_page(
        request,
        "citizen/track.html",
        report=report,
        token=token,
        config=page_config(request, token=token, report=report),
        nav="",
        when=_when(v),
        # The URL holds the tracking token: never sent onwards, kept private to the device.
        headers={"Cache-Control": "private, no-cache", "Referrer-Policy": "no-referrer"},
    )


def _map_filter(v: Vigie, request: Request) -> tuple[ReportFilter, dict[str, str]]:
    """The public map's filters, from the query string (unknown values are ignored)."""
    p = request.query_params
    chosen = {k: p.get(k, "").strip()[:64] for k in ("service", "status", "zone", "start", "end")}
    f = ReportFilter(public_only=True)
    api: dict[str, str] = {}
    service = v.catalogue.service(chosen["service"]) if chosen["service"] else None
    if service is not None and service.public:
        f.service_codes = [service.code]
        api["service_code"] = service.code
    else:
        chosen["service"] = ""
    if chosen["status"] in STATUS_FILTERS:
        f.statuses = OPEN_STATUSES if chosen["status"] == "open" else [chosen["status"]]
        api["status"] = ",".join(f.statuses)
    else:
        chosen["status"] = ""
    if chosen["zone"] in v.city.zones.by_code:
        f.zones = [chosen["zone"]]
        api["zone"] = chosen["zone"]
    else:
        chosen["zone"] = ""
    start, end = parse_day(chosen["start"]), parse_day(chosen["end"])
    chosen["start"] = start.isoformat() if start else ""
    chosen["end"] = end.isoformat() if end else ""
    f.start, f.end = day_bounds(v, start, end)
    if f.start:
        api["start"] = f.start.isoformat()
    if f.end:
        api["end"] = f.end.isoformat()
    return f, {**chosen, "api": urlencode(api)}


@functools.lru_cache(maxsize=16)
def _markdown_page(path: Path, mtime_ns: int) -> Markup:
    """A profile's Markdown page as HTML: raw HTML in it is escaped, not passed through."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("js-default").render(path.read_text(encoding="utf-8"))
    return Markup(html)  # noqa: S704 - markdown-it escapes the text (its html option is off)


@router.get("/informations/{kind}", response_class=HTMLResponse)
def legal_page(request: Request, kind: str) -> Response:
    """The city's legal notice, privacy notice, accessibility statement or contact page."""
    v = _vigie(request)
    page = v.city.legal.get(kind)
    if page is None or page.file is None:
        raise NotFound(f"no page '{kind}'")
    try:
        body = _markdown_page(page.file, page.file.stat().st_mtime_ns)
    except OSError:
        raise NotFound(f"no page '{kind}'") from None
    return show_page(request, "citizen/legal.html", kind=kind, body=body)


def _road_news(v: Vigie) -> dict[str, Any]:
    """What residents are told of the roads: driving conditions per priority network (winter
    service) and the roadworks and closures in force or coming (traffic), of the modules the
    city uses. No one's name."""
    return {
        "conditions": published_conditions(v) if v.city.uses("winter") else [],
        "events": list_events(v, horizon_days=7) if v.city.uses("traffic") else [],
    }


@router.get("/carte", response_class=HTMLResponse)
async def public_map(request: Request, page: int = Query(1, ge=1, le=10_000)) -> Response:
    v = _vigie(request)
    lang = _lang(request)
    f, chosen = _map_filter(v, request)
    policy = v.city.publication
    rows, more = await run_read(request, list_reports, v, public_filter(policy, f), page, MAP_PAGE_SIZE)
    items = [list_item(public_view(r, v.catalogue, lang, policy=policy), v) for r in rows]
    query = {k: chosen[k] for k in ("service", "status", "zone", "start", "end") if chosen[k]}
    road = await run_read(request, _road_news, v)
    return show_page(
        request,
        "citizen/map.html",
        road=road,
        groups=category_groups(v, lang, public_only=True),
        zones=sorted(v.city.zones.zones, key=lambda z: z.name),
        statuses=STATUS_FILTERS,
        chosen=chosen,
        items=items,
        page=page,
        prev_url=f"/carte?{urlencode({**query, 'page': page - 1})}" if page > 1 else "",
        next_url=f"/carte?{urlencode({**query, 'page': page + 1})}" if more else "",
        config=page_config(
            request,
            api_query=chosen["api"],
            map_query=urlencode(query),
        ),
        when=_when(v),
        map_config=map_config(request),
        nav="map",
    )


@router.get(
    "/api/v1/map",
    summary="Public reports in view, clustered by the database (the public map)",
    dependencies=[Depends(declared_query_only)],
)
async def public_map_view(
    request: Request,
    bbox: str = Query(..., description="min_long,min_lat,max_long,max_lat"),
    zoom: str = Query("13", description="The map's zoom level (0 to 22)"),
    # The page's filters, read by _map_filter as on /carte (a value it does not know is
    # ignored); declared so that web.deps.declared_query_only accepts them.
    service: str = Query("", description="A public service's code"),
    status: str = Query("", description="open, or one status"),
    zone: str = Query("", description="A zone (commune) code"),
    start: str = Query("", description="From this day (YYYY-MM-DD)"),
    end: str = Query("", description="Up to this day (YYYY-MM-DD)"),
) -> Response:
    """What the public map shows of the area in view, at any number of reports (no cap).

    Filters as on /carte (service, status, zone, days); only public reports, public fields.
    """
    v = _vigie(request)
    lang = _lang(request)
    f, _ = _map_filter(v, request)
    f.bbox = parse_bbox(bbox)
    level = parse_zoom(zoom)
    policy = v.city.publication
    f = public_filter(policy, f)

    def answer() -> dict[str, Any]:
        key = ("public", tuple(f.service_codes), tuple(f.statuses), tuple(f.zones), f.start, f.end)
        view = map_view(
            v, lambda stmt: apply_filter(stmt, f), f.bbox or (0, 0, 0, 0), level, key, policy=policy
        )
        # A cluster's centre is an average of positions: snapped like a single report's.
        centres = [(policy.position(c.lat, c.long), c.count) for c in view.clusters]
        return {
            "total": view.total,
            "clusters": [{"lat": lat, "long": long, "count": n} for (lat, long), n in centres],
            "points": [public_view(r, v.catalogue, lang, policy=policy) for r in view.points],
        }

    return JSONResponse(await run_read(request, answer), headers={"Cache-Control": "no-cache"})


def _known_addresses(v: Vigie, q: str) -> list[dict[str, Any]]:
    if not v.city.publication.exact_position:
        return []  # addresses name houses: not published where positions are coarsened
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    n = func.count(ReportRow.id)
    stmt = (
        select(ReportRow.address, func.avg(ReportRow.lat), func.avg(ReportRow.long), n)
        .where(
            ReportRow.public.is_(True),
            ReportRow.address != "",
            func.lower(ReportRow.address).like(f"%{escaped}%", escape="\\"),
        )
        .group_by(ReportRow.address)
        .order_by(n.desc(), ReportRow.address)
        .limit(10)
    )
    with v.db.session() as s:
        rows = s.execute(stmt).all()
    return [
        {
            "address": address,
            "lat": round(lat, 6) if lat is not None else None,
            "long": round(long, 6) if long is not None else None,
        }
        for address, lat, long, _ in rows
    ]


@router.get("/api/v1/addresses", dependencies=[Depends(declared_query_only)])
async def addresses(request: Request, q: str = Query("", max_length=200)) -> JSONResponse:
    """Addresses already given in public reports that contain ``q`` (at most 10)."""
    q = " ".join(q.split())
    found = await run_in_threadpool(_known_addresses, _vigie(request), q) if len(q) >= 2 else []
    return JSONResponse(found, headers={"Cache-Control": "public, max-age=60"})
