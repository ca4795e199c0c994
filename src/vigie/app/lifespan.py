"""Starting and stopping the platform with the app: thread pools, event bus, background services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from vigie.background import BackgroundService, background_services
from vigie.bootstrap import build_vigie
from vigie.maps.basemap import Basemap
from vigie.maps.layers import context_layers
from vigie.opendata.lab_worker import stop_lab
from vigie.runtime import Vigie
from vigie.settings import Settings

log = logging.getLogger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def lifespan_for(settings: Settings, vigie: Vigie | None, basemap: Basemap) -> Lifespan:
    """The lifespan of an app: builds the platform from ``settings`` unless given
    ``vigie``, which then belongs to the caller (not closed at the end)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        v = vigie or build_vigie(settings)
        app.state.vigie = v
        v.basemap = basemap
        # Read (and checked) before the first page: a broken feed stops start-up with its reasons.
        await run_in_threadpool(context_layers, v)
        # Plain executors: anyio's per-call bookkeeping cost ~10 % of a report's intake.
        app.state.read_pool = ThreadPoolExecutor(v.settings.read_concurrency, thread_name_prefix="vigie-read")
        writers = v.settings.write_concurrency or (32 if v.db.dialect == "sqlite" else 4)
        app.state.write_pool = ThreadPoolExecutor(writers, thread_name_prefix="vigie-write")
        await v.bus.start()
        services = background_services(v) if settings.background_services else []
        started: list[BackgroundService] = []
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
            # The data lab's query process is this app's (started by its first lab query).
            await run_in_threadpool(stop_lab, v)
            app.state.read_pool.shutdown(wait=False)
            app.state.write_pool.shutdown(wait=False)
            if vigie is None:
                if v.limits is not None:
                    v.limits.close()
                v.db.dispose()

    return lifespan
