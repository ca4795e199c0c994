"""Native API of the reports context (/api/v1)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.city.publication import PHOTO_BLURRED
from vigie.city.publication import Shown as PublicationShown
from vigie.db import utcnow
from vigie.errors import BadRequest, NotFound, UnsupportedMediaType, ValidationFailed
from vigie.jsondepth import refusal
from vigie.limits.store import check_rate
from vigie.photos.storage import SignsUrls
from vigie.reports import actions, intake, moderation, tracking
from vigie.reports.domain import Channel, parse_datetime
from vigie.reports.moderation import BLURRED_SUFFIX
from vigie.reports.publication import creation_media_shown
from vigie.reports.queries import (
    STATUS_VALUES,
    ReportFilter,
    find_duplicates,
    list_reports,
    parse_bbox,
    public_filter,
)
from vigie.reports.records import ReportData
from vigie.reports.rendered import public_items
from vigie.reports.schemas import (
    AssignIn,
    FollowIn,
    MergeIn,
    ModerationIn,
    MoveIn,
    NoteIn,
    PhotoModerationIn,
    ReportIn,
    RequalifyIn,
    StatusIn,
    openapi_submit_body,
)
from vigie.reports.storage import ReportRow
from vigie.reports.views import agent_view, public_view, update_view
from vigie.runtime import Vigie
from vigie.web.deps import (
    client_id,
    current_agent,
    declared_query_only,
    get_vigie,
    needs_permission,
    run_read,
    run_write,
)
from vigie.web.json import FastJSONResponse

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=[Depends(declared_query_only)])
# Photos are files linked from Open311's media_url, e-mails and other sites: a parameter a client
# or a proxy adds to an image's URL is no filter mistaken for applied, so it is not refused.
photos_router = APIRouter(prefix="/api/v1", tags=["photos"])


def _lang(request: Request, lang: str | None = None) -> str:
    if lang in ("fr", "en"):
        return lang
    header = request.headers.get("accept-language", "")
    return "en" if header.lower().startswith("en") else "fr"


def _view(v: Vigie, row: ReportData, agent: Agent | None, lang: str) -> dict[str, Any]:
    base = v.settings.public_base_url.rstrip("/")
    if agent is not None:
        return agent_view(row, v.catalogue, utcnow(), lang, base)
    return public_view(row, v.catalogue, lang, base, policy=v.city.publication)


@router.get("/services", summary="Service catalogue (report categories) with groups")
def services(
    request: Request,
    lang: str | None = Query(None, pattern="^(fr|en)$"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    lang_ = _lang(request, lang)
    # Agents also get their own services (control room, phone intake); residents never do.
    listed = (
        v.catalogue.services.values() if current_agent(request, False) else v.catalogue.resident_services()
    )
    return {
        "groups": [
            {"code": g.code, "name": g.name.get(lang_), "icon": g.icon} for g in v.catalogue.groups.values()
        ],
        "services": [
            {
                "code": s.code,
                "group": s.group,
                "name": s.name.get(lang_),
                "description": s.description.get(lang_),
                "keywords": list(s.keywords),
                "public": s.public,
                "agents_only": s.agents_only,
                "duplicate_radius_m": s.duplicate_radius_m,
                "attributes": [
                    {
                        "code": a.code,
                        "datatype": a.datatype.value,
                        "required": a.required,
                        "description": a.description.get(lang_),
                        "order": a.order,
                        "values": [{"key": x.key, "name": x.name.get(lang_)} for x in a.values],
                    }
                    for a in s.attributes
                ],
            }
            # Sensitive services are listed too: they can be reported, never shown.
            for s in listed
        ],
    }


@router.get("/zones", summary="Zones (communes) of the city as GeoJSON")
def zones(v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return v.city.zones.to_geojson()


async def _read_submission(request: Request) -> tuple[ReportIn, list[tuple[str, bytes]]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    photos: list[tuple[str, bytes]] = []
    if ctype == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise BadRequest("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("request body must be a JSON object")
    elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_files=100, max_fields=200)
        data = {}
        for key, value in form.multi_items():
            if key == "photos":
                if isinstance(value, str):
                    raise ValidationFailed("photos must be files", field="photos")
                photos.append((value.filename or "", await value.read()))
            elif not isinstance(value, str):
                # Dropped, the report was filed without the photo its sender meant to send.
                raise ValidationFailed(f"{key}: a file is accepted only as photos", field=key)
            elif key in data:
                # Read from its last copy, the report went where the sender may not have meant.
                raise ValidationFailed(f"{key} is given more than once", field=key)
            else:
                data[key] = value
        if "attributes" in data:
            problem = refusal(data["attributes"].encode())
            if problem is not None:
                raise ValidationFailed(f"attributes: {problem}", field="attributes")
            try:
                data["attributes"] = json.loads(data["attributes"]) if data["attributes"] else {}
            except ValueError:
                raise ValidationFailed("attributes must be a JSON object", field="attributes") from None
        for key in ("lat", "long"):
            if data.get(key) == "":
                data.pop(key)
    else:
        raise UnsupportedMediaType("send the report as application/json or multipart/form-data (with photos)")
    try:
        body = ReportIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise ValidationFailed(f"{field}: {err['msg']}", field=field) from None
    return body, photos


@router.post(
    "/reports",
    status_code=201,
    summary="Submit a report (JSON, or multipart with up to 5 photos)",
    openapi_extra=openapi_submit_body(),
    responses={
        200: {"description": "Replay of an earlier request with the same Idempotency-Key"},
        403: {"description": "An agent without reports.intake filing by phone or e-mail"},
    },
)
async def submit_report(request: Request) -> JSONResponse:
    v: Vigie = request.app.state.vigie
    body, raw_photos = await _read_submission(request)
    agent = await run_in_threadpool(current_agent, request, False)
    if body.channel not in ("app", "web") and (agent is None or body.channel not in ("phone", "email")):
        raise ValidationFailed(
            "channel must be app or web (agents may also use phone or email)", field="channel"
        )
    if len(raw_photos) > v.settings.max_photos_per_report:
        raise ValidationFailed(
            f"at most {v.settings.max_photos_per_report} photos per report", field="photos"
        )
    key = request.headers.get("idempotency-key", "").strip()
    if len(key) > 255:
        raise ValidationFailed("Idempotency-Key is longer than 255 characters", field="Idempotency-Key")
    return await run_write(request, _submit, v, body, raw_photos, agent, key, client_id(request), request)


def _submit(
    v: Vigie,
    body: ReportIn,
    raw_photos: list[tuple[str, bytes]],
    agent: Agent | None,
    key: str,
    client: str,
    request: Request,
) -> JSONResponse:
    from vigie.photos.processing import process_photo

    if agent is None:
        check_submission_rate(v, client)
    idem = None
    if key:
        scope = f"agent:{agent.id}" if agent else f"device:{body.device_id or client}"
        fingerprint = intake.Idempotency.fingerprint_of(body.model_dump(), [len(p[1]) for p in raw_photos])
        idem = intake.Idempotency(scope, key, fingerprint)
        existing = intake.lookup_idempotent(v, idem)
        if existing is not None:
            row = actions.get_report(v, existing)
            return JSONResponse(
                _submitted(v, row, agent, request),
                status_code=200,
                headers={"Idempotent-Replayed": "true"},
            )
    processed = [
        process_photo(
            data,
            max_bytes=v.settings.max_photo_bytes,
            max_pixels=v.settings.max_photo_pixels,
            filename=name,
        )
        for name, data in raw_photos
    ]
    lat, long = body.lat, body.long
    if lat is None and long is None:
        # A photo taken on the spot knows where it was taken.
        gps = next((p.gps for p in processed if p.gps), None)
        if gps:
            lat, long = gps
    sub = intake.Submission(
        service_code=body.service_code,
        channel=Channel(body.channel),
        description=body.description,
        lat=lat,
        long=long,
        address=body.address,
        address_id=body.address_id,
        attributes=dict(body.attributes),
        reporter_name=body.reporter_name,
        reporter_email=body.reporter_email,
        reporter_phone=body.reporter_phone,
        reporter_lang=body.lang or _lang(request),
        device_id=body.device_id,
    )
    checked = intake.check_submission(v, sub)
    row, created = intake.do_submit_report(v, checked, processed, idem, agent)
    return JSONResponse(_submitted(v, row, agent, request), status_code=201 if created else 200)


def check_submission_rate(v: Vigie, client: str) -> None:
    """Anonymous submissions per client address, counted across every worker (the limits seam)."""
    limit = v.settings.anonymous_rate_limit
    check_rate(
        v,
        f"submit:{client[:64]}",
        limit,
        60.0,
        f"too many reports from this address; at most {limit} a minute",
    )


def check_follow_rate(v: Vigie, client: str) -> None:
    """Follows per client address (by e-mail or not), counted across every worker."""
    limit = v.settings.follow_rate_limit
    check_rate(
        v,
        f"follow:{client[:64]}",
        limit,
        3600.0,
        f"too many follows from this address; at most {limit} an hour",
    )


def _submitted(v: Vigie, row: ReportRow, agent: Agent | None, request: Request) -> dict[str, Any]:
    base = v.settings.public_base_url.rstrip("/")
    out = _view(v, row, agent, _lang(request))
    out["token"] = row.token
    out["tracking_url"] = f"{base}/suivi/{row.token}"
    return out


@router.get("/reports/duplicates", summary="Open reports of the same service nearby")
def duplicates(
    request: Request,
    service_code: str = Query(..., max_length=64),
    lat: float = Query(..., ge=-90, le=90),
    long: float = Query(..., ge=-180, le=180),
    v: Vigie = Depends(get_vigie),
) -> list[dict[str, Any]]:
    lang = _lang(request)
    policy = v.city.publication
    found = find_duplicates(v, service_code, lat, long, policy=policy)
    base = v.settings.public_base_url.rstrip("/")
    # The distance to a coarsened position says no more than the position does.
    step = policy.position_m or 0.1
    return [
        {
            **public_view(r, v.catalogue, lang, base, policy=policy),
            "distance_m": round(round(d / step) * step, 1),
        }
        for r, d in found
    ]


def _csv(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


@router.get(
    "/reports",
    summary="List and filter reports",
    response_class=FastJSONResponse,
)
async def list_(
    request: Request,
    status: str | None = Query(None, description="Comma list of statuses"),
    service_code: str | None = Query(None, description="Comma list of service codes"),
    group: str | None = Query(None, description="Comma list of service groups"),
    zone: str | None = Query(None, description="Comma list of zone (commune) codes"),
    bbox: str | None = Query(None, description="min_long,min_lat,max_long,max_lat"),
    lat: float | None = Query(None, ge=-90, le=90),
    long: float | None = Query(None, ge=-180, le=180),
    radius: float | None = Query(None, gt=0, le=50_000, description="metres around lat/long"),
    start: str | None = Query(None, description="requested at or after (ISO 8601)"),
    end: str | None = Query(None, description="requested at or before (ISO 8601)"),
    q: str | None = Query(None, max_length=200, description="text search"),
    assigned_to_me: bool = False,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(100, ge=1, le=500),
    v: Vigie = Depends(get_vigie),
) -> Response:
    f = ReportFilter(
        statuses=_csv(status),
        service_codes=_csv(service_code),
        groups=_csv(group),
        zones=_csv(zone),
        text=(q or "").strip(),
    )
    for s in f.statuses:
        if s not in STATUS_VALUES:
            raise ValidationFailed(f"unknown status '{s}'", field="status")
    if bbox:
        f.bbox = parse_bbox(bbox)
    if radius is not None or lat is not None or long is not None:
        if lat is None or long is None or radius is None:
            raise ValidationFailed("lat, long and radius go together", field="radius")
        f.near = (lat, long, radius)
    f.start = parse_datetime(start, "start") if start else None
    f.end = parse_datetime(end, "end") if end else None
    lang = _lang(request)

    def answer() -> Response:
        agent = current_agent(request)
        f.public_only = agent is None
        if agent is not None and (assigned_to_me or not agent.can("reports.all")):
            f.assigned_user_id = agent.id
        if agent is None:  # the public list: written by the database
            items, more = public_items(v, public_filter(v.city.publication, f), page, page_size, lang)
            next_page = str(page + 1) if more else "null"
            tail = f'"page":{page},"page_size":{page_size},"next_page":{next_page}'
            body = '{"items":[' + ",".join(items) + "]," + tail + "}"
            return Response(body.encode(), media_type="application/json")
        rows, more = list_reports(v, f, page, page_size)
        return FastJSONResponse(
            {
                "items": [_view(v, r, agent, lang) for r in rows],
                "page": page,
                "page_size": page_size,
                "next_page": page + 1 if more else None,
            }
        )

    return await run_read(request, answer)


def _visible(v: Vigie, report_id: str, agent: Agent | None) -> ReportRow:
    row = actions.get_report(v, report_id)
    if agent is None and not row.public:
        raise NotFound(f"no report with id '{report_id}'")
    if agent is not None and not agent.can("reports.all") and row.assigned_user_id != agent.id:
        raise NotFound(f"no report with id '{report_id}' among your assignments")
    return row


@router.get("/reports/{report_id}", summary="One report with its public history")
def get_one(report_id: str, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = current_agent(request)
    row = _visible(v, report_id, agent)
    out = _view(v, row, agent, _lang(request))
    policy = v.city.publication
    media = creation_media_shown(policy, row.public_checked_at is not None)
    out["history"] = [
        update_view(u, agent is not None, policy, media) for u in actions.report_updates(v, row.id)
    ]
    return out


@router.get("/track/{token}", summary="A report by its tracking token (the reporter's view)")
def track(token: str, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    # A non-public report shows in full to its own reporter only (see reports/tracking.py).
    tracked = tracking.find_tracked(v, token)
    return tracking.tracking_view(v, tracked, _lang(request), v.settings.public_base_url.rstrip("/"))


@router.post(
    "/reports/{report_id}/follow",
    status_code=201,
    summary="Follow an existing report",
    description="Returns a tracking token. With `email`, the address gets one message asking it "
    "to confirm, and nothing else until it does. At most `VIGIE_FOLLOW_RATE_LIMIT` follows per "
    "client address an hour: past it, 429 with `Retry-After`, and nothing is written. At most "
    "`VIGIE_MAIL_UNCONFIRMED_PER_DAY` messages a day to an address that never confirmed: past "
    "it, the same answer, but nothing is sent and the follow keeps no address.",
)
def follow(report_id: str, body: FollowIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    check_follow_rate(v, client_id(request))
    row, token = actions.do_follow(v, report_id, body.email, body.lang or _lang(request))
    base = v.settings.public_base_url.rstrip("/")
    return {
        "id": str(row.id),
        "reference": row.reference,
        "token": token,
        "tracking_url": f"{base}/suivi/{token}",
    }


def _agent(request: Request) -> Agent:
    return require(current_agent(request), "reports.read")


def _done(v: Vigie, row: ReportRow, agent: Agent, request: Request) -> dict[str, Any]:
    return _view(v, row, agent, _lang(request))


@router.post(
    "/reports/{report_id}/acknowledge",
    summary="Acknowledge a new report",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.triage"))],
)
def acknowledge(
    report_id: str, request: Request, body: NoteIn | None = None, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = _agent(request)
    row = actions.do_acknowledge(v, report_id, agent, (body or NoteIn()).public_note)
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/assign",
    summary="Assign to a team and/or an agent",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.triage"))],
)
def assign(report_id: str, body: AssignIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = _agent(request)
    row = actions.do_assign(
        v, report_id, agent, body.team, body.user_id, body.public_note, body.internal_note
    )
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/status",
    summary="Change status with notes",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.work"))],
)
def change_status(
    report_id: str, body: StatusIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = _agent(request)
    row = actions.do_change_status(
        v, report_id, agent, body.status, body.public_note, body.internal_note, body.reason
    )
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/requalify",
    summary="Change the service (category)",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.triage"))],
)
def requalify(
    report_id: str, body: RequalifyIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = _agent(request)
    row = actions.do_requalify(v, report_id, agent, body.service_code, body.internal_note)
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/move",
    summary="Move the report's location",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.triage"))],
)
def move(report_id: str, body: MoveIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = _agent(request)
    row = actions.do_move(v, report_id, agent, body.lat, body.long, body.address)
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/merge",
    summary="Merge this report into another (duplicate)",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.merge"))],
)
def merge(report_id: str, body: MergeIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    agent = _agent(request)
    row = actions.do_merge(v, report_id, agent, body.keep_id, body.public_note)
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/moderation",
    summary="Check the report's text for the public, or set the public text instead",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.moderate"))],
)
def moderate(
    report_id: str, body: ModerationIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = _agent(request)
    keep = "public_description" not in body.model_fields_set
    row = moderation.do_moderate(
        v,
        report_id,
        agent,
        checked=body.checked,
        public_description=body.public_description,
        keep_description=keep,
    )
    return _done(v, row, agent, request)


@router.post(
    "/reports/{report_id}/photos/{key}/moderation",
    summary="Show, hide or blur one of the report's photos for the public",
    tags=["agents"],
    dependencies=[Depends(needs_permission("reports.moderate"))],
)
def moderate_photo(
    report_id: str, key: str, body: PhotoModerationIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = _agent(request)
    row = moderation.do_moderate_photo(v, report_id, key, agent, body.state)
    return _done(v, row, agent, request)


@photos_router.get(
    "/photos/{key}",
    summary="A photo (re-encoded, without metadata); a non-public report's photos need an agent",
    response_class=Response,
)
def photo(key: str, request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    return _photo(v, request, key)


@photos_router.get(
    "/photos/{key}/thumbnail",
    summary="A photo's thumbnail; a non-public report's photos need an agent",
    response_class=Response,
)
def thumbnail(key: str, request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    return _photo(v, request, key, "_t")


def _photo(v: Vigie, request: Request, key: str, suffix: str = "") -> Response:
    if not key.isalnum() or len(key) != 32:
        raise NotFound("no such photo")
    owner = tracking.photo_owner(v, key)
    if owner is None:
        raise NotFound("no such photo")
    agent = current_agent(request)
    if agent is not None and agent.can("reports.read"):
        # A field agent sees a non-public report only when it is assigned to them: its photos too.
        if not owner.public and not agent.can("reports.all") and owner.assigned_user_id != agent.id:
            raise NotFound("no such photo")
        data = v.photos.get(key + suffix)  # agents see the photo as taken
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
    if not owner.public:
        require(agent, "reports.read")
    policy = v.city.publication
    if not policy.photo_shown(owner.kind, owner.moderation):
        raise NotFound("no such photo")
    stored = key + (BLURRED_SUFFIX if owner.moderation == PHOTO_BLURRED else "") + suffix
    if v.settings.photo_urls == "signed" and isinstance(v.photos, SignsUrls):
        # The object store serves the bytes; the redirect lives a little less than the URL it
        # names, so no cache hands out an expired signature.
        ttl = v.settings.photo_url_ttl_seconds
        url = v.photos.signed_url(stored, ttl)
        headers = {"Cache-Control": f"public, max-age={max(min(ttl // 2, 3600), 1)}"}
        return RedirectResponse(url, status_code=307, headers=headers)
    data = v.photos.get(stored)
    # An operator may hide a photo later: caches keep it an hour at most, unless the policy
    # shows every photo as taken (a random key never changes what it names).
    moderated = policy.photos is not PublicationShown.ALWAYS or owner.moderation
    cache = "public, max-age=3600" if moderated else "public, max-age=31536000, immutable"
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": cache})
