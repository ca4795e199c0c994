"""Agent login: bearer tokens for API use, session cookies (with CSRF) for pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.actions import do_create_login
from vigie.accounts.permissions import require
from vigie.accounts.sessions import (
    do_change_password,
    do_logout,
    do_revoke_login,
    do_revoke_other_logins,
    list_logins,
)
from vigie.accounts.throttle import do_sign_in
from vigie.errors import BadRequest, Forbidden, Unauthorized, ValidationFailed
from vigie.runtime import Vigie
from vigie.web.deps import (
    SESSION_COOKIE,
    DbId,
    client_id,
    current_agent,
    declared_query_only,
    get_vigie,
    request_token,
    same_origin,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], dependencies=[Depends(declared_query_only)])


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


@router.post("/logout", summary="Sign out: revoke the session or bearer token this request carries")
def logout(request: Request, response: Response, v: Vigie = Depends(get_vigie)) -> dict[str, str]:
    current_agent(request)  # checks CSRF for cookie sessions
    tok = request_token(request)
    if tok:
        do_logout(v.db, tok)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "logged out"}


@router.get("/sessions", summary="Your sessions and bearer tokens that have not expired")
def sessions(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"sessions": list_logins(v.db, current_agent(request), request_token(request))}


@router.delete("/sessions/{login_id}", summary="Revoke one of your sessions or tokens (at once)")
def revoke_session(login_id: DbId, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, str]:
    do_revoke_login(v.db, current_agent(request), login_id)
    return {"status": "revoked"}


@router.delete("/sessions", summary="Revoke all your sessions and tokens but this one")
def revoke_other_sessions(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    count = do_revoke_other_logins(v.db, current_agent(request), request_token(request))
    return {"status": "revoked", "revoked": count}


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(..., max_length=1024)
    new_password: str = Field(..., max_length=1024)


@router.post("/password", summary="Change your password: every session and token of yours is revoked")
def change_password(
    body: PasswordIn, request: Request, response: Response, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    agent = current_agent(request)
    if agent is None:
        raise Unauthorized("log in as an agent to do this")
    try:  # throttled and audited like a sign-in: a stolen token may not guess the password
        do_sign_in(v, agent.email, body.current_password, client_id(request))
    except Unauthorized:
        raise ValidationFailed("the current password is wrong", field="current_password") from None
    count = do_change_password(v.db, agent, body.new_password)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "changed", "revoked": count, "message": "sign in again with the new password"}


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
