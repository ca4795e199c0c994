"""The staff's releases page (/donnees/gestion/publications): every dataset, built-in and
uploaded, with its latest release (published, or blocked and why), a proposal under review,
its schedule, the release history, and a button to build a release now. Thin over
:mod:`vigie.opendata.board` and :func:`vigie.opendata.actions.do_release_on_demand`.

The button is a plain form (it works without the page's script): the release is built during
the request, then the page is shown again saying what came of it. A second click while a
build of the same dataset runs builds nothing and says it is running.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.db import utcnow
from vigie.opendata.actions import do_release_on_demand
from vigie.opendata.board import release_board
from vigie.opendata.domain import SLUG
from vigie.runtime import Vigie
from vigie.web.deps import CSRF_HEADER, form_is_ours
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(tags=["opendata: releases"], include_in_schema=False)
PAGE = "/donnees/gestion/publications"
OUTCOMES = ("published", "blocked", "running")


def _vigie(request: Request) -> Vigie:
    return request.app.state.vigie  # type: ignore[no-any-return]


@router.get(PAGE, response_class=HTMLResponse, response_model=None)
async def releases_page(request: Request, done: str = "", dataset: str = "") -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("opendata.publish"):
        return forbidden_page(request)
    v = _vigie(request)
    board = await run_in_threadpool(release_board, v, utcnow())
    # What the last click came to, for a dataset of the board (never an echo of the address).
    outcome = done if done in OUTCOMES and any(e.dataset.id == dataset for e in board) else ""
    return render(
        request,
        "opendata/releases.html",
        nav="opendata",
        csrf_token=csrf,
        board=board,
        outcome=outcome,
        outcome_dataset=dataset if outcome else "",
        now=utcnow(),
    )


@router.post(PAGE + "/{dataset_id}/construire", response_model=None)
async def build_release(request: Request, dataset_id: str) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("opendata.publish"):
        return forbidden_page(request)  # before the form is read
    form = await request.form(max_files=0, max_fields=4)
    sent = form.get("csrf_token")
    token = sent if isinstance(sent, str) else request.headers.get(CSRF_HEADER, "")
    if not form_is_ours(request, token, csrf):
        return forbidden_page(request)
    if not SLUG.match(dataset_id):
        return await run_in_threadpool(_not_found, request)
    row = await run_in_threadpool(do_release_on_demand, _vigie(request), agent, dataset_id)
    outcome = "running" if row is None else row.status
    return RedirectResponse(f"{PAGE}?done={outcome}&dataset={dataset_id}#ds-{dataset_id}", status_code=303)


def _not_found(request: Request) -> Response:
    return render(request, "opendata/not_found.html", status_code=404, nav="opendata")


__all__ = ["router"]
