"""OGC API – Features on the web (/api/ogc): Core, GeoJSON, HTML and OpenAPI 3.0.

The landing page, /conformance, /api (the OpenAPI 3.0 document), /collections,
/collections/{id}, its items and each item, as JSON (GeoJSON for features) or
HTML pages, chosen by ``f=`` or else the Accept header. Collections are the
published datasets with a position (``ogc.py``); errors are the standard's
exception JSON (``code``, ``description``) with a 4xx naming the problem.

Every route is on the one ``router``: a dependency given to it (API keys and
quotas) covers the whole OGC API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from vigie.errors import NotFound, VigieError
from vigie.maps.pages import map_config
from vigie.opendata.domain import LICENCES
from vigie.opendata.ogc import (
    CRS84,
    TRS_GREGORIAN,
    Collection,
    InvalidParameter,
    collection_of,
    extent,
    features,
    item,
    items,
    parse_items,
)
from vigie.opendata.ogc_openapi import OPENAPI_MEDIA, document
from vigie.opendata.queries import published_dataset, published_datasets, release_store
from vigie.opendata.release_tables import ReleaseTables, release_tables
from vigie.reusers.quota import enforce
from vigie.runtime import Vigie
from vigie.web.i18n import request_language, translate
from vigie.web.templating import render

PREFIX = "/api/ogc"


async def _quota(request: Request) -> None:
    """The open data quotas (vigie.reusers.quota) count every OGC API request, with the records
    API's. A refusal (429, an unknown key's 401) is kept for ``_answer``, which writes it in the
    OGC API's own error shape: raised here, the app would answer the native API's problem JSON,
    which GIS clients do not read."""
    try:
        await run_in_threadpool(enforce, request, "ogc")
    except VigieError as exc:
        request.state.ogc_refused = exc


router = APIRouter(prefix=PREFIX, tags=["open data: OGC API – Features"], dependencies=[Depends(_quota)])

SPEC = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE = [SPEC + "core", SPEC + "oas30", SPEC + "html", SPEC + "geojson"]
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
PLAIN_PARAMS = frozenset({"f", "lang", "apikey", "api_key"})
MAP_POINTS = 1000  # points drawn on an items page's map


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _tables(v: Vigie) -> ReleaseTables:
    return release_tables(v)


def _base(request: Request) -> str:
    # The settings' public address, never the request's Host or X-Forwarded-* (anyone can forge
    # them, and a cache would hand the forged links to everyone).
    return _vigie(request).settings.public_base_url.rstrip("/") + PREFIX


def _wants_html(request: Request, formats: tuple[str, ...] = ("json", "html")) -> bool:
    """``f=`` decides; else the Accept header's preferred type (JSON when it names neither)."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in formats:
            raise InvalidParameter(f"f must be one of {', '.join(formats)}, got {f[:20]!r}")
        return f == "html"
    best_html, best_json = 0.0, 0.0
    for part in request.headers.get("accept", "").split(","):
        media, _, rest = part.strip().partition(";")
        q = 1.0
        for p in rest.split(";"):
            key, _, value = p.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, q)
        elif media.endswith("json"):
            best_json = max(best_json, q)
    return best_html > best_json


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang is not None and lang not in ("fr", "en"):
        raise InvalidParameter(f"lang must be fr or en, got {lang[:20]!r}")
    return request_language(request, _vigie(request).city.default_language)


def _only(request: Request, allowed: frozenset[str] = PLAIN_PARAMS) -> None:
    for key in request.query_params:
        if key not in allowed:
            names = ", ".join(sorted(allowed - {"apikey", "api_key"}))
            raise InvalidParameter(f"unknown parameter {key[:40]!r} (accepted here: {names})")


def _json(body: Any, media: str = JSON) -> Response:
    return Response(orjson.dumps(body), media_type=media)


def _error(request: Request, exc: VigieError) -> Response:
    code = getattr(exc, "error_code", None) or {
        401: "InvalidAPIKey",
        404: "NotFound",
        429: "TooManyRequests",
        503: "ServiceUnavailable",
    }.get(exc.status, "InvalidParameterValue" if exc.status < 500 else "ServerError")
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else None
    try:
        html = _wants_html(request)
    except InvalidParameter:
        html = False
    if html:
        page = render(
            request, "opendata/ogc_error.html", status_code=exc.status, nav="opendata", message=exc.message
        )
        if headers:
            page.headers.update(headers)
        return page
    return Response(
        orjson.dumps({"code": code, "description": exc.message}),
        status_code=exc.status,
        media_type=JSON,
        headers=headers,
    )


error_answer = _error  # what the app answers under /api/ogc outside these routes


def _answer(request: Request, fn: Callable[[], Response]) -> Response:
    refused = getattr(request.state, "ogc_refused", None)
    if refused is not None:
        return _error(request, refused)
    try:
        return fn()
    except VigieError as exc:
        return _error(request, exc)


def _link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _self_and_alternate(href: str, html: bool, media: str = JSON, query: str = "") -> list[dict[str, str]]:
    sep = "&" if query else ""
    as_json = _link(f"{href}?{query}{sep}f=json", "self" if not html else "alternate", media, "JSON")
    as_html = _link(f"{href}?{query}{sep}f=html", "self" if html else "alternate", HTML, "HTML")
    return [as_json, as_html]


def _collections(v: Vigie) -> list[Collection]:
    found = [collection_of(p) for p in published_datasets(v)]
    return [c for c in found if c is not None]


def _collection(v: Vigie, collection_id: str) -> Collection:
    try:
        p = published_dataset(v, collection_id)
    except NotFound:
        raise NotFound(f"unknown collection {collection_id[:64]!r}") from None
    c = collection_of(p)
    if c is None:
        raise NotFound(
            f"dataset {collection_id!r} has no position, so it is no collection here "
            "(read it through the records API)"
        )
    return c


def _path(v: Vigie, c: Collection) -> Any:
    return release_store(v).local_path(c.published.release.file_key)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _collection_view(v: Vigie, base: str, c: Collection, lang: str, html: bool) -> dict[str, Any]:
    m = c.published.metadata
    href = f"{base}/collections/{c.id}"
    span = extent(_tables(v), c, _path(v, c))
    bbox = span.bbox or m.spatial_bbox
    licence = LICENCES.get(m.licence)
    out: dict[str, Any] = {
        "id": c.id,
        "title": m.title(lang),
        "description": m.description(lang),
        "keywords": list(m.keywords),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(bbox)] if bbox else [], "crs": CRS84}},
        "links": [
            *_self_and_alternate(href, html),
            _link(f"{href}/items?f=json", "items", GEOJSON, "Features (GeoJSON)"),
            _link(f"{href}/items?f=html", "items", HTML, "Features (HTML)"),
            *([_link(licence.url, "license", HTML, licence.title)] if licence is not None else []),
        ],
    }
    if c.time is not None:
        out["extent"]["temporal"] = {
            "interval": [[_iso(span.start), _iso(span.end)]],
            "trs": TRS_GREGORIAN,
        }
    return out


def _title(request: Request, lang: str) -> str:
    return translate(lang, "opendata.ogc.title", city=_vigie(request).city.name)


# -- routes ----------------------------------------------------------------------------------


@router.get("", summary="OGC API – Features: the landing page", response_model=None)
def landing(request: Request) -> Response:
    def answer() -> Response:
        _only(request)
        html, lang = _wants_html(request), _lang(request)
        base = _base(request)
        body = {
            "title": _title(request, lang),
            "description": translate(lang, "opendata.ogc.description"),
            "links": [
                *_self_and_alternate(base, html),
                _link(f"{base}/api", "service-desc", OPENAPI_MEDIA, "OpenAPI 3.0"),
                _link(f"{base}/api?f=html", "service-doc", HTML, "API (HTML)"),
                _link(f"{base}/conformance", "conformance", JSON, "Conformance"),
                _link(f"{base}/collections", "data", JSON, "Collections"),
            ],
        }
        if html:
            return render(request, "opendata/ogc_landing.html", nav="opendata", body=body, base=base)
        return _json(body)

    return _answer(request, answer)


@router.get("/conformance", summary="OGC API – Features: conformance classes", response_model=None)
def conformance(request: Request) -> Response:
    def answer() -> Response:
        _only(request)
        _lang(request)
        body = {"conformsTo": CONFORMANCE}
        if _wants_html(request):
            return render(
                request, "opendata/ogc_conformance.html", nav="opendata", body=body, base=_base(request)
            )
        return _json(body)

    return _answer(request, answer)


@router.get("/api", summary="OGC API – Features: its OpenAPI 3.0 document", response_model=None)
def api(request: Request) -> Response:
    def answer() -> Response:
        _only(request)
        lang = _lang(request)
        doc = document(_base(request), _title(request, lang), _collections(_vigie(request)))
        if _wants_html(request):
            return render(request, "opendata/ogc_api.html", nav="opendata", doc=doc, base=_base(request))
        return Response(orjson.dumps(doc), media_type=OPENAPI_MEDIA)

    return _answer(request, answer)


@router.get("/collections", summary="OGC API – Features: the collections", response_model=None)
def collections(request: Request) -> Response:
    def answer() -> Response:
        _only(request)
        html, lang = _wants_html(request), _lang(request)
        v, base = _vigie(request), _base(request)
        body = {
            "links": _self_and_alternate(f"{base}/collections", html),
            "collections": [_collection_view(v, base, c, lang, html) for c in _collections(v)],
        }
        if html:
            return render(request, "opendata/ogc_collections.html", nav="opendata", body=body, base=base)
        return _json(body)

    return _answer(request, answer)


@router.get("/collections/{collection_id}", summary="OGC API – Features: one collection", response_model=None)
def collection(request: Request, collection_id: str) -> Response:
    def answer() -> Response:
        _only(request)
        html, lang = _wants_html(request), _lang(request)
        v, base = _vigie(request), _base(request)
        c = _collection(v, collection_id)
        body = _collection_view(v, base, c, lang, html)
        if html:
            return render(
                request,
                "opendata/ogc_collection.html",
                nav="opendata",
                body=body,
                base=base,
                properties=c.properties,
                time_column=c.time,
            )
        return _json(body)

    return _answer(request, answer)


def _page_links(
    request: Request, href: str, offset: int, limit: int, matched: int, html: bool
) -> list[dict[str, str]]:
    # The limit used, which may be the maximum instead of the one asked.
    kept = [
        (k, str(limit) if k == "limit" else val)
        for k, val in request.query_params.multi_items()
        if k not in ("f", "offset")
    ]
    query = urlencode(kept)
    out = _self_and_alternate(
        href, html, GEOJSON, urlencode([*kept, ("offset", str(offset))]) if offset else query
    )
    fmt = "html" if html else "json"
    media = HTML if html else GEOJSON
    if offset + limit < matched:
        out.append(
            _link(
                f"{href}?{urlencode([*kept, ('offset', str(offset + limit)), ('f', fmt)])}",
                "next",
                media,
                "Next page",
            )
        )
    if offset > 0:
        prev = max(0, offset - limit)
        out.append(
            _link(
                f"{href}?{urlencode([*kept, ('offset', str(prev)), ('f', fmt)])}",
                "prev",
                media,
                "Previous page",
            )
        )
    return out


@router.get(
    "/collections/{collection_id}/items",
    summary="OGC API – Features: a collection's features (bbox, datetime, limit, offset, property filters)",
    response_model=None,
)
def collection_items(request: Request, collection_id: str) -> Response:
    def answer() -> Response:
        html = _wants_html(request, ("json", "geojson", "html"))
        lang = _lang(request)
        v, base = _vigie(request), _base(request)
        c = _collection(v, collection_id)
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        q = parse_items(c, params)
        page = items(_tables(v), c, _path(v, c), q)
        found = features(c, page.rows)
        href = f"{base}/collections/{c.id}/items"
        links = _page_links(request, href, q.offset, q.limit, page.matched, html)
        links.append(
            _link(f"{base}/collections/{c.id}", "collection", JSON, c.published.metadata.title(lang))
        )
        body = {
            "type": "FeatureCollection",
            "features": found,
            "numberMatched": page.matched,
            "numberReturned": len(found),
            "timeStamp": _iso(datetime.now(UTC)),
            "links": links,
        }
        if html:
            return render(
                request,
                "opendata/ogc_items.html",
                nav="opendata",
                body=body,
                base=base,
                c=c,
                title=c.published.metadata.title(lang),
                columns=list(c.properties),
                offset=q.offset,
                points=_points(found),
                map_config=map_config(request),
            )
        return _json(body, GEOJSON)

    return _answer(request, answer)


def _points(found: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The page's points for the map of opendata.js (latitude, longitude, label)."""
    points = [
        [f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0], str(f["id"])]
        for f in found[:MAP_POINTS]
        if f["geometry"] is not None
    ]
    return {"points": points, "total": len(found), "shown": len(points)} if points else None


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="OGC API – Features: one feature",
    response_model=None,
)
def collection_item(request: Request, collection_id: str, feature_id: str) -> Response:
    def answer() -> Response:
        _only(request)
        html = _wants_html(request, ("json", "geojson", "html"))
        lang = _lang(request)
        v, base = _vigie(request), _base(request)
        c = _collection(v, collection_id)
        feature = item(_tables(v), c, _path(v, c), feature_id)
        href = f"{base}/collections/{c.id}/items/{feature['id']}"
        feature["links"] = [
            *_self_and_alternate(href, html, GEOJSON),
            _link(f"{base}/collections/{c.id}", "collection", JSON, c.published.metadata.title(lang)),
        ]
        if html:
            return render(
                request,
                "opendata/ogc_item.html",
                nav="opendata",
                feature=feature,
                base=base,
                c=c,
                title=c.published.metadata.title(lang),
                points=_points([feature]),
                map_config=map_config(request),
            )
        return _json(feature, GEOJSON)

    return _answer(request, answer)


__all__ = ["PREFIX", "router"]
