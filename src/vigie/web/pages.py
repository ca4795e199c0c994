"""Shared page plumbing: agent sign-in/out and helpers the page routers use."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.accounts.actions import agent_for_token, do_create_login
from vigie.accounts.domain import Agent
from vigie.accounts.sessions import do_logout
from vigie.accounts.throttle import do_sign_in
from vigie.errors import TooManyRequests, Unauthorized
from vigie.web.deps import SESSION_COOKIE, client_id, form_is_ours
from vigie.web.i18n import catalog, request_language, translate
from vigie.web.templating import render

if TYPE_CHECKING:
    from vigie.city.profile import CityProfile

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None, default: str = "/pilotage") -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def page_agent(request: Request) -> tuple[Agent, str]:
    """The signed-in agent and their CSRF token, or LoginRequired (redirects to /connexion)."""
    token = request.cookies.get(SESSION_COOKIE)
    found = agent_for_token(request.app.state.vigie.db, token, "session") if token else None
    if not found:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return found


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/connexion?next={quote(next_url)}", status_code=303)


def home_of(agent: Agent, city: CityProfile) -> str:
    """Where an agent lands: the queue, the video-protection roles' page, or the field view."""
    if agent.can("reports.all"):
        return "/pilotage"
    if agent.can("video.cameras"):  # the video roles: their cameras, else the operations log
        return "/pilotage/videoprotection" if city.uses("videoprotection") else "/pilotage/main-courante"
    return "/terrain"


def forbidden_page(request: Request) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=403,
        title_key="error.forbidden",
        text_key="error.forbidden_text",
    )


def module_off_page(request: Request, module: str) -> HTMLResponse:
    """The 404 page of an optional module the city does not use (city.yaml ``modules``)."""
    lang = request_language(request, request.app.state.vigie.city.default_language)
    return render(
        request,
        "error.html",
        status_code=404,
        title_key="error.module_off",
        text_key="error.module_off_text",
        text_values={"module": translate(lang, f"error.module.{module}")},
    )


def address_messages(lang: str) -> dict[str, str]:
    """The texts of the address box and of "près du …" (static/js/address.js)."""
    keys = [k for k in catalog()["fr"] if k.startswith("address_box.")]
    return {k.removeprefix("address_box."): translate(lang, k) for k in keys}


# Login CSRF: the sign-in form carries a token that must match this cookie (set with
# the form, readable by nobody else), and the POST must come from this site (Origin).
LOGIN_CSRF_COOKIE = "vigie_login_csrf"
LOGIN_CSRF_SECONDS = 2 * 3600


def _login_form(
    request: Request, next_url: str, status_code: int = 200, error: str | None = None, email: str = ""
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not 20 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
        token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        next=next_url,
        error=error,
        email=email,
        csrf_token=token,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.app.state.vigie.settings.public_base_url.startswith("https://"),
        path="/connexion",
    )
    return response


def _login_form_is_ours(request: Request, sent: str) -> bool:
    return form_is_ours(request, sent, request.cookies.get(LOGIN_CSRF_COOKIE, ""))


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/pilotage") -> HTMLResponse:
    return _login_form(request, safe_next(next))


@router.post("/connexion", response_model=None)
async def login_submit(
    request: Request,
    email: str = Form("", max_length=320),
    password: str = Form("", max_length=1024),
    next: str = Form("/pilotage", max_length=2000),
    csrf_token: str = Form("", max_length=128),
) -> Response:
    v = request.app.state.vigie
    lang = request_language(request, v.city.default_language)
    if not _login_form_is_ours(request, csrf_token):
        # Another site's form, or this one kept open too long: a fresh form, nothing tried.
        return _login_form(request, safe_next(next), 403, translate(lang, "login.expired"), email)
    try:
        agent = await run_in_threadpool(do_sign_in, v, email, password, client_id(request))
    except Unauthorized:
        return _login_form(request, safe_next(next), 401, translate(lang, "login.failed"), email)
    except TooManyRequests as exc:
        seconds = exc.retry_after or 1
        message = translate(lang, "login.throttled", seconds=seconds)
        page = _login_form(request, safe_next(next), 429, message, email)
        page.headers["Retry-After"] = str(seconds)
        return page
    token, _ = await run_in_threadpool(do_create_login, v.db, agent, "session", v.settings.token_ttl_hours)
    default = home_of(agent, v.city)
    response = RedirectResponse(safe_next(next, default), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=v.settings.token_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=v.settings.public_base_url.startswith("https://"),
        path="/",
    )
    return response


@router.post("/deconnexion", response_model=None)
def logout_submit(request: Request, csrf_token: str = Form("", max_length=128)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    found = agent_for_token(request.app.state.vigie.db, token, "session") if token else None
    if found is not None:
        # Another site may not sign an agent out: same origin and the session's own token.
        if not form_is_ours(request, csrf_token, found[1]):
            return forbidden_page(request)
        do_logout(request.app.state.vigie.db, token or "")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
