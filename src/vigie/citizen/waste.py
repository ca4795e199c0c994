"""Residents' waste collection page: the days of an address, its iCalendar feed to subscribe to.

The address is searched with the platform's geocoder (its commune and street
find the zone); the feed's URL names the commune and the street only, never
the resident, so it can be shared and cached.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.addresses.geocoder import geocoder_of
from vigie.citizen.views import page_config
from vigie.citizen.web import show_page
from vigie.errors import NotFound
from vigie.residents.web import signed_in
from vigie.runtime import Vigie
from vigie.waste.ical import zone_calendar
from vigie.waste.service import collections_for, rounds_of
from vigie.web.deps import data_published
from vigie.web.formats import LOCALES
from vigie.web.i18n import request_language, translate

router = APIRouter(include_in_schema=False, dependencies=[Depends(data_published("waste"))])
SHOWN_DAYS = 28
FEED_DAYS = 366


def format_day(day: date, lang: str) -> str:
    """ "jeudi 10 décembre" / "Thursday 10 December": the day a bin goes out."""
    from babel.dates import format_date

    return format_date(day, "EEEE d MMMM", locale=LOCALES.get(lang, "fr_FR"))


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


@router.get("/dechets", response_class=HTMLResponse)
async def waste_page(request: Request) -> Response:
    v = _vigie(request)
    lang = request_language(request, v.city.default_language)
    q = " ".join(request.query_params.get("q", "").split())[:200].replace("\x00", "")

    def load() -> dict[str, Any]:
        rounds = rounds_of(v)
        out: dict[str, Any] = {
            "q": q,
            "address": None,
            "days": [],
            "zone": None,
            "feed": "",
            "missing": False,
            "commune": "",
            "rue": "",
        }
        out["notice"] = rounds.notice.get(lang, "") if rounds else ""
        if rounds is None or sum(c.isalnum() for c in q) < 3:
            return out
        center = v.city.center or {}
        found = geocoder_of(v).search(q, center.get("lat"), center.get("long"), 1)
        if not found:
            out["missing"] = True
            return out
        a = found[0]
        street = a.street or (a.name if a.type == "street" else "")
        try:
            zc = collections_for(v, a.citycode, street, datetime.now(v.city.timezone).date(), SHOWN_DAYS)
        except NotFound:
            out["address"], out["missing"] = a.label, True
            return out
        out["address"], out["zone"] = a.label, zc.zone.name
        out["commune"], out["rue"] = a.citycode, street
        out["days"] = [
            {
                "day": format_day(c.day, lang),
                "stream": c.stream.name(lang),
                "moved": c.moved_from and format_day(c.moved_from, lang),
            }
            for c in zc.collections
        ]
        out["feed"] = "/dechets/calendrier.ics?" + urlencode(
            {"commune": a.citycode, "rue": street, "nom": a.label}
        )
        return out

    data = await run_in_threadpool(load)
    who = await run_in_threadpool(signed_in, request)
    rounds = rounds_of(v)
    host = urlsplit(v.settings.public_base_url).netloc
    return show_page(
        request,
        "citizen/waste.html",
        nav="waste",
        config=page_config(request),
        csrf=who.csrf if who else "",
        streams=[{"code": c, "name": s.name(lang)} for c, s in rounds.streams.items()] if rounds else [],
        webcal=f"webcal://{host}{data['feed']}" if data["feed"] else "",
        **data,
    )


@router.get("/dechets/calendrier.ics")
async def waste_calendar(
    request: Request,
    commune: str = Query(..., min_length=1, max_length=10, description="INSEE code of the commune"),
    rue: str = Query("", max_length=200, description="Street name (a street of its own zone wins)"),
    nom: str = Query("", max_length=200, description="The address, as the calendar's title"),
) -> Response:
    v = _vigie(request)
    lang = request_language(request, v.city.default_language)

    def build() -> bytes:
        zc = collections_for(v, commune, rue, datetime.now(v.city.timezone).date(), FEED_DAYS)
        host = urlsplit(v.settings.public_base_url).netloc or "vigie"
        title = translate(lang, "waste.calendar_title")
        return zone_calendar(zc.zone, nom or zc.zone.name, zc.collections, lang, host, title)

    body = await run_in_threadpool(build)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=3600",
            "Content-Disposition": 'inline; filename="collecte.ics"',
        },
    )


__all__ = ["router"]
