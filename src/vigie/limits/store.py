"""The limits seam: counters shared by every worker process, chosen by configuration.

Several ``vigie serve`` workers must count together: a limit of 30 anonymous
reports a minute counted in each process's memory let 54 of 90 through with two
workers. :class:`LimitStore` has two operations:

- ``take``: a rate (the generic cell rate algorithm): at most ``per_period``
  events at once, then one every ``period / per_period`` seconds; one atomic
  update of one value per key.
- ``hit`` / ``read`` / ``reset``: counters of events with the time of the last
  one, forgotten ``keep`` seconds after it (failed sign-ins).

Backends: the database (``vigie.limits.sql``: PostgreSQL's table, or a SQLite
file next to the database), Redis when ``VIGIE_REDIS_URL`` is set
(``vigie.limits.redis_store``), and process memory for an in-memory database.
Every store is wrapped in :class:`FailOpen`: when the backend fails, requests
are let through (and the failure logged) rather than refused.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from vigie.errors import TooManyRequests

if TYPE_CHECKING:
    from vigie.db import Database
    from vigie.runtime import Vigie
    from vigie.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counter:
    count: int
    last_at: float  # epoch seconds of the last event


class LimitStore(Protocol):
    def take(self, key: str, per_period: int, period: float, now: float | None = None) -> float:
        """Count one event of ``key`` if its rate allows it: 0.0, else the seconds to wait
        (the refused event is not counted)."""
        ...

    def hit(self, key: str, keep: float, now: float | None = None) -> Counter:
        """One more event of ``key``; the counter is forgotten ``keep`` seconds after it."""
        ...

    def read(self, keys: list[str], now: float | None = None) -> dict[str, Counter]:
        """The live counters among ``keys`` (missing ones are absent)."""
        ...

    def reset(self, key: str) -> None: ...

    def close(self) -> None: ...


def gcra(tat: float | None, now: float, per_period: int, period: float) -> tuple[float, float]:
    """One event against a stored theoretical arrival time: (new tat, seconds to wait).

    A wait above 0 means refused, and the tat is unchanged. Written once here for
    the memory store and the tests; the SQL and Lua versions do the same.
    """
    interval = period / per_period
    new = max(tat or now, now) + interval
    if new - now > period:
        return tat or now, new - now - period
    return new, 0.0


class MemoryLimitStore:
    """One process only: for an in-memory database (tests, tools)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rates: dict[str, float] = {}
        self.counters: dict[str, tuple[Counter, float]] = {}

    def take(self, key: str, per_period: int, period: float, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self.lock:
            tat, wait = gcra(self.rates.get(key), now, per_period, period)
            self.rates[key] = tat
            if len(self.rates) > 100_000:
                self.rates = {k: t for k, t in self.rates.items() if t > now}
            return wait

    def hit(self, key: str, keep: float, now: float | None = None) -> Counter:
        now = time.time() if now is None else now
        with self.lock:
            found = self.counters.get(key)
            count = found[0].count + 1 if found and found[1] > now else 1
            counter = Counter(count, now)
            self.counters[key] = (counter, now + keep)
            return counter

    def read(self, keys: list[str], now: float | None = None) -> dict[str, Counter]:
        now = time.time() if now is None else now
        with self.lock:
            found = {k: self.counters[k] for k in keys if k in self.counters}
            return {k: counter for k, (counter, expires) in found.items() if expires > now}

    def reset(self, key: str) -> None:
        with self.lock:
            self.counters.pop(key, None)
            self.rates.pop(key, None)

    def close(self) -> None:
        pass


class FailOpen:
    """Lets requests through when the backend fails: a limit must not take the service down."""

    def __init__(self, store: LimitStore, name: str) -> None:
        self.store = store
        self.name = name
        self._last_log = 0.0

    def _failed(self) -> None:
        now = time.monotonic()
        if now - self._last_log > 60:  # one line a minute, not one per request
            self._last_log = now
            log.exception("limits store (%s) failed: requests are not limited meanwhile", self.name)

    def take(self, key: str, per_period: int, period: float, now: float | None = None) -> float:
        try:
            return self.store.take(key, per_period, period, now)
        except Exception:
            self._failed()
            return 0.0

    def hit(self, key: str, keep: float, now: float | None = None) -> Counter:
        try:
            return self.store.hit(key, keep, now)
        except Exception:
            self._failed()
            return Counter(0, time.time())

    def read(self, keys: list[str], now: float | None = None) -> dict[str, Counter]:
        try:
            return self.store.read(keys, now)
        except Exception:
            self._failed()
            return {}

    def reset(self, key: str) -> None:
        try:
            self.store.reset(key)
        except Exception:
            self._failed()

    def close(self) -> None:
        try:
            self.store.close()
        except Exception:
            log.exception("closing the limits store (%s)", self.name)


def make_limit_store(settings: Settings, db: Database) -> LimitStore:
    """Redis when ``redis_url`` is set, else the database (memory for an in-memory SQLite)."""
    if settings.redis_url:
        from vigie.limits.redis_store import RedisLimitStore

        redis_store = RedisLimitStore.from_settings(
            settings.redis_url, settings.redis_limits_db, settings.redis_key_prefix
        )
        return FailOpen(redis_store, "redis")
    if db.dialect == "sqlite" and ":memory:" in db.url:
        return FailOpen(MemoryLimitStore(), "memory")
    from vigie.limits.sql import DatabaseLimitStore

    return FailOpen(DatabaseLimitStore(db), db.dialect)


def store_of(v: Vigie) -> LimitStore:
    """The platform's limits store (made on first use for a platform built without one)."""
    if v.limits is None:
        v.limits = make_limit_store(v.settings, v.db)
    return v.limits


def check_rate(v: Vigie, key: str, limit: int, period: float, too_many: str) -> None:
    """Refuse with a 429 and ``Retry-After`` past ``limit`` uses of ``key`` per ``period``
    seconds, shared by every worker; a limit of 0 or less turns the check off."""
    if limit <= 0:
        return
    wait = store_of(v).take(key, limit, period)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyRequests(f"{too_many} (try again in {seconds} s)", retry_after=seconds)
