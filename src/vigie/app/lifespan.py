"""Starting and stopping the platform with the app: thread pools, event bus, background services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import NoReturn

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
StartUpFailed = Callable[[BaseException], NoReturn]


def lifespan_for(
    settings: Settings, vigie: Vigie | None, basemap: Basemap, on_failure: StartUpFailed | None = None
) -> Lifespan:
    """The lifespan of an app: builds the platform from ``settings`` unless given
    ``vigie``, which then belongs to the caller (not closed at the end).

    A start-up that fails stops what it had started (the SQLite writer's thread, the event
    bus's listener, the services: left running, they kept the process alive after the
    failure), then hands the exception to ``on_failure`` (``vigie serve``: a message and the
    process's end, vigie.startup), or raises it (the tests' apps)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            try:
                await _start(app, settings, vigie, basemap, stack)
            except Exception as exc:
                await stack.aclose()
                if on_failure is None:
                    raise
                on_failure(exc)
            app.state.ready = True
            try:
                yield
            finally:
                app.state.ready = False

    return lifespan


async def _start(
    app: FastAPI, settings: Settings, vigie: Vigie | None, basemap: Basemap, stack: AsyncExitStack
) -> None:
    """Start the platform, each part's stop pushed on ``stack`` as soon as it runs (undone in
    the reverse order: services, bus, the data lab, pools, then the database)."""
    v = vigie or build_vigie(settings)
    if vigie is None:
        stack.callback(_close_platform, v)
    app.state.vigie = v
    v.basemap = basemap
    # Plain executors: anyio's per-call bookkeeping cost ~10 % of a report's intake.
    app.state.read_pool = ThreadPoolExecutor(v.settings.read_concurrency, thread_name_prefix="vigie-read")
    stack.callback(app.state.read_pool.shutdown, wait=False)
    writers = v.settings.write_concurrency or (32 if v.db.dialect == "sqlite" else 4)
    app.state.write_pool = ThreadPoolExecutor(writers, thread_name_prefix="vigie-write")
    stack.callback(app.state.write_pool.shutdown, wait=False)
    # The data lab's query process is this app's (started by its first lab query).
    stack.push_async_callback(run_in_threadpool, stop_lab, v)
    # Read (and checked) before the first page: a broken feed stops start-up with its reasons.
    await run_in_threadpool(context_layers, v)
    await v.bus.start()
    stack.push_async_callback(v.bus.stop)
    if settings.background_services:
        for service in background_services(v):
            await service.start()
            stack.push_async_callback(_stop_service, service)


async def _stop_service(service: BackgroundService) -> None:
    try:
        await service.stop()
    except Exception:
        log.exception("stopping %s failed", service.name)


def _close_platform(v: Vigie) -> None:
    if v.limits is not None:
        v.limits.close()
    v.db.dispose()
