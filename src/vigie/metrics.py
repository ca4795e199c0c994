"""What the city's IT watches: the process's Prometheus metrics, declared once.

Counters and histograms live in the process that counts; ``vigie serve`` with several
workers sets ``PROMETHEUS_MULTIPROC_DIR`` so that a scrape of any worker adds up every
worker's (prometheus_client's multiprocess mode). Figures the database already holds
(open reports, outbox backlog, active alarms) are read at scrape time instead, by
:mod:`vigie.app.observability`, so every worker gives the same answer.

Labels never carry personal data nor anything unbounded: a request is labelled by its
route template (``/suivi/{token}``), never by its path.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.registry import REGISTRY

__all__ = [
    "DEAD_LETTERS",
    "INGEST_ACCEPTED",
    "INGEST_RECEIVED",
    "OPENDATA_ANSWERS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "SSE_CLIENTS",
    "scrape_registry",
]

REQUESTS = Counter(
    "vigie_http_requests",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "vigie_http_request_duration_seconds",
    "Time to answer an HTTP request (to the first byte of a stream), by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SSE_CLIENTS = Gauge(
    "vigie_sse_clients", "Live event streams (SSE) open now.", ["stream"], multiprocess_mode="livesum"
)
INGEST_RECEIVED = Counter("vigie_ingest_messages_received", "Telemetry messages received by the ingest.")
INGEST_ACCEPTED = Counter(
    "vigie_ingest_messages_accepted", "Telemetry messages accepted (not dead-lettered)."
)
OPENDATA_ANSWERS = Counter(
    "vigie_opendata_answers",
    "Records API (Explore v2.1) answers, totals of full pages and fields' checkpoints: kept from an "
    "earlier request on the same release, or computed.",
    ["part", "result"],
)
DEAD_LETTERS = Counter("vigie_ingest_dead_letters", "Telemetry messages refused, by reason.", ["reason"])


def scrape_registry() -> CollectorRegistry:
    """The registry a scrape reads: every worker's files in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY
