"""Shared page plumbing: agent sign-in/out and helpers the page routers use."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.accounts.actions import agent_for_token, authenticate, do_create_login, do_logout
from vigie.accounts.domain import Agent
from vigie.errors import Unauthorized
from vigie.web.deps import SESSION_COOKIE
from vigie.web.i18n import request_language, translate
from vigie.web.templating import render

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
        raise LoginRequired(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    return found


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/connexion?next={quote(next_url)}", status_code=303)


def forbidden_page(request: Request) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=403,
        title_key="error.forbidden",
        text_key="error.forbidden_text",
    )


def map_config(request: Request) -> dict[str, Any]:
    v = request.app.state.vigie
    center = v.city.center or {}
    return {
        "lat": center.get("lat"),
        "long": center.get("long"),
        "zoom": center.get("zoom", 12),
        "tile_url": v.settings.tile_url,
        "tile_attribution": v.settings.tile_attribution,
    }


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/pilotage") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), error=None, email="")


@router.post("/connexion", response_model=None)
async def login_submit(
    request: Request,
    email: str = Form("", max_length=320),
    password: str = Form("", max_length=1024),
    next: str = Form("/pilotage", max_length=2000),
) -> Response:
    v = request.app.state.vigie
    try:
        agent = await run_in_threadpool(authenticate, v.db, email, password)
    except Unauthorized:
        lang = request_language(request, v.city.default_language)
        return render(
            request,
            "login.html",
            status_code=401,
            next=safe_next(next),
            error=translate(lang, "login.failed"),
            email=email,
        )
    token, _ = await run_in_threadpool(
        do_create_login, v.db, agent, "session", v.settings.token_ttl_hours
    )
    default = "/terrain" if agent.role.value == "field_agent" else "/pilotage"
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
def logout_submit(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        do_logout(request.app.state.vigie.db, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
