"""The quotas of the open data APIs: one check every API calls, counted across workers.

``enforce(request, api)`` (or the FastAPI dependency ``quota(api)``) identifies the
caller — a reuser key sent as ``Authorization: Apikey <key>`` or ``?apikey=``
(Opendatasoft's two ways), else the client address — and counts the request in
fixed windows aligned on UTC (this minute, this day) through the limits seam
(:mod:`vigie.limits`: the database or Redis, shared by every worker). Past a
window's quota it raises ``TooManyRequests`` (429, ``Retry-After`` until the
window ends); an unknown or revoked key is a 401. Every answer of a counted
request carries ``RateLimit-Policy`` and ``RateLimit`` (draft-ietf-httpapi-
ratelimit-headers), naming the quota (``"minute"``, ``"day"``), written by
:class:`RateLimitHeaders` from ``request.state``. The quotas are shared by all the
open data APIs: records and exports, the data lab, OGC API Features.

Client addresses are counted under a keyed hash, never in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigie.errors import TooManyRequests, Unauthorized
from vigie.limits.store import store_of
from vigie.reusers.actions import ActiveKey, active_key
from vigie.reusers.domain import Count, Window, looks_like_key, policy_header, state_header, windows
from vigie.runtime import Vigie
from vigie.web.deps import client_id


def _now() -> float:
    """The clock the windows are counted on (one place for tests to hold it still)."""
    return time.time()


USAGE_DAYS = 7  # a key's daily counts are kept this long (its holder sees them)
STATE = "rate_limit"


@dataclass(frozen=True)
class Allowance:
    """What a counted request was allowed: who (``key:<id>`` or ``anonymous``), each window."""

    who: str
    key: ActiveKey | None
    counts: tuple[Count, ...]


def key_text(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "apikey ":
        return auth[7:].strip() or None
    return request.query_params.get("apikey") or None


def counter_key(who: str, window: Window, now: float) -> str:
    return f"quota:{who}:{window.name}:{window.start(now)}"


def day_key(who: str, day: datetime) -> str:
    start = int(day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC).timestamp())
    return f"quota:{who}:day:{start}"


def _anonymous(v: Vigie, request: Request) -> str:
    digest = hmac.new(v.settings.secret_key.encode(), client_id(request).encode(), hashlib.sha256)
    return "a" + digest.hexdigest()[:24]


def enforce(request: Request, api: str) -> Allowance:
    """Count this request against its caller's quotas, or refuse it (401, 429)."""
    v: Vigie = request.app.state.vigie
    text = key_text(request)
    key: ActiveKey | None = None
    if text is not None:
        key = active_key(v, text) if looks_like_key(text) else None
        if key is None:
            raise Unauthorized(
                "unknown or revoked API key (apikey); ask for one at /donnees/cles, or call "
                "without a key within the anonymous quota"
            )
        who = f"k{key.id}"
        wins = windows(key.per_minute, key.per_day)
    else:
        who = _anonymous(v, request)
        wins = windows(v.settings.quota_anonymous_per_minute, v.settings.quota_anonymous_per_day)
    now = _now()
    store = store_of(v)
    counts: list[Count] = []
    for w in wins:
        keep = w.seconds + (USAGE_DAYS * 86_400 if key is not None and w.name == "day" else 60)
        counted = Count(w, store.hit(counter_key(who, w, now), keep, now).count)
        counts.append(counted)
        if counted.over:
            request.state.rate_limit = _headers(counts, now)
            whose = "this key's" if key is not None else "the anonymous"
            more = "" if key is not None else " (a reuser key raises it: /donnees/cles)"
            raise TooManyRequests(
                f"{api}: {whose} quota of {w.limit} requests per {w.name} is used up{more}; "
                f"try again in {w.reset(now)} s",
                retry_after=w.reset(now),
            )
    if counts:
        request.state.rate_limit = _headers(counts, now)
    return Allowance(f"key:{key.id}" if key else "anonymous", key, tuple(counts))


def quota(api: str) -> Callable[[Request], Awaitable[Allowance]]:
    """The FastAPI dependency of ``enforce`` for an API's routes: ``Depends(quota("ogc"))``."""

    async def dependency(request: Request) -> Allowance:
        return await run_in_threadpool(enforce, request, api)

    return dependency


def _headers(counts: list[Count], now: float) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-policy", policy_header(counts).encode()),
        (b"ratelimit", state_header(counts, now).encode()),
    ]


def usage(v: Vigie, key: ActiveKey, now: datetime | None = None) -> dict[str, object]:
    """A key's requests this minute and on each of the last days (from the shared counters)."""
    now = now or datetime.fromtimestamp(_now(), UTC)
    who = f"k{key.id}"
    stamp = now.timestamp()
    days = [now - timedelta(days=i) for i in range(USAGE_DAYS)]
    minute = counter_key(who, Window("minute", 60, 1), stamp)
    keys = [minute, *(day_key(who, d) for d in days)]
    found = store_of(v).read(keys, stamp)
    return {
        "per_minute": key.per_minute,
        "per_day": key.per_day,
        "this_minute": found[minute].count if minute in found else 0,
        "days": [
            {"date": d.date().isoformat(), "requests": found[k].count if k in found else 0}
            for d, k in zip(days, keys[1:], strict=True)
        ],
    }


class RateLimitHeaders:
    """Adds the RateLimit headers a quota check left in the request's state to its answer
    (errors included: a 429 names the quota it hit)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                found = scope.get("state", {}).get(STATE)
                if found:
                    message["headers"] = [*message.get("headers", []), *found]
            await send(message)

        await self.app(scope, receive, sending)
