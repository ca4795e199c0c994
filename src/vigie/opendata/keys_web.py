"""Reusers' API keys on the web: asking for one (/donnees/cles), confirming it from the
e-mail, seeing its usage; the staff's list, issue, quotas and revocation (/donnees/cles/gestion
and /api/v1/reuser-keys). Thin over :mod:`vigie.reusers.actions`.

The same page lists the Open311 clients' keys to administrators (``users.manage``) and revokes
one (/api/v1/api-keys, over :mod:`vigie.accounts.actions`, audited): only `vigie apikey` did.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.accounts.actions import do_revoke_api_key, list_api_keys
from vigie.accounts.permissions import require
from vigie.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from vigie.limits.store import check_rate
from vigie.reusers import actions
from vigie.reusers.quota import key_text, usage
from vigie.reusers.storage import ReuserKeyRow
from vigie.runtime import Vigie
from vigie.web.deps import (
    DbId,
    client_id,
    current_agent,
    declared_query_only,
    json_object,
    needs_permission,
    same_origin,
)
from vigie.web.i18n import request_language
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(tags=["open data: reusers' API keys"])
BASE = "/api/v1/reuser-keys"
OPEN311_BASE = "/api/v1/api-keys"


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _limit_requests(request: Request) -> None:
    check_rate(_vigie(request), f"keyreq:{client_id(request)[:64]}", 10, 3600.0, "too many key requests")


def _staff_json(row: ReuserKeyRow, used: dict[str, int]) -> dict[str, Any]:
    return {
        "id": row.id,
        "prefix": row.prefix,
        "status": row.status,
        "email": row.email,
        "project": row.project,
        "per_minute": row.per_minute,
        "per_day": row.per_day,
        "requests_today": used.get(str(row.id), 0),
        "issued_by": row.issued_by,
        "created_at": actions.when(row.created_at),
        "confirmed_at": actions.when(row.confirmed_at),
        "revoked_at": actions.when(row.revoked_at),
        "reason": row.reason,
    }


def _today(v: Vigie, rows: list[ReuserKeyRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        if row.status == actions.ACTIVE:
            found = usage(v, actions.ActiveKey(row.id, row.per_minute, row.per_day))
            out[str(row.id)] = found["days"][0]["requests"]  # type: ignore[index]
    return out


# -- the API -------------------------------------------------------------------------------


@router.post(
    BASE + "/requests",
    status_code=202,
    summary="Ask for a key: a link is e-mailed to confirm it",
    dependencies=[Depends(declared_query_only)],
)
async def request_key(request: Request) -> dict[str, Any]:
    data = await json_object(request, 16 * 1024)
    v = _vigie(request)
    lang = str(data["lang"]) if data.get("lang") in ("fr", "en") else "fr"
    project = data.get("project")
    actions.check_request(str(data.get("email") or ""), project if isinstance(project, str) else "")
    _limit_requests(request)  # requests that would send a message
    await run_in_threadpool(
        actions.do_request_key,
        v,
        str(data.get("email") or ""),
        project if isinstance(project, str) else "",
        lang,
    )
    return {"status": "requested", "message": "if the address is right, a link to confirm it was e-mailed"}


@router.get(
    BASE + "/me",
    summary="The key sent (Authorization: Apikey …): its quotas and usage",
    dependencies=[Depends(declared_query_only)],
)
def my_key(request: Request) -> dict[str, Any]:
    v = _vigie(request)
    text = key_text(request)
    found = actions.active_key(v, text) if text else None
    if found is None:
        raise Unauthorized("send an active key: Authorization: Apikey <key> (or ?apikey=)")
    row = actions.key_row(v, found.id)
    return {"id": row.id, "prefix": row.prefix, "project": row.project, **usage(v, found)}


@router.get(
    BASE,
    summary="Every reuser key, with its usage today (staff)",
    dependencies=[Depends(declared_query_only)],
)
def list_keys(request: Request) -> dict[str, Any]:
    v = _vigie(request)
    rows = actions.list_keys(v, current_agent(request))
    used = _today(v, rows)
    return {"keys": [_staff_json(r, used) for r in rows]}


@router.post(
    BASE,
    status_code=201,
    summary="Issue a key at once (staff): its text is answered once",
    dependencies=[Depends(declared_query_only), Depends(needs_permission("opendata.keys"))],
)
async def issue_key(request: Request) -> dict[str, Any]:
    agent = current_agent(request)
    data = await json_object(request, 16 * 1024)
    key_id, key = await run_in_threadpool(
        actions.do_issue_key,
        _vigie(request),
        agent,
        str(data.get("email") or ""),
        str(data.get("project") or ""),
        data.get("per_minute"),
        data.get("per_day"),
    )
    return {"id": key_id, "key": key, "prefix": key[:10]}


@router.put(
    BASE + "/{key_id}/quota",
    summary="Change a key's quotas per minute and per day (staff)",
    dependencies=[Depends(declared_query_only), Depends(needs_permission("opendata.keys"))],
)
async def set_quota(request: Request, key_id: int) -> dict[str, Any]:
    agent = current_agent(request)
    data = await json_object(request, 16 * 1024)
    await run_in_threadpool(
        actions.do_set_quota, _vigie(request), agent, key_id, data.get("per_minute"), data.get("per_day")
    )
    return {"id": key_id, "per_minute": data.get("per_minute"), "per_day": data.get("per_day")}


@router.delete(
    BASE + "/{key_id}", summary="Revoke a key (staff)", dependencies=[Depends(declared_query_only)]
)
def revoke_key(request: Request, key_id: int, reason: str = "") -> dict[str, Any]:
    actions.do_revoke_key(_vigie(request), current_agent(request), key_id, reason[:500])
    return {"id": key_id, "status": actions.REVOKED}


@router.get(
    OPEN311_BASE,
    summary="Every Open311 client's API key: name, first characters, dates (administrators)",
    dependencies=[Depends(declared_query_only)],
)
def list_open311_keys(request: Request) -> dict[str, Any]:
    require(current_agent(request), "users.manage")
    return {"keys": list_api_keys(_vigie(request).db)}


@router.delete(
    OPEN311_BASE + "/{key_id}",
    summary="Revoke an Open311 client's API key (administrators, audited)",
    dependencies=[Depends(declared_query_only)],
)
def revoke_open311_key(request: Request, key_id: DbId) -> dict[str, Any]:
    do_revoke_api_key(_vigie(request).db, current_agent(request), key_id)
    return {"id": key_id, "status": "revoked"}


# -- pages ---------------------------------------------------------------------------------


def _page(request: Request, state: str, status_code: int = 200, **more: Any) -> HTMLResponse:
    v = _vigie(request)
    return render(
        request,
        "opendata/keys.html",
        status_code=status_code,
        nav="opendata",
        state=state,
        base_url=v.settings.public_base_url.rstrip("/"),
        quotas={
            "anonymous_minute": v.settings.quota_anonymous_per_minute,
            "anonymous_day": v.settings.quota_anonymous_per_day,
            "key_minute": v.settings.quota_key_per_minute,
            "key_day": v.settings.quota_key_per_day,
        },
        **more,
    )


@router.get("/donnees/cles", response_class=HTMLResponse, summary="API keys for reusers: ask for one")
async def keys_page(request: Request) -> HTMLResponse:
    return _page(request, "ask")


@router.post("/donnees/cles", response_class=HTMLResponse, summary="Ask for an API key (form)")
async def keys_ask(request: Request) -> HTMLResponse:
    if not same_origin(request):
        raise Forbidden("this form is sent from this site's own page")
    form = await request.form(max_files=0, max_fields=5)
    v = _vigie(request)
    email, project = form.get("email"), form.get("project")
    try:
        actions.check_request(
            email if isinstance(email, str) else "", project if isinstance(project, str) else ""
        )
        _limit_requests(request)  # requests that would send a message
        await run_in_threadpool(
            actions.do_request_key,
            v,
            email if isinstance(email, str) else "",
            project if isinstance(project, str) else "",
            request_language(request, v.city.default_language),
        )
    except ValidationFailed as exc:
        return _page(request, "ask", 422, error=exc.message)
    except Conflict:  # the address's owner stopped these messages (a key or not)
        return _page(request, "ask", 409, stopped_days=v.settings.resident_link_stop_days)
    return _page(request, "asked", 202)


@router.get(
    "/donnees/cles/confirmer/{token}/{code}",
    response_class=HTMLResponse,
    summary="The e-mail's link: a button confirms (mail scanners only GET)",
)
async def keys_confirm_page(request: Request, token: str, code: str) -> HTMLResponse:
    try:
        actions.check_link(_vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, "confirm", action=f"/donnees/cles/confirmer/{token}/{code}")


@router.post(
    "/donnees/cles/confirmer/{token}/{code}",
    response_class=HTMLResponse,
    summary="Confirm the address: the key is shown once",
)
async def keys_confirm(request: Request, token: str, code: str) -> HTMLResponse:
    try:
        _, key = await run_in_threadpool(actions.do_confirm_key, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    # Shown once: never cached, never kept by a shared cache.
    return _page(request, "key", headers={"Cache-Control": "no-store"}, key=key)


@router.post(
    "/donnees/cles/usage", response_class=HTMLResponse, summary="A key's usage (the key in the form)"
)
async def keys_usage(request: Request) -> HTMLResponse:
    form = await request.form(max_files=0, max_fields=3)
    text = form.get("key")
    v = _vigie(request)
    found = actions.active_key(v, text.strip()) if isinstance(text, str) and text.strip() else None
    if found is None:
        return _page(request, "ask", 404, usage_error=True)
    row = actions.key_row(v, found.id)
    return _page(request, "usage", usage=usage(v, found), row=row)


@router.get(
    "/donnees/cles/gestion",
    response_class=HTMLResponse,
    response_model=None,
    summary="Reusers' API keys (staff)",
)
async def keys_staff_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("opendata.keys"):
        return forbidden_page(request)
    v = _vigie(request)
    rows = await run_in_threadpool(actions.list_keys, v, agent)
    used = await run_in_threadpool(_today, v, rows)
    open311 = await run_in_threadpool(list_api_keys, v.db) if agent.can("users.manage") else None
    return _page(request, "staff", rows=rows, used=used, open311=open311, csrf_token=csrf)


__all__ = ["router"]
