"""Pages residents reach from their e-mails: confirm an address, stop e-mails.

Opening a link changes nothing: mail scanners fetch links to check them, so
the page shows a button and only its POST acts. The code in the link is the
authority (see ``consent.py``); a wrong one is a 404 page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from vigie.errors import NotFound
from vigie.notifications import consent
from vigie.runtime import Vigie
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
        nav="",
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
    return _page(request, "stopped" if row.stopped_at is not None else "stop")


@router.post("/courriel/arreter/{token}/{code}", response_class=HTMLResponse)
async def stop(token: str, code: str, request: Request) -> HTMLResponse:
    """The page's button, and RFC 8058 one-click: a mail provider POSTs
    ``List-Unsubscribe=One-Click`` here, with no cookie and no page."""
    try:
        await run_in_threadpool(consent.do_stop, _vigie(request), token, code)
    except NotFound:
        return _page(request, "invalid", 404)
    return _page(request, "stopped")
