"""Probes for the orchestrator and the load balancer.

* ``/livez`` -- liveness: the process answers. It checks no dependency, so that a
  database outage never gets every worker restarted at once.
* ``/readyz`` (and ``/health``, its older name) -- readiness: 503 until the lifespan
  has started the platform or while the database cannot be reached (nothing can be
  served without it). The other dependencies -- MQTT broker, object store, Redis --
  are checked and named when down (``"status": "degraded"``) without taking the
  node out of the load balancer: reports can still be made and read.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from vigie import __version__
from vigie.runtime import Vigie

router = APIRouter()
TIMEOUT = 2.0


@router.get("/livez", tags=["meta"], summary="Liveness probe (the process answers)")
def livez() -> JSONResponse:
    return JSONResponse({"status": "alive", "version": __version__})


@router.get("/readyz", tags=["meta"], summary="Readiness probe, naming any dependency that is down")
@router.get("/health", tags=["meta"], summary="Readiness probe (same as /readyz)")
async def readyz(request: Request) -> JSONResponse:
    ready = bool(getattr(request.app.state, "ready", False))
    body: dict[str, Any] = {"status": "ok" if ready else "starting", "version": __version__}
    if not ready:
        return JSONResponse(body, status_code=503)
    v: Vigie = request.app.state.vigie
    checks = await run_in_threadpool(dependency_checks, v)
    body.update(
        {
            "city": v.city.jurisdiction_id,
            "database": v.db.dialect,
            "services": len(v.catalogue.services),
            "checks": checks,
        }
    )
    down = [name for name, c in checks.items() if not c["ok"]]
    if "database" in down:
        body["status"] = "unavailable"
    elif down:
        body["status"] = "degraded"
    body["down"] = down
    return JSONResponse(body, status_code=503 if "database" in down else 200)


def dependency_checks(v: Vigie) -> dict[str, dict[str, Any]]:
    """Each configured dependency: ``{"ok": bool, "ms": float, "error": str}``."""
    checks: dict[str, Callable[[], object]] = {"database": lambda: _database(v)}
    if v.settings.mqtt_url:
        checks["broker"] = lambda: _broker(v)
    check_store = getattr(v.photos, "check", None)
    if callable(check_store):
        checks["object_store"] = check_store
    if v.settings.redis_url:
        checks["redis"] = lambda: _redis(v.settings.redis_url)
    return {name: _run(fn) for name, fn in checks.items()}


def _run(fn: Callable[[], object]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # a probe reports every failure; it must not raise
        reason = getattr(exc, "message", None) or exc.__class__.__name__
        return {"ok": False, "error": str(reason)[:200], "ms": _ms(started)}
    return {"ok": True, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _database(v: Vigie) -> None:
    with v.db.session() as s:
        s.execute(text("SELECT 1"))


def _broker(v: Vigie) -> None:
    source = v.ingest.source
    status = getattr(source, "status", None)
    if callable(status):  # this process ingests: its own connection says it
        if not status().get("connected"):
            raise ConnectionError("the ingest is not connected to the MQTT broker")
        return
    from vigie.telemetry.mqtt import MqttConfig

    cfg = MqttConfig.from_url(v.settings.mqtt_url, v.settings)
    with socket.create_connection((cfg.host, cfg.port), timeout=TIMEOUT):
        pass


def _redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()
