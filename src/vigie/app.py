"""Application factory: no side effects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from vigie import __version__
from vigie.errors import VigieError
from vigie.runtime import Vigie, build_vigie
from vigie.settings import Settings
from vigie.web.middleware import InputMiddleware, SecurityHeadersMiddleware
from vigie.web.problems import http_error_response, validation_error_response, vigie_error_response

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, vigie: Vigie | None = None) -> FastAPI:
    settings = settings or (vigie.settings if vigie else Settings())
    from vigie.maps.basemap import make_basemap

    # Checked here so that a wrong VIGIE_BASEMAP stops start-up with the reason.
    basemap = make_basemap(settings.basemap, settings.basemap_attribution)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        v = vigie or build_vigie(settings)
        app.state.vigie = v
        v.extra["maps.basemap"] = basemap
        from fastapi.concurrency import run_in_threadpool

        from vigie.maps.layers import context_layers

        # Read (and checked) before the first page: a broken feed stops start-up with its reasons.
        await run_in_threadpool(context_layers, v)
        # Plain executors: anyio's per-call bookkeeping cost ~10 % of a report's intake.
        app.state.read_pool = ThreadPoolExecutor(v.settings.read_concurrency, thread_name_prefix="vigie-read")
        writers = v.settings.write_concurrency or (32 if v.db.dialect == "sqlite" else 4)
        app.state.write_pool = ThreadPoolExecutor(writers, thread_name_prefix="vigie-write")
        await v.bus.start()
        from vigie.background import background_services

        services = background_services(v) if settings.background_services else []
        started = []
        try:
            for service in services:
                await service.start()
                started.append(service)
            app.state.ready = True
            yield
        finally:
            app.state.ready = False
            for service in reversed(started):
                try:
                    await service.stop()
                except Exception:
                    log.exception("stopping %s failed", service.name)
            await v.bus.stop()
            app.state.read_pool.shutdown(wait=False)
            app.state.write_pool.shutdown(wait=False)
            if vigie is None:
                if v.limits is not None:
                    v.limits.close()
                v.db.dispose()

    app = FastAPI(
        title="Vigie API",
        version=__version__,
        description="Citizen reports, control centre and open data for a connected city. "
        "The Open311 GeoReport v2 API lives under /open311/v2.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ready = False

    from vigie.assets.web import router as assets_router
    from vigie.catalogue.web import router as catalogue_router
    from vigie.open311.web import router as open311_router
    from vigie.reports.web import router as reports_router
    from vigie.web.auth import router as auth_router
    from vigie.web.docs import router as docs_router
    from vigie.web.events import router as events_router
    from vigie.web.pages import LoginRequired, login_redirect
    from vigie.web.pages import router as pages_router

    # FastAPI tries routes in order, a few microseconds each: the busiest public
    # endpoints (Open311 intake and lists, the native list) come first.
    app.include_router(open311_router)
    app.include_router(reports_router)
    app.include_router(auth_router)
    app.include_router(catalogue_router)
    app.include_router(assets_router)
    from vigie.addresses.web import router as addresses_router

    app.include_router(addresses_router)
    app.include_router(events_router)
    app.include_router(docs_router)
    app.include_router(pages_router)
    from vigie.citizen.web import router as citizen_router

    app.include_router(citizen_router)
    from vigie.notifications.web import router as mail_router

    app.include_router(mail_router)
    from vigie.pilotage.api import router as pilotage_api_router
    from vigie.pilotage.web import router as pilotage_router

    app.include_router(pilotage_api_router)
    app.include_router(pilotage_router)
    from vigie.alarms.web import router as alarms_router
    from vigie.pilotage.equipment import router as equipment_router
    from vigie.telemetry.web import lighting_router
    from vigie.telemetry.web import router as telemetry_router

    app.include_router(alarms_router)
    app.include_router(telemetry_router)
    app.include_router(lighting_router)
    app.include_router(equipment_router)
    from vigie.maps.web import router as maps_router

    app.include_router(maps_router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc.next_url)

    @app.get("/health", tags=["meta"], summary="Readiness probe")
    def health(request: Request) -> JSONResponse:
        ready = bool(getattr(request.app.state, "ready", False))
        body: dict[str, object] = {"status": "ok" if ready else "starting", "version": __version__}
        if ready:
            v: Vigie = request.app.state.vigie
            body.update(
                {
                    "city": v.city.jurisdiction_id,
                    "database": v.db.dialect,
                    "services": len(v.catalogue.services),
                }
            )
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.exception_handler(VigieError)
    async def _vigie_error(request: Request, exc: VigieError) -> Response:
        if request.url.path.startswith("/open311"):
            from vigie.open311.render import error_response

            return error_response(request, exc)
        return vigie_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/open311"):
            from vigie.errors import BadRequest
            from vigie.open311.render import error_response

            first = exc.errors()[0] if exc.errors() else {}
            where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
            return error_response(request, BadRequest(f"{where}: {first.get('msg', 'invalid')}"))
        return validation_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/open311"):
            from vigie.errors import NotFound, VigieError
            from vigie.open311.render import error_response

            err = NotFound(str(exc.detail)) if exc.status_code == 404 else VigieError(str(exc.detail))
            err.status = exc.status_code
            return error_response(request, err)
        return http_error_response(request, exc)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _overflow(request: Request, exc: Exception) -> Response:
        # Input only the database refused (a number too large, NUL in text…) is bad input,
        # not a server fault.
        from vigie.web.problems import input_error_from_database

        err = input_error_from_database(exc)
        if request.url.path.startswith("/open311"):
            from vigie.open311.render import error_response

            return error_response(request, err)
        return vigie_error_response(err)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Log the failure without the request body: it may hold personal data.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Internal error",
                "status": 500,
                "detail": "internal error",
            },
            status_code=500,
            media_type="application/problem+json",
        )

    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(InputMiddleware, max_bytes=settings.max_body_bytes)
    # Outermost: the early answers of InputMiddleware (413, 400) get the headers too.
    app.add_middleware(
        SecurityHeadersMiddleware,
        tile_origin=basemap.csp_origin(),
        https=settings.public_base_url.startswith("https://"),
    )
    return app


def app_from_env() -> FastAPI:
    """Entry point for uvicorn workers (`vigie.app:app_from_env --factory`)."""
    logging.basicConfig(level=Settings().log_level.upper())
    return create_app()
