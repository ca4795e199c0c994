"""The records API on Opendatasoft's Explore v2.1 URLs, and the exports, over published releases.

French reusers' code already calls ``/api/explore/v2.1/catalog/datasets``,
``…/datasets/{id}/records`` and ``…/datasets/{id}/exports/{format}``: the same
paths, parameters, limits (10 records a page by default, 100 at most,
``offset + limit`` ≤ 10,000 on records, no limit on exports) and error shape
(``{"error_code": …, "message": …}``). Queries are the ODSQL subset of
``explore_odsql.py``, run by DuckDB on the release's Parquet file only
(``explore_engine.py``). Unpublished datasets do not exist here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from vigie.digits import whole_number
from vigie.errors import NotFound, VigieError
from vigie.opendata import exports
from vigie.opendata.domain import ColumnKind
from vigie.opendata.explore_engine import sandbox, stream
from vigie.opendata.explore_odsql import Columns, RESTParameterError, build
from vigie.opendata.explore_records import answer, answer_key, etag
from vigie.opendata.queries import (
    Published,
    Release,
    published_dataset,
    published_datasets,
    published_release,
    release_store,
)
from vigie.opendata.release_tables import release_tables
from vigie.reusers.quota import enforce
from vigie.runtime import Vigie

if TYPE_CHECKING:
    import pyarrow as pa

router = APIRouter(tags=["open data: records API (Opendatasoft Explore v2.1)"])
BASE = "/api/explore/v2.1/catalog/datasets"
DEFAULT_LIMIT, MAX_LIMIT, MAX_WINDOW = 10, 100, 10_000
# Opendatasoft's own bounds for a query with a group_by: 20,000 groups a page and offset + limit
# <= 20,000 (a reuser asking every commune or every day in one page is refused nowhere else).
MAX_GROUP_LIMIT = MAX_GROUP_WINDOW = 20_000
RECORD_PARAMS = {
    "apikey",  # a reuser's key (vigie.reusers.quota); api_key, Open311's name, is ignored
    "api_key",
    "select",
    "where",
    "group_by",
    "order_by",
    "limit",
    "offset",
    "refine",
    "exclude",
    "lang",
    "timezone",
    "include_links",
    "include_app_metas",
}
EXPORT_PARAMS = RECORD_PARAMS | {"delimiter", "with_bom"}
CATALOG_PARAMS = {
    "apikey",
    "api_key",
    "limit",
    "offset",
    "lang",
    "timezone",
    "include_links",
    "include_app_metas",
}


@dataclass(frozen=True)
class Field:
    """A column of a release: its Arrow type family, Opendatasoft's type name, the charter's kind."""

    name: str
    family: str  # text, number, bool, time
    ods_type: str
    kind: str
    labels: dict[str, str]


def _family(arrow_type: str) -> tuple[str, str]:
    t = arrow_type.lower()
    if t.startswith("timestamp"):
        return "time", "datetime"
    if t.startswith("date"):
        return "time", "date"
    if t.startswith(("int", "uint")):
        return "number", "int"
    if t.startswith(("double", "float", "decimal")):
        return "number", "double"
    if t.startswith("bool"):
        return "bool", "boolean"
    return "text", "text"


def fields_of(p: Published) -> list[Field]:
    declared = {c.name: c for c in p.dataset.columns}
    out = []
    for c in p.release.columns:
        family, ods = _family(c["type"])
        d = declared.get(c["name"])
        labels = {"fr": d.fr, "en": d.en} if d is not None else {}
        out.append(Field(c["name"], family, ods, d.kind.value if d is not None else "", labels))
    return out


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _error(exc: VigieError) -> Response:
    """Opendatasoft's error shape: ``error_code`` and ``message``."""
    code = getattr(exc, "error_code", None) or {
        401: "InvalidAPIKey",
        404: "NotFound",
        429: "TooManyRequests",
        503: "ServiceUnavailable",
    }.get(exc.status, "InvalidRESTParameterError" if exc.status < 500 else "ServerError")
    body = {"error_code": code, "message": exc.message}
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else None
    return Response(
        orjson.dumps(body), status_code=exc.status, media_type="application/json", headers=headers
    )


error_answer = _error  # what the app answers under /api/explore outside these routes


def _params(request: Request, allowed: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key not in allowed:
            raise RESTParameterError(
                f"unknown parameter {key!r} (accepted here: {', '.join(sorted(allowed))})"
            )
        out.setdefault(key, []).append(value)
    return out


def _one(params: dict[str, list[str]], key: str, default: str = "") -> str:
    values = params.get(key, [])
    if len(values) > 1 and key not in ("where", "refine", "exclude"):
        raise RESTParameterError(f"{key} is given more than once")
    return values[0] if values else default


def _int(params: dict[str, list[str]], key: str, default: int) -> int:
    text = _one(params, key)
    if not text:
        return default
    number = whole_number(text)
    if number is None:
        raise RESTParameterError(f"{key} must be an integer, got {text[:40]!r}")
    return number


def _timezone(params: dict[str, list[str]]) -> ZoneInfo:
    name = _one(params, "timezone", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RESTParameterError(f"unknown timezone {name!r} (an IANA name, e.g. Europe/Paris)") from None


def _lang(params: dict[str, list[str]]) -> str:
    lang = _one(params, "lang", "fr")
    if lang not in ("fr", "en"):
        raise RESTParameterError(f"lang must be fr or en, got {lang!r}")
    return lang


def columns_of(release: Release) -> Columns:
    """The release's fields by type family (what ODSQL checks names and values against)."""
    return Columns(
        {c["name"]: _family(c["type"])[0] for c in release.columns},
        frozenset(c["name"] for c in release.columns if _family(c["type"])[1] == "datetime"),
    )


def dataset_view(v: Vigie, p: Published, lang: str) -> dict[str, Any]:
    """One dataset as the Explore catalogue describes it."""
    m = p.metadata
    base = v.settings.public_base_url.rstrip("/")
    fields = fields_of(p)
    geo = _position(p) is not None
    return {
        "dataset_id": p.id,
        "dataset_uid": f"vigie_{p.id}",
        "has_records": p.release.rows > 0,
        "features": [
            "analyze",
            *(["geo"] if geo else []),
            *(["timeserie"] if any(f.family == "time" for f in fields) else []),
        ],
        "attachments": [],
        "data_visible": True,
        "fields": [
            {
                "name": f.name,
                "label": f.labels.get(lang) or f.labels.get("fr") or f.name,
                "type": f.ods_type,
                "annotations": {},
                "description": None,
            }
            for f in fields
        ],
        "metas": {
            "default": {
                "title": m.title(lang),
                "description": m.description(lang),
                "publisher": m.publisher,
                "contact_email": m.contact_point,
                "license": m.licence,
                "theme": list(m.themes),
                "keyword": list(m.keywords),
                "territory": [m.spatial] if m.spatial else [],
                "records_count": p.release.rows,
                "modified": p.release.created_at.isoformat(),
                "data_processed": p.release.created_at.isoformat(),
                "metadata_processed": p.release.created_at.isoformat(),
                "language": lang,
                "timezone": "UTC",
                "attributions": m.attribution or None,
            }
        },
        "links": [
            {"rel": "self", "href": f"{base}{BASE}/{p.id}"},
            {"rel": "records", "href": f"{base}{BASE}/{p.id}/records"},
            {"rel": "exports", "href": f"{base}{BASE}/{p.id}/exports"},
        ],
    }


def _answer(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except VigieError as exc:
        return _error(exc)


@router.get(BASE, summary="The catalogue of published datasets (Explore v2.1)", response_model=None)
async def catalog(request: Request) -> Response:
    def answer() -> Response:
        enforce(request, "records")
        params = _params(request, CATALOG_PARAMS)
        limit, offset = _int(params, "limit", DEFAULT_LIMIT), _int(params, "offset", 0)
        _check_window(limit, offset)
        lang = _lang(params)
        found = published_datasets(_vigie(request))
        page = found[offset : offset + limit]
        body = {"total_count": len(found), "results": [dataset_view(_vigie(request), p, lang) for p in page]}
        return Response(orjson.dumps(body), media_type="application/json")

    return await run_in_threadpool(_answer, answer)


@router.get(BASE + "/{dataset_id}", summary="One published dataset (Explore v2.1)", response_model=None)
async def dataset(request: Request, dataset_id: str) -> Response:
    def answer() -> Response:
        enforce(request, "records")
        params = _params(request, CATALOG_PARAMS)
        p = _published(request, dataset_id)
        return Response(
            orjson.dumps(dataset_view(_vigie(request), p, _lang(params))), media_type="application/json"
        )

    return await run_in_threadpool(_answer, answer)


@router.get(
    BASE + "/{dataset_id}/exports", summary="The export formats of a published dataset", response_model=None
)
async def export_formats(request: Request, dataset_id: str) -> Response:
    """Opendatasoft's list of a dataset's exports: a link per format (the ``exports`` link of the
    dataset's own answer points here; GeoJSON only for a dataset with a position)."""

    def answer() -> Response:
        enforce(request, "records")
        _params(request, CATALOG_PARAMS)
        p = _published(request, dataset_id)
        href = f"{_vigie(request).settings.public_base_url.rstrip('/')}{BASE}/{p.id}/exports"
        formats = [f for f in exports.FORMATS if f != "geojson" or _position(p) is not None]
        links = [{"rel": "self", "href": href}] + [{"rel": f, "href": f"{href}/{f}"} for f in formats]
        return Response(orjson.dumps({"links": links}), media_type="application/json")

    return await run_in_threadpool(_answer, answer)


def _published(request: Request, dataset_id: str) -> Published:
    try:
        return published_dataset(_vigie(request), dataset_id)
    except NotFound:
        raise NotFound(f"Unknown dataset: {dataset_id}") from None


def _check_window(limit: int, offset: int, records: bool = True, grouped: bool = False) -> None:
    most, window = (MAX_GROUP_LIMIT, MAX_GROUP_WINDOW) if grouped else (MAX_LIMIT, MAX_WINDOW)
    if records and not 0 <= limit <= most:
        raise RESTParameterError(
            f"Invalid value for limit API parameter: {limit} was found but -1 <= limit <= "
            f"{most} is expected{' with a group_by' if grouped else ''}."
        )
    if offset < 0:
        raise RESTParameterError(
            f"Invalid value for offset API parameter: {offset} was found but offset >= 0 is expected."
        )
    if records and offset + limit > window:
        raise RESTParameterError(
            f"Invalid value for limit and offset API parameters: offset + limit must be "
            f"<= {window} (here {offset + limit}); use the exports for more."
        )


def _query(
    release: Release, params: dict[str, list[str]], limit: int | None, offset: int, tz: ZoneInfo
) -> Any:
    return build(
        release.dataset_id,
        columns_of(release),
        select=_one(params, "select"),
        where=params.get("where", []),
        group_by=_one(params, "group_by"),
        order_by=_one(params, "order_by"),
        refine=params.get("refine", []),
        exclude=params.get("exclude", []),
        limit=limit,
        offset=offset,
        tz=tz,
    )


@router.get(
    BASE + "/{dataset_id}/records",
    summary="Records of a published dataset (Explore v2.1)",
    response_model=None,
)
async def records(request: Request, dataset_id: str) -> Response:
    def answer_records() -> Response:
        enforce(request, "records")
        params = _params(request, RECORD_PARAMS)
        limit, offset = _int(params, "limit", DEFAULT_LIMIT), _int(params, "offset", 0)
        grouped = bool(_one(params, "group_by").strip())
        if limit == -1:
            limit = MAX_GROUP_LIMIT if grouped else MAX_LIMIT
        _check_window(limit, offset, grouped=grouped)
        _lang(params)
        tz = _timezone(params)
        try:
            release = published_release(_vigie(request), dataset_id)
        except NotFound:
            raise NotFound(f"Unknown dataset: {dataset_id}") from None
        q = _query(release, params, limit, offset, tz)
        key = answer_key(q, tz)
        tag = etag(release, key)
        # Revalidated at each use (no-cache): a new release changes the answer at any time.
        headers = {
            "ETag": tag,
            "Last-Modified": format_datetime(release.created_at, usegmt=True),
            "Cache-Control": "public, no-cache",
        }
        if _not_modified(request, tag, release):
            return Response(status_code=304, headers=headers)
        path = release_store(_vigie(request)).local_path(release.file_key)
        # The release loaded once (a view named after the dataset), its answers kept with it.
        seconds = _vigie(request).settings.lab_seconds
        with release_tables(_vigie(request)).query(release, path) as reading:
            body = answer(reading, q, key, limit, offset, tz, seconds)
        return Response(body, media_type="application/json", headers=headers)

    return await run_in_threadpool(_answer, answer_records)


def _position(p: Published) -> tuple[str, str] | None:
    kinds = {f.kind: f.name for f in fields_of(p)}
    for lat, long in (
        (ColumnKind.LATITUDE, ColumnKind.LONGITUDE),
        (ColumnKind.PERSONAL_LATITUDE, ColumnKind.PERSONAL_LONGITUDE),
    ):
        if lat in kinds and long in kinds:
            return kinds[lat], kinds[long]
    return None


@router.get(
    BASE + "/{dataset_id}/exports/{fmt}",
    summary="A published dataset, whole or queried, in one file",
    response_model=None,
)
async def export(request: Request, dataset_id: str, fmt: str) -> Response:
    def answer() -> Response:
        enforce(request, "exports")
        if fmt not in exports.FORMATS:
            raise NotFound(f"Unknown export format {fmt!r} (formats: {', '.join(exports.FORMATS)})")
        params = _params(request, EXPORT_PARAMS)
        limit, offset = _int(params, "limit", -1), _int(params, "offset", 0)
        if limit < -1:
            raise RESTParameterError(f"Invalid value for limit API parameter: {limit} (-1 for every record)")
        _check_window(limit, offset, records=False)
        _lang(params)
        tz = _timezone(params)
        p = _published(request, dataset_id)
        etag, modified = _validators(p, fmt, request)
        headers = {"ETag": etag, "Last-Modified": modified, "Cache-Control": "public, max-age=300"}
        if _not_modified(request, etag, p.release):
            return Response(status_code=304, headers=headers)
        delimiter = _one(params, "delimiter", ";")
        bom = _one(params, "with_bom", "true").lower() != "false"
        position = _position(p)
        if fmt == "geojson" and position is None:
            raise RESTParameterError(f"dataset {p.id!r} has no position: export it as csv, json or parquet")
        if fmt == "csv" and delimiter not in exports.DELIMITERS:
            raise RESTParameterError("delimiter must be one of ; , | or a tab")
        q = _query(p.release, params, None if limit == -1 else limit, offset, tz)
        path = release_store(_vigie(request)).local_path(p.release.file_key)
        # Started here, its first rows read: a bad query is a 400, not a cut stream.
        opened = ExitStack()
        try:
            conn = opened.enter_context(sandbox({p.id: path}))
            schema, batches = stream(conn, q.sql, q.params)
        except BaseException:
            opened.close()
            raise
        headers["Content-Disposition"] = f'attachment; filename="{p.id}.{fmt}"'
        return StreamingResponse(
            _stream(opened, schema, batches, fmt, tz, delimiter, bom, position),
            media_type=exports.FORMATS[fmt],
            headers=headers,
        )

    return await run_in_threadpool(_answer, answer)


def _stream(
    opened: ExitStack,
    schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
    fmt: str,
    tz: ZoneInfo,
    delimiter: str,
    bom: bool,
    position: tuple[str, str] | None,
) -> Iterator[bytes]:
    with opened:  # the sandbox the rows are read from, closed with the stream
        if fmt == "csv":
            yield from exports.csv_chunks(batches, schema, delimiter, bom, tz)
        elif fmt == "json":
            yield from exports.json_chunks(batches, tz)
        elif fmt == "jsonl":
            yield from exports.jsonl_chunks(batches, tz)
        elif fmt == "geojson":
            assert position is not None
            yield from exports.geojson_chunks(batches, tz, *position)
        elif fmt == "parquet":
            yield from exports.parquet_chunks(batches, schema)
        else:
            yield from exports.xlsx_chunks(batches, schema, tz)


def _validators(p: Published, fmt: str, request: Request) -> tuple[str, str]:
    """An ETag per (release, format, query) and the release's date as Last-Modified."""
    key = f"{p.release.sha256}|{fmt}|{request.url.query}".encode()
    return f'"{hashlib.sha256(key).hexdigest()[:32]}"', format_datetime(p.release.created_at, usegmt=True)


def _not_modified(request: Request, etag: str, release: Release) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return release.created_at.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


__all__ = ["router"]
