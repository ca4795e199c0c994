"""The resident's account pages (/compte): sign in by e-mail link, what the account holds,
reminders, export and deletion. Optional: every other page works without an account.

Forms work without JavaScript (each POST carries the session's CSRF token and answers
with a redirection); ``static/js/citizen/account.js`` merges the device's lists into the
account once signed in and keeps them in step (see ``vigie.residents``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.citizen.views import page_config
from vigie.citizen.web import show_page
from vigie.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed, VigieError
from vigie.residents import actions, signin
from vigie.residents.web import clear_session, require_resident, set_session, signed_in
from vigie.runtime import Vigie
from vigie.waste.service import rounds_of
from vigie.web.deps import DbId, client_id, same_origin
from vigie.web.i18n import request_language

router = APIRouter(include_in_schema=False)
# same-origin, not no-referrer: the link's token never leaves for another site, and the
# button's POST keeps its Origin (browsers send "Origin: null" under no-referrer).
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _lang(request: Request) -> str:
    return request_language(request, _vigie(request).city.default_language)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=20)
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out[key] = value if key not in out else out[key] + "\n" + value
    return out


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    config = page_config(request)
    return show_page(
        request, template, status_code=status_code, headers=NO_STORE, nav="account", config=config, **context
    )


def _refused(request: Request, exc: VigieError) -> Response:
    """A form refused: a page saying why for a browser, the problem JSON for other clients."""
    if "text/html" not in request.headers.get("accept", ""):
        raise exc
    known = ("streams", "at", "commune", "label", "confirmer")
    reason = exc.field if exc.field in known else ("session" if exc.status in (401, 403) else "other")
    return _page(request, "citizen/account_refused.html", exc.status, reason=reason)


@router.get("/compte", response_class=HTMLResponse)
async def account_page(request: Request) -> Response:
    v = _vigie(request)
    who = await run_in_threadpool(signed_in, request)
    if who is None:
        state = "signed_out" if request.query_params.get("deconnexion") == "1" else "form"
        return _page(request, "citizen/account_sign_in.html", state=state, email="")
    data = await run_in_threadpool(actions.account_data, v, who.resident_id, _lang(request))
    rounds = rounds_of(v)
    return _page(
        request,
        "citizen/account.html",
        data=data,
        csrf=who.csrf,
        welcome=request.query_params.get("bienvenue") == "1",
        streams=[{"code": c, "name": s.name(_lang(request))} for c, s in rounds.streams.items()]
        if rounds
        else [],
    )


@router.post("/compte/connexion", response_class=HTMLResponse)
async def ask_link(request: Request) -> Response:
    """The answer is the same whether an account exists for the address or not."""
    form = await _form(request)
    v = _vigie(request)
    try:
        await run_in_threadpool(
            signin.do_request_link, v, form.get("email", ""), _lang(request), client_id(request)
        )
    except ValidationFailed:
        return _page(
            request, "citizen/account_sign_in.html", 400, state="invalid", email=form.get("email", "")[:320]
        )
    except ServiceUnavailable:
        return _page(request, "citizen/account_sign_in.html", 503, state="off", email="")
    except Conflict:  # the address's owner stopped sign-in e-mails (whether an account exists or not)
        return _page(
            request,
            "citizen/account_sign_in.html",
            409,
            state="stopped",
            email="",
            stop_days=v.settings.resident_link_stop_days,
        )
    return _page(request, "citizen/account_sign_in.html", 202, state="sent", email="")


@router.get("/compte/lien/{token}", response_class=HTMLResponse)
async def link_page(token: str, request: Request) -> Response:
    """Opening the link uses nothing (mail scanners open links): the button does."""
    state = await run_in_threadpool(signin.link_state, _vigie(request), token[:128])
    status = {signin.VALID: 200, signin.INVALID: 404}.get(state, 410)
    return _page(request, "citizen/account_link.html", status, state=state, action=request.url.path)


@router.post("/compte/lien/{token}", response_class=HTMLResponse)
async def use_link(token: str, request: Request) -> Response:
    if not same_origin(request):  # another site may not sign a browser in (login CSRF)
        raise Forbidden("cross-site sign-in refused: the request's Origin is not this site")
    v = _vigie(request)
    try:
        signed = await run_in_threadpool(signin.do_sign_in, v, token[:128], _lang(request))
    except NotFound:
        state = await run_in_threadpool(signin.link_state, v, token[:128])
        status = 404 if state == signin.INVALID else 410
        return _page(request, "citizen/account_link.html", status, state=state, action=request.url.path)
    response = RedirectResponse("/compte?bienvenue=1", status_code=303, headers=NO_STORE)
    set_session(response, v, signed.session)
    return response


@router.post("/compte/deconnexion")
async def sign_out(request: Request) -> Response:
    form = await _form(request)
    require_resident(request, form.get("csrf_token") or None)
    everywhere = form.get("partout") == "1"
    await run_in_threadpool(
        signin.do_sign_out, _vigie(request), request.cookies.get("vigie_resident", ""), everywhere
    )
    response = RedirectResponse("/compte?deconnexion=1", status_code=303, headers=NO_STORE)
    clear_session(response)
    return response


@router.get("/compte/donnees", response_class=HTMLResponse)
async def data_page(request: Request) -> Response:
    """Everything the account holds, to read (the JSON export has the same)."""
    who = signed_in(request)
    if who is None:
        return RedirectResponse("/compte", status_code=303, headers=NO_STORE)
    data = await run_in_threadpool(actions.account_data, _vigie(request), who.resident_id, _lang(request))
    return _page(request, "citizen/account_data.html", data=data)


@router.post("/compte/supprimer", response_class=HTMLResponse)
async def delete_account(request: Request) -> Response:
    form = await _form(request)
    try:
        who = require_resident(request, form.get("csrf_token") or None)
        if form.get("confirmer") != "1":
            raise ValidationFailed("tick the box to confirm the deletion of your account", field="confirmer")
        await run_in_threadpool(actions.do_delete_account, _vigie(request), who.resident_id)
    except VigieError as exc:
        return _refused(request, exc)
    request.state.resident = None
    response = _page(request, "citizen/account_sign_in.html", state="deleted", email="")
    clear_session(response)
    return response


@router.post("/compte/rappels")
async def set_reminder(request: Request) -> Response:
    form = await _form(request)
    fields: dict[str, Any] = {**form, "streams": [s for s in form.get("streams", "").split("\n") if s]}
    try:
        who = require_resident(request, form.get("csrf_token") or None)
        await run_in_threadpool(actions.do_set_reminder, _vigie(request), who.resident_id, fields)
    except VigieError as exc:
        return _refused(request, exc)
    return RedirectResponse("/compte?rappel=1#rappels", status_code=303, headers=NO_STORE)


@router.post("/compte/rappels/{reminder_id}/supprimer")
async def remove_reminder(reminder_id: DbId, request: Request) -> Response:
    form = await _form(request)
    who = require_resident(request, form.get("csrf_token") or None)
    await run_in_threadpool(actions.do_remove_reminder, _vigie(request), who.resident_id, reminder_id)
    return RedirectResponse("/compte#rappels", status_code=303, headers=NO_STORE)


__all__ = ["router"]
