"""An agent's own sessions and tokens (/pilotage/sessions): see them, close one or all the
others, change one's password (which closes them all). Any agent, whatever their role.

Thin over :mod:`vigie.accounts.sessions` (the same use cases and audit as the API,
``/api/v1/auth/sessions`` and ``/api/v1/auth/password``). The forms carry the session's
CSRF token (or the ``X-CSRF-Token`` header) and must come from this site.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.accounts.domain import Agent
from vigie.accounts.sessions import do_change_password, do_revoke_login, do_revoke_other_logins, list_logins
from vigie.accounts.throttle import do_sign_in
from vigie.errors import TooManyRequests, Unauthorized, ValidationFailed
from vigie.pilotage import context as ctx
from vigie.runtime import Vigie
from vigie.web.deps import CSRF_HEADER, SESSION_COOKIE, DbId, client_id, form_is_ours
from vigie.web.i18n import city_terms, translate
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/pilotage/sessions"
DONE = ("revoked", "others")  # the flash messages a redirection may ask for


def _page(request: Request, agent: Agent, csrf: str, status: int = 200, error: str = "") -> HTMLResponse:
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    logins = list_logins(v.db, agent, request.cookies.get(SESSION_COOKIE, ""))
    done = request.query_params.get("done", "")
    base = ctx.page_base(
        request, agent, csrf, labels={}, messages=ctx.js_messages(lang, city_terms(v.city, lang))
    )
    return render(
        request,
        "pilotage/sessions.html",
        status_code=status,
        logins=logins,
        done=done if done in DONE else "",
        error=error,
        **base,
    )


def _form_is_ours(request: Request, sent: str, csrf: str) -> bool:
    return form_is_ours(request, sent or request.headers.get(CSRF_HEADER, ""), csrf)


@router.get(PAGE, response_class=HTMLResponse, response_model=None)
def sessions_page(request: Request) -> Response:
    agent, csrf = page_agent(request)
    return _page(request, agent, csrf)


@router.post(PAGE + "/{login_id}/revoquer", response_model=None)
def revoke_page(login_id: DbId, request: Request, csrf_token: str = Form("", max_length=128)) -> Response:
    agent, csrf = page_agent(request)
    if not _form_is_ours(request, csrf_token, csrf):
        return forbidden_page(request)
    do_revoke_login(request.app.state.vigie.db, agent, login_id)
    return RedirectResponse(PAGE + "?done=revoked", status_code=303)


@router.post(PAGE + "/revoquer-autres", response_model=None)
def revoke_others_page(request: Request, csrf_token: str = Form("", max_length=128)) -> Response:
    agent, csrf = page_agent(request)
    if not _form_is_ours(request, csrf_token, csrf):
        return forbidden_page(request)
    do_revoke_other_logins(request.app.state.vigie.db, agent, request.cookies.get(SESSION_COOKIE, ""))
    return RedirectResponse(PAGE + "?done=others", status_code=303)


@router.post("/pilotage/mot-de-passe", response_model=None)
async def password_page(
    request: Request,
    csrf_token: str = Form("", max_length=128),
    current_password: str = Form("", max_length=1024),
    new_password: str = Form("", max_length=1024),
    confirm_password: str = Form("", max_length=1024),
) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not _form_is_ours(request, csrf_token, csrf):
        return forbidden_page(request)
    v: Vigie = request.app.state.vigie
    lang = ctx.page_lang(request)
    if new_password != confirm_password:
        return _page(request, agent, csrf, 422, translate(lang, "sessions.password.mismatch"))
    try:  # throttled and audited like a sign-in: a session left open may not guess the password
        await run_in_threadpool(do_sign_in, v, agent.email, current_password, client_id(request))
        await run_in_threadpool(do_change_password, v.db, agent, new_password)
    except Unauthorized:
        return _page(request, agent, csrf, 422, translate(lang, "sessions.password.wrong"))
    except TooManyRequests as exc:
        page = _page(
            request, agent, csrf, 429, translate(lang, "login.throttled", seconds=exc.retry_after or 1)
        )
        page.headers["Retry-After"] = str(exc.retry_after or 1)
        return page
    except ValidationFailed:
        return _page(request, agent, csrf, 422, translate(lang, "sessions.password.short"))
    # Every login of the account was revoked, this one too: sign in again with the new password.
    response = RedirectResponse("/connexion?next=" + PAGE, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


__all__ = ["router"]
