"""Open311 GeoReport v2 endpoints (/open311/v2) and service discovery (/open311).

Every resource answers in JSON or XML after its suffix (``services.json``,
``services.xml``); an unknown suffix is a 404. Every error, including an
unexpected one, is the spec's error list (see :mod:`vigie.open311.render`).

GET answers carry public data only: reports of non-public services are hidden
from anonymous clients, and no reporter data (name, e-mail, phone, device,
account, tracking token) is ever rendered by a GET.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigie.accounts.actions import check_api_key
from vigie.accounts.domain import Agent
from vigie.db import utcnow
from vigie.errors import BadRequest, NotFound, UnsupportedMediaType, VigieError
from vigie.limits.store import check_rate
from vigie.reports import actions, intake
from vigie.reports.domain import Channel
from vigie.reports.queries import ReportFilter, list_reports, public_filter
from vigie.reports.records import ReportData, UpdateData
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.reports.views import AGENTS
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, get_vigie, run_read, run_write, vigie_of
from vigie.web.problems import input_error_from_database

from .params import (
    Params,
    check_jurisdiction,
    language,
    parse_attributes,
    parse_ids,
    parse_page,
    parse_statuses,
    parse_window,
)
from .render import FORMATS, JSON_TYPE, error_response, render
from .rendered import request_items
from .views import (
    UPDATE_KINDS,
    Ctx,
    definition_view,
    request_view,
    service_notice,
    service_view,
    update_view,
)

log = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
PREFIX = "/open311/v2"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_MEDIA_URL = 2048


class Open311Route(APIRoute):
    """Turns every failure of an Open311 endpoint into the spec's error list.

    Known errors get their status (404, 403, 400…); anything unexpected is
    logged and answered as the spec's "general service error" (400), never as
    a 500 with a body Open311 clients cannot read.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if request.method == "POST":
                # Read the body out here: the body-size middleware stops an
                # oversize upload by raising from receive(), which must reach it.
                await request.body()
            try:
                return await handler(request)
            except VigieError as exc:
                return error_response(request, exc)
            except (StarletteHTTPException, RequestValidationError):
                raise  # rendered as spec errors by the app's handlers
            except (DataError, OverflowError) as exc:  # bad input only the database caught
                return error_response(request, input_error_from_database(exc))
            except Exception:
                log.exception("Open311 %s %s failed", request.method, request.url.path)
                return error_response(
                    request, VigieError("general service error; the request was not processed")
                )

        return route


router = APIRouter(route_class=Open311Route, tags=["open311"])


def _format(fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise NotFound(f"unknown format '.{fmt}'; use .json or .xml")
    return fmt


def _context(request: Request, fmt: str, v: Vigie) -> tuple[str, Params, Ctx]:
    fmt = _format(fmt)
    params = Params(request.query_params.multi_items())
    check_jurisdiction(v, params)
    return fmt, params, Ctx(v, language(request, params, v))


def _sees_private(agent: Agent | None) -> bool:
    """Agents other than field agents may see reports of non-public services."""
    return agent is not None and agent.can("reports.all")


def _visible(row: ReportRow, agent: Agent | None) -> bool:
    if row.public or _sees_private(agent):
        return True
    return agent is not None and row.assigned_user_id == agent.id


def _updates(v: Vigie, report_ids: list[int], created_only: bool) -> dict[int, list[UpdateData]]:
    """Histories of a page of reports in one query (oldest first), as plain rows."""
    out: dict[int, list[UpdateData]] = {rid: [] for rid in report_ids}
    if not report_ids:
        return out
    table = ReportUpdateRow.__table__
    q: Select[Any]
    if created_only:  # only the media of the first entry is shown: read just that
        q = select(table.c.report_id, table.c.kind, table.c.detail).where(
            table.c.report_id.in_(report_ids), table.c.kind == "created"
        )
    else:
        q = select(*table.columns).where(table.c.report_id.in_(report_ids))
    with v.db.engine.connect() as conn:
        for u in conn.execute(q.order_by(table.c.id)):
            out[u.report_id].append(cast(UpdateData, u))
    return out


def _requests(ctx: Ctx, rows: Sequence[ReportData], extensions: bool) -> list[dict[str, Any]]:
    histories = _updates(ctx.v, [r.id for r in rows], created_only=not extensions)
    return [request_view(ctx, r, histories[r.id], extensions) for r in rows]


# --- discovery -------------------------------------------------------------


@router.get("/open311/discovery.{fmt}", summary="Open311 service discovery")
def discovery(request: Request, fmt: str, v: Vigie = Depends(get_vigie)) -> Response:
    fmt, _, ctx = _context(request, fmt, v)
    try:
        mtime = v.city.catalogue_path.stat().st_mtime
        changeset = datetime.fromtimestamp(int(mtime), UTC).isoformat().replace("+00:00", "Z")
    except OSError:
        changeset = None
    contact = v.city.contact or v.city.name
    body = {
        "changeset": changeset,
        "contact": contact,
        "key_service": f"API keys for submitting requests are issued by {v.city.name}: {contact}",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": ctx.base + PREFIX,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", body)


# --- services --------------------------------------------------------------


@router.get(PREFIX + "/services.{fmt}", summary="Open311 service list")
def services(request: Request, fmt: str, v: Vigie = Depends(get_vigie)) -> Response:
    fmt, _, ctx = _context(request, fmt, v)
    return render(fmt, "services", [service_view(ctx, s) for s in v.catalogue.resident_services()])


@router.get(PREFIX + "/services/{service_code}.{fmt}", summary="Open311 service definition")
def service_definition(
    request: Request, service_code: str, fmt: str, v: Vigie = Depends(get_vigie)
) -> Response:
    fmt, _, ctx = _context(request, fmt, v)
    service = v.catalogue.service(service_code)
    if service is None or service.agents_only:
        raise NotFound(f"no service '{service_code}'", field="service_code")
    return render(fmt, "service_definition", definition_view(ctx, service))


# --- POST requests ---------------------------------------------------------


@router.post(PREFIX + "/requests.{fmt}", summary="Open311: submit a service request")
async def post_request(request: Request, fmt: str) -> Response:
    fmt = _format(fmt)
    v = vigie_of(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype not in FORM_TYPES:
        raise UnsupportedMediaType(
            "send the request as application/x-www-form-urlencoded", field="Content-Type"
        )
    items = [*request.query_params.multi_items(), *(await _form_items(request, ctype))]
    params = Params(items)
    key = request.headers.get("idempotency-key", "").strip()
    if len(key) > 255:
        raise BadRequest("longer than 255 characters", field="Idempotency-Key")
    lang = language(request, params, v)
    return await run_write(request, _create, v, params, key, lang, fmt)


MAX_FORM_FIELDS = 1000


async def _form_items(request: Request, ctype: str) -> list[tuple[str, Any]]:
    """The submitted fields, in order.

    URL-encoded bodies (what every Open311 client sends) go through the
    standard library's parser: the general multipart parser costs a tenth of
    a report's whole intake. Percent-escapes and raw bytes are read as UTF-8.
    """
    if not ctype:
        return []
    if ctype == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            return parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:
            raise BadRequest(f"more than {MAX_FORM_FIELDS} form fields", field="body") from None
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    return list(form.multi_items())


# The fields of a new request that hold one value (attributes may hold several).
SINGLE_FIELDS = (
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
    "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
    "media_url", "lang",
)  # fmt: skip


def _create(v: Vigie, params: Params, key: str, lang: str, fmt: str) -> Response:
    params.single(SINGLE_FIELDS)
    api = check_api_key(v.db, params.get("api_key"))
    # A leaked key or a client in a loop must not fill the queue (no limit held it before).
    limit = v.settings.open311_key_rate_limit
    check_rate(
        v, f"open311:{api.id}", limit, 60.0, f"too many requests for this api_key; at most {limit} a minute"
    )
    check_jurisdiction(v, params)
    code = params.get("service_code")
    if code is None:
        raise BadRequest("service_code is required", field="service_code")
    service = v.catalogue.service(code)
    if service is None or service.agents_only:
        raise NotFound(f"no service '{code}'", field="service_code")
    media_url = _check_media_url(params.get("media_url"))
    ctx = Ctx(v, lang)
    idem = None
    if key:
        fingerprint = intake.Idempotency.fingerprint_of(
            sorted((k, vals) for k, vals in params.values.items() if k != "api_key")
        )
        idem = intake.Idempotency(f"open311:{api.id}", key, fingerprint)
        existing = intake.lookup_idempotent(v, idem)
        if existing is not None:
            return _created(ctx, actions.get_report(v, existing), fmt, replayed=True)
    name = " ".join(p for p in (params.get("first_name"), params.get("last_name")) if p)
    sub = intake.Submission(
        service_code=code,
        channel=Channel.OPEN311,
        description=params.get("description") or "",
        lat=params.get("lat"),
        long=params.get("long"),
        address=params.get("address_string") or "",
        address_id=params.get("address_id") or "",
        attributes=parse_attributes(params),
        reporter_name=name,
        reporter_email=params.get("email") or "",
        reporter_phone=params.get("phone") or "",
        reporter_lang=lang,
        device_id=params.get("device_id") or "",
        account_id=params.get("account_id") or "",
        media_urls=[media_url] if media_url else [],
    )
    checked = intake.check_submission(v, sub)
    row, created = intake.do_submit_report(v, checked, None, idem)
    return _created(ctx, row, fmt, replayed=not created)


def _check_media_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_MEDIA_URL:
        raise BadRequest(f"must be an http(s) URL of at most {MAX_MEDIA_URL} characters", field="media_url")
    return url


def _created(ctx: Ctx, row: ReportRow, fmt: str, replayed: bool) -> Response:
    body = [
        {
            "service_request_id": str(row.id),
            "service_notice": service_notice(ctx, row),
            "account_id": None,
            # The spec answers an id or a token, never both: Vigie always knows the id.
        }
    ]
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    # 200, not 201: the spec names no status and clients (FixMyStreet among
    # them) check for 200; a replayed Idempotency-Key gets the same answer.
    return render(fmt, "service_requests", body, 200, headers)


# --- GET requests ----------------------------------------------------------


@router.get(PREFIX + "/requests.{fmt}", summary="Open311: service requests")
async def get_requests(request: Request, fmt: str, v: Vigie = Depends(get_vigie)) -> Response:
    return await run_read(request, _get_requests, request, fmt, v)


def _get_requests(request: Request, fmt: str, v: Vigie) -> Response:
    fmt, params, ctx = _context(request, fmt, v)
    agent = current_agent(request)
    page, size = parse_page(params)
    public_only = not _sees_private(agent)
    if not public_only:
        ctx.policy = AGENTS  # agents who see private reports see them as filed
    if params.get("service_request_id") is not None:
        ids = parse_ids(params)  # overrides every other filter
        if not ids:
            return render(fmt, "service_requests", [])
        f = ReportFilter(ids=ids, public_only=public_only)
    else:
        codes = params.csv("service_code")
        for code in codes:
            service = v.catalogue.service(code)
            if service is None or (service.agents_only and public_only):
                raise NotFound(f"no service '{code}'", field="service_code")
        start, end = parse_window(params, utcnow())
        statuses = parse_statuses(params)
        f = ReportFilter(
            service_codes=codes, statuses=statuses, start=start, end=end, public_only=public_only
        )
        f = public_filter(ctx.publication, f)  # dates widened to what the public is shown
    extensions = params.flag("extensions")
    if fmt == "json" and not extensions:  # the common case: written by the database
        items, more = request_items(ctx, f, page, size)
        response = Response(("[" + ",".join(items) + "]").encode(), media_type=JSON_TYPE)
    else:
        rows, more = list_reports(v, f, page, size)
        response = render(fmt, "service_requests", _requests(ctx, rows, extensions))
    if more:
        query = [(k, val) for k, vals in params.values.items() if k != "page" for val in vals]
        url = f"{ctx.base}{request.url.path}?{urlencode([*query, ('page', str(page + 1))])}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


@router.get(PREFIX + "/requests/{service_request_id}.{fmt}", summary="Open311: one request")
def get_request(
    request: Request, service_request_id: str, fmt: str, v: Vigie = Depends(get_vigie)
) -> Response:
    fmt, params, ctx = _context(request, fmt, v)
    row = actions.get_report(v, service_request_id)
    agent = current_agent(request)
    if not _visible(row, agent):
        raise NotFound(f"no report with id '{service_request_id}'")
    if _sees_private(agent):
        ctx.policy = AGENTS
    # A one-element list, as the spec shows (clients read element 0).
    return render(fmt, "service_requests", _requests(ctx, [row], params.flag("extensions")))


@router.get(PREFIX + "/tokens/{token}.{fmt}", summary="Open311: request id from a token")
def get_token(request: Request, token: str, fmt: str, v: Vigie = Depends(get_vigie)) -> Response:
    fmt, _, _ = _context(request, fmt, v)
    row = actions.get_report_by_token(v, token)
    return render(fmt, "service_requests", [{"service_request_id": str(row.id), "token": token}])


# --- mySociety extension ---------------------------------------------------


@router.get(
    PREFIX + "/servicerequestupdates.{fmt}",
    summary="Open311 (mySociety extension): updates of public requests",
)
def get_updates(request: Request, fmt: str, v: Vigie = Depends(get_vigie)) -> Response:
    """Status changes and public notes, oldest first, within start_date..end_date (≤ 90 days)."""
    fmt, params, ctx = _context(request, fmt, v)
    page, size = parse_page(params)
    start, end = parse_window(params, utcnow())
    # Dates widened to what the public is shown of them.
    start, end = ctx.publication.widen_start(start) or start, ctx.publication.widen_end(end) or end
    U = ReportUpdateRow
    q = (
        select(U)
        .join(ReportRow, ReportRow.id == U.report_id)
        .where(
            ReportRow.public.is_(True),
            U.kind.in_(UPDATE_KINDS),
            U.at >= start,
            U.at <= end,
            # What is_public_update() says, in SQL: a status change or a public note.
            or_(
                U.kind == "created",
                U.previous_status.is_(None),
                U.previous_status != U.status,
                U.public_note != "",
            ),
        )
        .order_by(U.at, U.id)
        .limit(size)
        .offset((page - 1) * size)
    )
    with v.db.session() as s:
        found = list(s.scalars(q))
    return render(fmt, "service_request_updates", [update_view(ctx, u) for u in found])
