"""Pages residents reach from their e-mails: confirm an address, stop e-mails, erase their data.

Opening a link changes nothing: mail scanners fetch links to check them, so
the page shows a button and only its POST acts. The code in the link is the
authority (see ``consent.py``); a wrong one is a 404 page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from vigie.errors import NotFound, ValidationFailed
from vigie.limits.store import check_rate
from vigie.notifications import consent, erasure
from vigie.runtime import Vigie
from vigie.web.deps import client_id
from vigie.web.i18n import request_language
from vigie.web.templating import render

router = APIRouter(include_in_schema=False)


def _vigie(request: Request) -> Vigie:
    v: Vigie = request.app.state.vigie
    return v


def _page(request: Request, state: str, status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "notifications/mail.html",
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        state=state,
        action=request.url.path,
        # Messages asked with an address can be resumed from the same link (their stop lapses).
        resume=request.url.path.replace("/courriel/arreter/", "/courriel/reprendre/", 1),
        nav="",
        stop_days=_vigie(request).settings.resident_link_stop_days,
    )


@router.get("/courriel/confirmer/{token}/{code}", response_class=HTMLResponse)
async def confirm_page(token: str, code: str, request: Request) -> HTMLResponse:
    try:
        row = await run_in_threadpool(consent.consent_state, _vigie(request), token, consent.CONFIRM, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, "confirmed" if row.confirmed_at is not None else "confirm")


@router.post("/courriel/confirmer/{token}/{code}", response_class=HTMLResponse)
async def confirm(token: str, code: str, request: Request) -> HTMLResponse:
    try:
        await run_in_threadpool(consent.do_confirm, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, "confirmed")


@router.get("/courriel/arreter/{token}/{code}", response_class=HTMLResponse)
async def stop_page(token: str, code: str, request: Request) -> HTMLResponse:
    try:
        row = await run_in_threadpool(consent.consent_state, _vigie(request), token, consent.STOP, code)
    except NotFound:
        return _page(request, "invalid", 404)
    stopped = consent.is_stopped(_vigie(request), row)
    return _page(request, _of(token, "stopped" if stopped else "stop"))


# The stop pages of subscriptions that are not a report's speak of what they stop.
KINDS = {
    consent.REMINDER_PREFIX: "_reminder",
    consent.SIGN_IN_PREFIX: "_signin",
    consent.ERASURE_PREFIX: "_erasure",
    consent.ANSWER_PREFIX: "_answer",
    consent.KEY_PREFIX: "_key",
}


def _of(token: str, state: str) -> str:
    return state + next((suffix for prefix, suffix in KINDS.items() if token.startswith(prefix)), "")


@router.post("/courriel/arreter/{token}/{code}", response_class=HTMLResponse)
async def stop(token: str, code: str, request: Request) -> HTMLResponse:
    """The page's button, and RFC 8058 one-click: a mail provider POSTs
    ``List-Unsubscribe=One-Click`` here, with no cookie and no page."""
    try:
        await run_in_threadpool(consent.do_stop, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, _of(token, "stopped"))


@router.post("/courriel/reprendre/{token}/{code}", response_class=HTMLResponse)
async def resume(token: str, code: str, request: Request) -> HTMLResponse:
    """The stopped page of messages asked with an address offers to send them again (with
    the stop link's code)."""
    try:
        await run_in_threadpool(consent.do_resume, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, _of(token, "resumed"))


# --- erasure (erasure.py) ----------------------------------------------------


@router.get("/effacement", response_class=HTMLResponse)
async def erase_request_page(request: Request) -> HTMLResponse:
    return _page(request, "erase_request")


@router.post("/effacement", response_class=HTMLResponse)
async def erase_request(request: Request) -> HTMLResponse:
    """The form's answer never says whether the address is known."""
    form = await request.form(max_files=0, max_fields=5)
    email = form.get("email")
    v = _vigie(request)
    check_rate(
        v, f"erase:{client_id(request)[:64]}", 10, 3600.0, "too many erasure requests from this address"
    )
    lang = request_language(request, v.city.default_language)
    try:
        await run_in_threadpool(erasure.do_request_erasure, v, email if isinstance(email, str) else "", lang)
    except ValidationFailed:
        return _page(request, "erase_request", 400)
    return _page(request, "erase_requested", 202)


@router.get("/courriel/effacer/{token}/{code}", response_class=HTMLResponse)
async def erase_page(token: str, code: str, request: Request) -> HTMLResponse:
    try:
        row = await run_in_threadpool(erasure.erasure_state, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, {"pending": "erase", "done": "erased"}.get(row.status, "erase_expired"))


@router.post("/courriel/effacer/{token}/{code}", response_class=HTMLResponse)
async def erase(token: str, code: str, request: Request) -> HTMLResponse:
    try:
        row = await run_in_threadpool(erasure.do_erase, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, "erased" if row.status == "done" else "erase_expired")
