"""The resident's account for the residents' app: its session cookie and its API
(/api/v1/resident: what the account holds, merging a device's lists, favourites, export).

The session is a cookie of its own (``vigie_resident``, HttpOnly, SameSite=Lax, Secure
when the public base URL is https), apart from the staff's; every state change needs
the session's CSRF token (``X-CSRF-Token`` header, or the ``csrf_token`` field of a
page's form). The pages are in ``vigie.citizen.account``.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from vigie.errors import Forbidden, Unauthorized
from vigie.residents import actions, signin
from vigie.runtime import Vigie
from vigie.web.deps import CSRF_HEADER, SAFE_METHODS, declared_query_only, get_vigie, run_write
from vigie.web.i18n import request_language
from vigie.web.json import FastJSONResponse

router = APIRouter(
    prefix="/api/v1/resident", tags=["resident account"], dependencies=[Depends(declared_query_only)]
)
RESIDENT_COOKIE = "vigie_resident"


def signed_in(request: Request) -> signin.Current | None:
    """The resident of this request's session cookie, if any (read once per request)."""
    if "resident" not in request.state._state:
        v: Vigie = request.app.state.vigie
        request.state.resident = signin.current(v, request.cookies.get(RESIDENT_COOKIE, ""))
    found: signin.Current | None = request.state.resident
    return found


def require_resident(request: Request, csrf: str | None = None) -> signin.Current:
    """The signed-in resident; an unsafe request must carry the session's CSRF token
    (``csrf``: the form's field, else the header)."""
    who = signed_in(request)
    if who is None:
        raise Unauthorized("sign in to your account first (/compte)")
    if request.method not in SAFE_METHODS:
        sent = csrf if csrf is not None else request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), who.csrf.encode()):
            raise Forbidden("missing or wrong CSRF token (send it in X-CSRF-Token)")
    return who


def set_session(response: Response, v: Vigie, token: str) -> None:
    response.set_cookie(
        RESIDENT_COOKIE,
        token,
        max_age=v.settings.resident_session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=v.settings.public_base_url.startswith("https://"),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(RESIDENT_COOKIE, path="/")


def _lang(request: Request, v: Vigie) -> str:
    return request_language(request, v.city.default_language)


@router.get("", summary="What the signed-in resident's account holds", response_class=FastJSONResponse)
async def account(request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    who = require_resident(request)
    data = await run_write(request, actions.account_data, v, who.resident_id, _lang(request, v))
    return FastJSONResponse({**data, "csrf_token": who.csrf}, headers={"Cache-Control": "no-store"})


@router.post(
    "/merge",
    summary="Add what this device held (my reports' tokens, favourites) to the account; idempotent",
    response_class=FastJSONResponse,
)
async def merge(
    request: Request, body: dict[str, Any] = Body(...), v: Vigie = Depends(get_vigie)
) -> Response:
    who = require_resident(request)
    tokens, favourites = actions.check_merge(body)
    await run_write(request, actions.do_merge, v, who.resident_id, tokens, favourites)
    data = await run_write(request, actions.account_data, v, who.resident_id, _lang(request, v))
    return FastJSONResponse(data, headers={"Cache-Control": "no-store"})


@router.post("/reports", status_code=204, summary="A report made or followed here joins the account")
async def add_report(
    request: Request, body: dict[str, Any] = Body(...), v: Vigie = Depends(get_vigie)
) -> Response:
    who = require_resident(request)
    await run_write(request, actions.do_add_report, v, who.resident_id, body.get("token"))
    return Response(status_code=204)


@router.delete("/reports/{token}", status_code=204, summary="Forget a report in the account")
async def forget_report(token: str, request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    who = require_resident(request)
    await run_write(request, actions.do_forget_report, v, who.resident_id, token[:64])
    return Response(status_code=204)


@router.post("/favourites", status_code=204, summary="Add a favourite place or address")
async def add_favourite(
    request: Request, body: dict[str, Any] = Body(...), v: Vigie = Depends(get_vigie)
) -> Response:
    who = require_resident(request)
    await run_write(request, actions.do_add_favourite, v, who.resident_id, body)
    return Response(status_code=204)


@router.delete("/favourites", status_code=204, summary="Remove a favourite place or address")
async def remove_favourite(
    request: Request,
    kind: str = Query(..., max_length=8),
    ref: str = Query(..., max_length=200),
    v: Vigie = Depends(get_vigie),
) -> Response:
    who = require_resident(request)
    await run_write(request, actions.do_remove_favourite, v, who.resident_id, kind, ref)
    return Response(status_code=204)


@router.get("/export", summary="Every piece of data of the account, as a JSON file")
async def export(request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    who = require_resident(request)
    data = await run_write(request, actions.account_data, v, who.resident_id, _lang(request, v))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="mes-donnees-vigie.json"',
        },
    )


__all__ = ["RESIDENT_COOKIE", "clear_session", "require_resident", "router", "set_session", "signed_in"]
