"""Exceptions turned into answers: problem JSON, or Open311's own error format under /open311."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigie.app.observability import route_template
from vigie.citizen.web import show_page
from vigie.errors import BadRequest, ModuleNotInUse, NoDataPublished, NotFound, VigieError
from vigie.open311.render import error_response
from vigie.opendata import explore_web, ogc_web
from vigie.web.i18n import request_language
from vigie.web.pages import LoginRequired, login_redirect, module_off_page
from vigie.web.problems import (
    database_busy,
    http_error_response,
    input_error_from_database,
    validation_error_response,
    vigie_error_response,
)

log = logging.getLogger(__name__)


def _open311(request: Request) -> bool:
    return request.url.path.startswith("/open311")


def _open_data_api(request: Request, exc: VigieError) -> Response | None:
    """The open data APIs' own error shapes for what their routers never see (a path none of
    them has, a method they do not take): Opendatasoft's under /api/explore, OGC's under /api/ogc."""
    path = request.url.path
    if path.startswith("/api/explore/") or path == "/api/explore":
        return explore_web.error_answer(exc)
    if path.startswith("/api/ogc/") or path == "/api/ogc":
        return ogc_web.error_answer(request, exc)
    return None


def _http_as_vigie(request: Request, exc: StarletteHTTPException) -> VigieError:
    if exc.status_code == 404:
        return NotFound(f"no such path: {request.url.path[:200]}")
    err = VigieError(str(exc.detail))
    err.status = exc.status_code
    if exc.status_code == 405:
        err.error_code = "MethodNotAllowed"  # type: ignore[attr-defined]
        err.message = f"method {request.method} is not allowed on {request.url.path[:200]}"
    return err


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    return login_redirect(exc.next_url)


async def _vigie_error(request: Request, exc: VigieError) -> Response:
    page = not request.url.path.startswith("/api/")
    if isinstance(exc, ModuleNotInUse) and page:
        return module_off_page(request, exc.module)
    if isinstance(exc, NoDataPublished) and page:  # a residents' page: in their layout, with ways on
        return show_page(request, "citizen/no_data.html", status_code=404, section=exc.section)
    if _open311(request):
        return error_response(request, exc)
    if (shaped := _open_data_api(request, exc)) is not None:
        return shaped
    return vigie_error_response(exc, request_language(request, request.app.state.vigie.city.default_language))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _open311(request):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return error_response(request, BadRequest(f"{where}: {first.get('msg', 'invalid')}"))
    return validation_error_response(exc)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if _open311(request):
        err = NotFound(str(exc.detail)) if exc.status_code == 404 else VigieError(str(exc.detail))
        err.status = exc.status_code
        return error_response(request, err)
    if (shaped := _open_data_api(request, _http_as_vigie(request, exc))) is not None:
        if exc.headers:
            shaped.headers.update(exc.headers)  # Allow, on a 405
        return shaped
    return http_error_response(request, exc)


async def _database_refusal(request: Request, exc: Exception) -> Response:
    # Input only the database refused (a number too large, NUL in text…) is bad input,
    # not a server fault.
    err = input_error_from_database(exc)
    if _open311(request):
        return error_response(request, err)
    return vigie_error_response(err)


async def _database_busy(request: Request, exc: Exception) -> Response:
    err = database_busy(exc)
    if err is None:
        return await _unexpected(request, exc)
    # Its class only: SQLAlchemy's message carries the statement (and its values, personal
    # data maybe).
    log.warning(
        "database busy on %s %s: %s",
        request.method,
        route_template(request.scope),
        type(getattr(exc, "orig", exc)).__name__,
    )
    if _open311(request):
        response = error_response(request, err)
        response.headers["Retry-After"] = str(err.retry_after)  # type: ignore[attr-defined]
        return response
    return vigie_error_response(err)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Log the failure without the request body (it may hold personal data), and with the route
    # template, not the path (it may hold a tracking token or an e-mail link's code).
    log.exception("unhandled error on %s %s", request.method, route_template(request.scope))
    return JSONResponse(
        {"type": "about:blank", "title": "Internal error", "status": 500, "detail": "internal error"},
        status_code=500,
        media_type="application/problem+json",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_exception_handler(VigieError, _vigie_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _database_refusal)
    app.add_exception_handler(DataError, _database_refusal)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(PoolTimeout, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
