"""What the residents' pages show: the catalogue for the report form, the public list, labels.

Everything here is built from public data only (``reports.views.public_view``
and the catalogue); personal fields never reach a resident-facing page.
"""

from __future__ import annotations

import gzip
import time as clock
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from vigie.catalogue.domain import Service
from vigie.places.storage import PlaceRow
from vigie.reports.domain import CLOSED, Status
from vigie.residents.web import signed_in
from vigie.runtime import Vigie
from vigie.transport.storage import TransitStopRow
from vigie.web import formats
from vigie.web.i18n import catalog, city_terms, request_language, translate
from vigie.web.templating import asset_url

OPEN_STATUSES = [s.value for s in Status if s not in CLOSED]
# Status filters offered on the public map ("open" groups every open status).
STATUS_FILTERS = [
    "open",
    "new",
    "acknowledged",
    "assigned",
    "in_progress",
    "reopened",
    "resolved",
    "rejected",
]
JS_PREFIXES = ("citizen.js.", "citizen.status.", "citizen.history.", "account.favourite.")


def fold(text: str) -> str:
    """Lower case without accents, for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def js_messages(lang: str, terms: dict[str, str] | None = None) -> dict[str, str]:
    """The texts the page scripts need, in the page's language (the city's own words filled in)."""
    keys = [k for k in catalog()["fr"] if k.startswith(JS_PREFIXES)]
    t = terms or {}
    return {k.removeprefix("citizen."): translate(lang, k, **t) for k in keys}


def page_config(request: Request, **extra: Any) -> dict[str, Any]:
    """Data every citizen page script reads (``citizen-config``)."""
    v: Vigie = request.app.state.vigie
    lang = request_language(request, v.city.default_language)
    return {
        "lang": lang,
        "messages": js_messages(lang, city_terms(v.city, lang)),
        "public_base": v.settings.public_base_url.rstrip("/"),
        # Signed in to a resident account: the scripts keep the device's lists in step with it.
        "account": {"csrf": who.csrf} if (who := signed_in(request)) else None,
        "leaflet": {
            "js": asset_url("vendor/leaflet/leaflet.js"),
            "css": asset_url("vendor/leaflet/leaflet.css"),
        },
        **extra,
    }


def compressed(request: Request, response: Response) -> Response:
    """Gzip a page when the browser accepts it (the home page holds the whole catalogue)."""
    accepted = request.headers.get("accept-encoding", "")
    if "gzip" not in accepted or len(response.body) < 1024 or "content-encoding" in response.headers:
        return response
    body = gzip.compress(bytes(response.body), compresslevel=6)
    response.body = body
    response.headers["content-length"] = str(len(body))
    response.headers["content-encoding"] = "gzip"
    response.headers["vary"] = "Accept-Encoding, Cookie"
    return response


def _attribute(a: Any, lang: str) -> dict[str, Any]:
    return {
        "code": a.code,
        "type": a.datatype.value,
        "required": a.required,
        "variable": a.variable,
        "public": a.public,
        "label": a.description.get(lang),
        "values": [{"key": x.key, "name": x.name.get(lang)} for x in a.values],
    }


def form_services(v: Vigie, lang: str) -> dict[str, Any]:
    """Per service: name, public flag and extra questions (for the report form's script)."""
    out: dict[str, Any] = {}
    for s in v.catalogue.resident_services():
        out[s.code] = {
            "name": s.name.get(lang),
            "public": s.public,
            "attributes": [_attribute(a, lang) for a in sorted(s.attributes, key=lambda a: a.order)],
        }
    return out


def _search_text(s: Service, group_name: str, lang: str) -> str:
    names = [s.name.get(lang), s.name.get("fr"), group_name, *s.keywords]
    return fold(" ".join(dict.fromkeys(names)))


def category_groups(v: Vigie, lang: str, public_only: bool = False) -> list[dict[str, Any]]:
    """Groups with their services, in catalogue order."""
    groups = []
    for g in v.catalogue.groups.values():
        name = g.name.get(lang)
        services = [
            {
                "code": s.code,
                "name": s.name.get(lang),
                "description": s.description.get(lang),
                "search": _search_text(s, name, lang),
                "public": s.public,
            }
            for s in v.catalogue.resident_services()
            if s.group == g.code and (s.public or not public_only)
        ]
        if services:
            groups.append({"code": g.code, "name": name, "icon": g.icon or "dot", "services": services})
    return groups


def day_bounds(v: Vigie, start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Calendar days in the city's time zone as an inclusive datetime range."""
    tz = v.city.timezone
    first = datetime.combine(start, time.min, tzinfo=tz) if start else None
    last = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz) if end else None
    if last is not None:
        last -= timedelta(microseconds=1)
    return first, last


def local_time(v: Vigie, iso: str | None) -> str:
    """A date-time as the city reads it (the page's script refines it to the reader's locale)."""
    if not iso:
        return ""
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if dt.tzinfo is not None:
        dt = dt.astimezone(v.city.timezone)
    return formats.when(dt, "fr")


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def list_item(view: dict[str, Any], v: Vigie) -> dict[str, Any]:
    """A public report as shown in the public list: no description, photos or personal data."""
    zone = v.city.zones.by_code.get(view.get("zone") or "")
    return {
        "id": view["id"],
        "reference": view["reference"],
        "service_name": view["service_name"],
        "group": view["group"],
        "status": view["status"],
        "address": view["address"],
        "zone_name": zone.name if zone else "",
        "requested_at": view["requested_at"],
        "lat": view["lat"],
        "long": view["long"],
    }


def history_label(lang: str, entry: dict[str, Any]) -> str:
    """The resident-facing label of one history entry (kept in step with track.js)."""
    kind = entry.get("kind")
    key = f"citizen.history.status_{entry.get('status')}" if kind == "status" else f"citizen.history.{kind}"
    text = translate(lang, key)
    return text if text != key else translate(lang, "citizen.history.other")


def media_items(entry: dict[str, Any], base: str) -> list[dict[str, str]]:
    """Pictures attached to a history entry: same-site ones are shown, others only linked.

    An external picture (an Open311 ``media_url``) is never loaded by the page,
    so reading a tracking page sends no request to another host.
    """
    media = entry.get("media") or []
    if isinstance(media, str):
        media = [media]
    out = []
    for m in media:
        url = str(m)
        local = local_url(url, base)
        if local:
            out.append({"src": local, "href": local})
        elif url.startswith(("http://", "https://")):
            out.append({"src": "", "href": url})
    return out


def local_url(url: str, base: str) -> str:
    """Same-site path of one of our photos ('' for another site's URL).

    ``base`` is the public base URL the API writes in front of photo paths.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    ours = not parts.netloc or url.startswith(base.rstrip("/") + "/")
    if ours and parts.path.startswith("/api/v1/photos/"):
        return parts.path
    return ""


# The residents' menu and pages ask the database at most once a minute: an import shows its
# pages within a minute. Settings are read every time (they cost nothing to read).
SECTIONS_SECONDS = 60.0


def resident_sections(v: Vigie) -> dict[str, bool]:
    """Which of the residents' pages that follow the city's data have something to show:
    public transport (stops imported, or car parks), places, waste collection rounds, the
    library's catalogue. The menu lists those only, and the others answer a 404 saying the
    city publishes no such data (``web.deps.data_published``, keys of RESIDENT_SECTIONS)."""
    now = clock.monotonic()
    cached = v.caches.resident_sections
    if cached is not None and cached[0] > now:
        imported = cached[1]
    else:
        with v.db.engine.connect() as conn:
            imported = {
                "stops": conn.scalar(select(TransitStopRow.id).limit(1)) is not None,
                "places": conn.scalar(select(PlaceRow.id).limit(1)) is not None,
            }
        v.caches.resident_sections = (now + SECTIONS_SECONDS, imported)
    return {
        "transport": imported["stops"] or bool(v.settings.transport_car_parks),
        "places": imported["places"],
        "waste": bool(v.settings.waste_rounds),
        "library": bool(v.settings.library_sru_url),
    }
