"""The DCAT-AP catalogue on the web: ``/donnees/catalogue`` (content negotiation) and
``/donnees/catalogue.jsonld``, ``.ttl``, ``.rdf`` (explicit), paged with ``page`` and ``page_size``.

Harvesters (data.gouv.fr's udata, CKAN's ckanext-dcat, data.europa.eu) pick the
format from the URL's extension or the ``Accept`` header and follow the Hydra
``next`` links. A serialised page is kept in memory, keyed by everything it is
built from (published releases and metadata), and carries an ETag.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from vigie.digits import whole_number
from vigie.errors import BadRequest, NotAcceptable, NotFound
from vigie.opendata.queries import first_published, published_datasets, time_span
from vigie.runtime import Vigie

# Where the catalogue is served; vigie.opendata.dcat names the same path in the graph's
# IRIs (kept apart, like explore_web.BASE, so that routing does not import rdflib).
CATALOGUE_PATH = "/donnees/catalogue"

router = APIRouter(tags=["open data: DCAT-AP catalogue"])

# extension -> (rdflib format, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
}
# Accept media types -> extension (application/json and */* get JSON-LD).
ACCEPTED: dict[str, str] = {
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/rdf+xml": "rdf",
    "application/xml": "rdf",
    "text/xml": "rdf",
}
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000

# Compact JSON-LD: the usual prefixes, so that keys read dcat:…, dct:…
CONTEXT: dict[str, Any] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
    "spdx": "http://spdx.org/rdf/terms#",
    "locn": "http://www.w3.org/ns/locn#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class _Cache:
    """The last serialised pages (a catalogue changes only with a release or its metadata)."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: str, body: bytes) -> None:
        with self.lock:
            self.items[key] = body
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_cache = _Cache()


def negotiate(accept: str) -> str | None:
    """The extension of the best format for an ``Accept`` header (None: nothing acceptable).

    Highest ``q`` first; at the same ``q`` a named type before a wildcard, then the
    order written. No header, or a wildcard, gets JSON-LD.
    """
    if not accept.strip():
        return "jsonld"
    best: tuple[tuple[float, int, int], str] | None = None
    for order, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media in ACCEPTED:
            ext = ACCEPTED[media]
        elif media in ("*/*", "application/*"):
            ext = "jsonld"
        else:
            continue
        rank = (q, 0 if "*" in media else 1, -order)
        if best is None or rank > best[0]:
            best = (rank, ext)
    return best[1] if best else None


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    value = whole_number(text)
    if value is None:
        raise BadRequest(f"{name} must be a whole number, got {text[:20]!r}", field=name)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {value}", field=name)
    return value


def _check_params(request: Request) -> None:
    # A reuser's key may ride along in the URL, as on the records API.
    unknown = sorted(set(request.query_params) - {"page", "page_size", "apikey", "api_key"})
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0][:40]!r} (accepted: page, page_size)")


def render_catalogue(v: Vigie, ext: str, number: int, size: int, explicit: bool) -> tuple[bytes, str]:
    """One page in one format: (body, ETag)."""
    # Imported here: rdflib (~20 MB) is loaded when a catalogue is first rendered.
    from vigie.opendata.dcat import Entry, Page, catalogue_graph

    published = published_datasets(v)
    total = len(published)
    page = Page(number, size, total, ext if explicit else "")
    if number > page.last:
        raise NotFound(f"the catalogue has {page.last} page(s) of {size} datasets; no page {number}")
    base = v.settings.public_base_url.rstrip("/")
    fingerprint = orjson.dumps(
        [
            base,
            v.city.name,
            v.city.timezone.key,
            ext,
            explicit,
            number,
            size,
            [(p.id, p.release.sha256, p.release.version, p.metadata.to_json()) for p in published],
        ]
    )
    key = hashlib.sha256(fingerprint).hexdigest()
    etag = f'"{key[:32]}"'
    body = _cache.get(key)
    if body is None:
        first = first_published(v)
        chunk = published[(number - 1) * size : number * size]
        entries = [Entry(p, first.get(p.id, p.release.created_at), time_span(v, p)) for p in chunk]
        graph = catalogue_graph(entries, page, base, v.city.name)
        rdf_format, _ = FORMATS[ext]
        extra: dict[str, Any] = {"context": CONTEXT, "auto_compact": True} if ext == "jsonld" else {}
        body = graph.serialize(format=rdf_format, encoding="utf-8", **extra)
        _cache.put(key, body)
    return body, etag


def _answer(request: Request, ext: str, explicit: bool) -> Response:
    v: Vigie = request.app.state.vigie
    _check_params(request)
    number = _int(request, "page", 1, 1, 1_000_000)
    size = _int(request, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    body, etag = render_catalogue(v, ext, number, size, explicit)
    base = v.settings.public_base_url.rstrip("/")
    alternates = ", ".join(
        f'<{base}{CATALOGUE_PATH}.{e}>; rel="alternate"; type="{media}"' for e, (_, media) in FORMATS.items()
    )
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "Link": alternates}
    if not explicit:
        headers["Vary"] = "Accept"
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=FORMATS[ext][1], headers=headers)


@router.get(
    CATALOGUE_PATH,
    summary="The DCAT-AP catalogue of the published datasets (JSON-LD, Turtle or RDF/XML by Accept)",
    response_model=None,
)
async def catalogue(request: Request) -> Response:
    ext = negotiate(request.headers.get("accept", ""))
    if ext is None:
        kinds = ", ".join(sorted({m for _, m in FORMATS.values()}))
        raise NotAcceptable(f"the catalogue is served as {kinds}")
    return await run_in_threadpool(_answer, request, ext, False)


@router.get(
    CATALOGUE_PATH + ".{ext}",
    summary="The DCAT-AP catalogue in one format: .jsonld, .ttl or .rdf",
    response_model=None,
)
async def catalogue_as(request: Request, ext: str) -> Response:
    if ext not in FORMATS:
        raise NotFound(f"no catalogue format {ext[:20]!r} (formats: {', '.join(FORMATS)})")
    return await run_in_threadpool(_answer, request, ext, True)


__all__ = ["router", "negotiate", "render_catalogue"]
