"""Agent login: bearer tokens for API use, session cookies (with CSRF) for pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.actions import do_create_login, do_logout
from vigie.accounts.permissions import require
from vigie.accounts.throttle import do_sign_in
from vigie.errors import BadRequest, Forbidden
from vigie.runtime import Vigie
from vigie.web.deps import SESSION_COOKIE, client_id, current_agent, get_vigie, same_origin

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(..., max_length=320)
    password: str = Field(..., max_length=1024)


@router.post("/token", summary="OAuth2 password flow: get a bearer token")
def token(
    request: Request,
    username: str = Form(..., max_length=320),
    password: str = Form(..., max_length=1024),
    grant_type: str = Form("password", max_length=32),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    if grant_type != "password":
        raise BadRequest("grant_type must be 'password'", field="grant_type")
    agent = do_sign_in(v, username, password, client_id(request))
    tok, _ = do_create_login(v.db, agent, "bearer", v.settings.token_ttl_hours)
    return {
        "access_token": tok,
        "token_type": "bearer",
        "expires_in": v.settings.token_ttl_hours * 3600,
        "role": agent.role.value,
    }


@router.post("/login", summary="Open a browser session (sets a cookie; returns the CSRF token)")
def login(
    body: LoginIn, request: Request, response: Response, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    if not same_origin(request):  # another site may not sign a browser in (login CSRF)
        raise Forbidden("cross-site sign-in refused: the request's Origin is not this site")
    agent = do_sign_in(v, body.email, body.password, client_id(request))
    tok, csrf = do_create_login(v.db, agent, "session", v.settings.token_ttl_hours)
    response.set_cookie(
        SESSION_COOKIE,
        tok,
        max_age=v.settings.token_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=v.settings.public_base_url.startswith("https://"),
        path="/",
    )
    return {"csrf_token": csrf, "role": agent.role.value, "email": agent.email, "name": agent.name}


@router.post("/logout", summary="Close the browser session")
def logout(request: Request, response: Response, v: Vigie = Depends(get_vigie)) -> dict[str, str]:
    current_agent(request)  # checks CSRF for cookie sessions
    tok = request.cookies.get(SESSION_COOKIE)
    if tok:
        do_logout(v.db, tok)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "logged out"}


@router.get("/me", summary="The logged-in agent")
def me(request: Request) -> dict[str, Any]:
    agent = require(current_agent(request), "reports.read")
    return {
        "id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "role": agent.role.value,
        "team": agent.team,
    }
