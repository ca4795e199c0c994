"""Application factory: assembles routers, error handlers, middleware and lifespan."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from vigie import __version__
from vigie.app.errors import install_error_handlers
from vigie.app.lifespan import StartUpFailed, lifespan_for
from vigie.app.observability import RequestMiddleware
from vigie.app.routers import include_routers
from vigie.citizen.views import resident_sections
from vigie.logs import configure_logging
from vigie.maps.basemap import Basemap, make_basemap
from vigie.reusers.quota import RateLimitHeaders
from vigie.runtime import Vigie
from vigie.settings import Settings
from vigie.startup import start_up_failed
from vigie.web.middleware import InputMiddleware, SecurityHeadersMiddleware
from vigie.web.openapi import city_openapi
from vigie.web.templating import environment


def create_app(
    settings: Settings | None = None, vigie: Vigie | None = None, on_failure: StartUpFailed | None = None
) -> FastAPI:
    """The app for ``settings``; a ``vigie`` given here is used as is and not closed.
    ``on_failure`` hears an exception of the lifespan's start-up (else it is raised)."""
    settings = settings or (vigie.settings if vigie else Settings())
    # Checked here so that a wrong VIGIE_BASEMAP stops start-up with the reason.
    basemap = make_basemap(settings.basemap, settings.basemap_attribution)
    app = FastAPI(
        title="Vigie API",
        version=__version__,
        description="Citizen reports, control centre and open data for a connected city. "
        "The Open311 GeoReport v2 API lives under /open311/v2.",
        lifespan=lifespan_for(settings, vigie, basemap, on_failure),
        docs_url=None,
        redoc_url=None,
    )
    app.state.ready = False
    # The document follows the city: its modules, its sections with data, its place.
    app.state.openapi_documents = {}
    app.openapi = partial(city_openapi, app)  # type: ignore[method-assign]
    include_routers(app)
    install_error_handlers(app)
    # The residents' menu (citizen/base.html) lists the pages that follow the city's data only
    # when it has some; the templates' package cannot ask the contexts above it itself.
    environment().globals["resident_sections"] = resident_sections
    app.state.resident_sections = resident_sections  # for web.deps.data_published, the same way
    install_middleware(app, settings, basemap)
    return app


def install_middleware(app: FastAPI, settings: Settings, basemap: Basemap) -> None:
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(RateLimitHeaders)  # the open data quotas' headers, on errors too
    app.add_middleware(InputMiddleware, max_bytes=settings.max_body_bytes)
    # The early answers of InputMiddleware (413, 400) get the headers too.
    app.add_middleware(
        SecurityHeadersMiddleware,
        tile_origin=basemap.csp_origin(),
        https=settings.public_base_url.startswith("https://"),
    )
    # Outermost: every answer has a request id and is counted.
    app.add_middleware(RequestMiddleware, access_lines=settings.log_format == "json")


def app_from_env() -> FastAPI:
    """Entry point for uvicorn workers (`vigie.app:app_from_env --factory`): a failure here or
    in the start-up ends the process with one message (vigie.startup)."""
    try:
        settings = Settings()
        configure_logging(settings.log_level, settings.log_format)
        return create_app(settings, on_failure=start_up_failed)
    except Exception as exc:
        start_up_failed(exc)
