"""What the city's IT watches: request ids and metrics on every request, `/metrics`.

The middleware gives each request an id (a well-formed incoming ``X-Request-ID`` is
kept, so nginx's id follows the request), counts it by route template and, with
``VIGIE_LOG_FORMAT=json``, writes one access line without personal data. `/metrics`
adds to the process counters (:mod:`vigie.metrics`) the figures the database holds,
read at scrape time so every worker and node gives the same answer.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import random
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigie import metrics
from vigie.alarms.queries import active_counts
from vigie.errors import Forbidden
from vigie.logs import REQUEST_ID
from vigie.notifications.service import outbox_backlog
from vigie.reports.lookups import open_counts
from vigie.runtime import Vigie
from vigie.settings import Settings

router = APIRouter()
access_log = logging.getLogger("vigie.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_IDS = random.Random()  # seeded from os.urandom, again in each forked worker
os.register_at_fork(after_in_child=_IDS.seed)


class RequestMiddleware:
    """Request id, metrics and (JSON logs) the access line, for every HTTP request."""

    def __init__(self, app: ASGIApp, access_lines: bool) -> None:
        self.app = app
        self.access_lines = access_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), b"")
        rid = incoming.decode("latin-1")
        if not _REQUEST_ID.match(rid):
            # An id to follow a request through the logs, not a secret: drawn from the process's
            # own generator. os.urandom lets go of Python's global lock, and under load the event
            # loop then waited for it back before every request it read.
            rid = f"{_IDS.getrandbits(64):016x}"
        token = REQUEST_ID.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
                # Streams (SSE) are timed to their first byte, not to the end of the stream.
                _observe(scope, status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_lines:
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope["method"],
                            "route": route_template(scope),
                            "status": status,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        }
                    },
                )
            REQUEST_ID.reset(token)


def route_template(scope: Scope) -> str:
    """The route template (``/suivi/{token}``), never the path, which may hold a token."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(unmatched)"


def _observe(scope: Scope, status: int, seconds: float) -> None:
    route, method = route_template(scope), scope["method"]
    metrics.REQUESTS.labels(method, route, str(status)).inc()
    metrics.REQUEST_SECONDS.labels(method, route).observe(seconds)


class DatabaseFigures(Collector):
    """Queue sizes, outbox backlog and active alarms, read from the database (cached briefly)."""

    ttl = 10.0

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self._lock = threading.Lock()
        self._at = -1e9
        self._families: list[GaugeMetricFamily] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._at > self.ttl:
                self._families = list(self._read())
                self._at = time.monotonic()
            yield from self._families

    def _read(self) -> Iterable[GaugeMetricFamily]:
        with self.v.db.session() as s:
            queue, backlog, alarms = open_counts(s), outbox_backlog(s), active_counts(s)
        yield _gauge("vigie_reports_open", "Reports not closed, by status.", "status", queue)
        yield _gauge("vigie_outbox_backlog", "E-mails waiting to be sent.", "status", backlog)
        yield _gauge("vigie_alarms_active", "Active alarms, by severity.", "severity", alarms)


def _gauge(name: str, documentation: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, n in sorted(values.items()):
        family.add_metric([key], n)
    return family


def _networks(settings: Settings) -> list[Any]:
    return [
        ipaddress.ip_network(n.strip(), strict=False)
        for n in settings.metrics_networks.split(",")
        if n.strip()
    ]


def check_metrics_access(settings: Settings, client_host: str, authorization: str) -> None:
    """Open to the monitoring networks, or to anyone holding the metrics token; 403 otherwise."""
    token = settings.metrics_token
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    if token and bearer and hmac.compare_digest(bearer.encode(), token.encode()):
        return
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        address = None
    if address is not None and any(address in net for net in _networks(settings)):
        return
    raise Forbidden("The metrics are for the operators' monitoring: ask the administrator for the token.")


@router.get("/metrics", tags=["meta"], summary="Prometheus metrics (operators' network or token)")
def prometheus_metrics(request: Request) -> Response:
    v: Vigie = request.app.state.vigie
    check_metrics_access(
        v.settings, request.client.host if request.client else "", request.headers.get("authorization", "")
    )
    registry: CollectorRegistry = CollectorRegistry()
    registry.register(_ProcessOrWorkers())
    figures = getattr(request.app.state, "db_figures", None)
    if figures is None:
        figures = request.app.state.db_figures = DatabaseFigures(v)
    registry.register(figures)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class _ProcessOrWorkers(Collector):
    """Every worker's counters in multiprocess mode, this process's otherwise."""

    def collect(self) -> Iterator[Any]:
        yield from metrics.scrape_registry().collect()
