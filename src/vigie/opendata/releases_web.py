"""The staff's releases page (/donnees/gestion/publications): every dataset, built-in and
uploaded, with its latest release (published, or blocked and why), a proposal under review,
its schedule, the release history, and a button to build a release now. Thin over
:mod:`vigie.opendata.board` and :func:`vigie.opendata.actions.do_release_on_demand`.

Each dataset's rules can be changed from it (/donnees/gestion/publications/{id}/regles, a plain
form too): the change is a proposal to the ethics committee (``do_propose_rules``), its current
rules staying in force until the committee approves; a refusal is shown again with the error
summary naming the field.

The button is a plain form (it works without the page's script): the release is built during
the request, then the page is shown again saying what came of it. A second click while a
build of the same dataset runs builds nothing and says it is running.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.db import utcnow
from vigie.errors import Conflict, ValidationFailed, VigieError
from vigie.opendata.actions import do_release_on_demand
from vigie.opendata.board import release_board
from vigie.opendata.domain import LOCATION_METHODS, MIN_K, SLUG, TIME_PRECISIONS, ColumnKind, Dataset, Rules
from vigie.opendata.queries import dataset_of
from vigie.opendata.reasons import reason_texts
from vigie.opendata.review import do_propose_rules
from vigie.opendata.staging import current_rules
from vigie.runtime import Vigie
from vigie.web.deps import CSRF_HEADER, form_is_ours
from vigie.web.i18n import reason_text, request_language
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(tags=["opendata: releases"], include_in_schema=False)
PAGE = "/donnees/gestion/publications"
OUTCOMES = ("published", "blocked", "running", "proposed")


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
        # A blocked release's reasons in the page's language.
        reasons_of=lambda r: "; ".join(
            reason_texts(r.reasons, r.reason, request_language(request, v.city.default_language))
        ),
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


def _rules_form(form: Any, dataset: Dataset) -> dict[str, Any]:
    """The rules as the form sent them; values that do not read as numbers are passed on as
    typed, so that the rules' own check names the field."""

    def number(name: str, per: float = 1.0) -> Any:
        raw = str(form.get(name) or "").strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            return raw
        value /= per
        return int(value) if value.is_integer() and name in ("k", "min_count") else value

    time = {}
    for c in dataset.columns:
        precision = form.get(f"time:{c.name}")
        if isinstance(precision, str) and precision:
            time[c.name] = precision
    return {
        "drop": [x for x in form.getlist("drop") if isinstance(x, str)],
        "quasi_identifiers": [x for x in form.getlist("qi") if isinstance(x, str)],
        "time": time,
        "location": str(form.get("location") or ""),
        "location_m": number("location_m"),
        "exclude_sensitive": form.get("exclude_sensitive") == "on",
        "min_count": number("min_count"),
        "k": number("k"),
        "suppress_share": number("suppress_share", 100.0),  # a percentage on the page
    }


def _error_text(request: Request, v: Vigie, error: VigieError) -> str:
    """A refusal in the page's language when it has a code (the API's ``message``); uncoded
    ones keep their text."""
    if not error.reason:
        return error.message
    return reason_text(request_language(request, v.city.default_language), error.reason, error.params)


def _rules_page(
    request: Request,
    v: Vigie,
    dataset: Dataset,
    csrf: str,
    rules: dict[str, Any],
    rules_from: str,
    error: VigieError | None = None,
) -> Response:
    return render(
        request,
        "opendata/rules.html",
        status_code=error.status if error else 200,
        nav="opendata",
        csrf_token=csrf,
        d=dataset,
        rules=rules,
        rules_from=rules_from,
        error=error,
        error_text=_error_text(request, v, error) if error else "",
        error_field=_field_id(dataset, error.field or "") if error else "",
        location_methods=LOCATION_METHODS,
        time_precisions=TIME_PRECISIONS,
        min_k=MIN_K,
    )


def _field_id(dataset: Dataset, field: str) -> str:
    """The form field a refusal names (the first of a column list)."""
    name = field.removeprefix("rules").lstrip(".").split(".")[0]
    if name in ("drop", "quasi_identifiers"):
        return f"rule-{'drop' if name == 'drop' else 'qi'}-0"
    if name == "time":
        first = next((i for i, c in enumerate(dataset.columns) if c.kind == ColumnKind.TIME), None)
        return f"rule-time-{first}" if first is not None else "rule-location"
    if name == "summary":
        return "rule-summary"
    return f"rule-{name}" if name in _RULE_FIELDS else "rule-location"


_RULE_FIELDS = ("location", "location_m", "exclude_sensitive", "min_count", "k", "suppress_share")


@router.get(PAGE + "/{dataset_id}/regles", response_class=HTMLResponse, response_model=None)
async def rules_page(request: Request, dataset_id: str) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("opendata.publish"):
        return forbidden_page(request)
    v = _vigie(request)
    if not SLUG.match(dataset_id):
        return await run_in_threadpool(_not_found, request)
    dataset = await run_in_threadpool(dataset_of, v, dataset_id)
    rules, rules_from = await run_in_threadpool(current_rules, v, dataset)
    if rules is None:
        rules, rules_from = Rules().to_json(), "default"
    return _rules_page(request, v, dataset, csrf, rules, rules_from)


@router.post(PAGE + "/{dataset_id}/regles", response_class=HTMLResponse, response_model=None)
async def propose_rules(request: Request, dataset_id: str) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("opendata.publish"):
        return forbidden_page(request)  # before the form is read
    form = await request.form(max_files=0, max_fields=500)
    sent = form.get("csrf_token")
    token = sent if isinstance(sent, str) else request.headers.get(CSRF_HEADER, "")
    if not form_is_ours(request, token, csrf):
        return forbidden_page(request)
    v = _vigie(request)
    if not SLUG.match(dataset_id):
        return await run_in_threadpool(_not_found, request)
    dataset = await run_in_threadpool(dataset_of, v, dataset_id)
    rules = _rules_form(form, dataset)
    summary = form.get("summary")
    try:
        await run_in_threadpool(
            do_propose_rules, v, agent, dataset_id, rules, summary if isinstance(summary, str) else ""
        )
    except (ValidationFailed, Conflict) as exc:
        return _rules_page(request, v, dataset, csrf, rules, "sent", exc)  # as sent, to correct
    return RedirectResponse(f"{PAGE}?done=proposed&dataset={dataset_id}#ds-{dataset_id}", status_code=303)


def _not_found(request: Request) -> Response:
    return render(request, "opendata/not_found.html", status_code=404, nav="opendata")


__all__ = ["router"]
