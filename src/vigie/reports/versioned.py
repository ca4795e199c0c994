"""Answers of costly read queries (counts, clustered map views), kept until the reports change.

A count over 100,000 open reports or a city-wide clustered view reads every open report
(tens to hundreds of milliseconds); asked again and again by every control room screen
and map, it gives the same answer until a report is created or changed. The version of
the data is the newest report id and the newest ``updated_at`` (two index look-ups):
any new report or any change moves one of them, so an answer is never stale. Per process.

One computation per key at a time: the requests that ask for an answer being computed
wait for it instead of computing it again (eight control room screens opening the
city map together would otherwise read the open reports eight times at once).
An answer kept for the minute only (filtered by SLA state, which moves with the clock)
may name the previous minute's as ``stale``: while one request computes the new minute's,
the others get the previous one instead of waiting.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select

from vigie.reports.storage import ReportRow

T = TypeVar("T")
# Two subqueries: each max is then one index look-up (SQLite optimises a lone min/max only).
VERSION = select(
    select(func.max(ReportRow.id)).scalar_subquery(),
    select(func.max(ReportRow.updated_at)).scalar_subquery(),
)


class VersionedCache:
    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, conn: Any, key: Hashable, compute: Callable[[], T], stale: Hashable | None = None) -> T:
        version = tuple(conn.execute(VERSION).one())
        full = (version, key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[no-any-return]
            flight = self._computing.setdefault(full, threading.Lock())
            previous = (version, stale)
            has_previous = stale is not None and previous in self._items
            older = self._items.get(previous) if has_previous else None
        if not flight.acquire(blocking=False):
            if has_previous:  # another request computes this one: the previous minute's meanwhile
                return older  # type: ignore[return-value]
            flight.acquire()
        try:
            with self._lock:
                if full in self._items:  # computed by the request this one waited for
                    return self._items[full]  # type: ignore[no-any-return]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(full, None)
                raise
            with self._lock:
                self._items[full] = value
                self._computing.pop(full, None)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        finally:
            flight.release()
        return value


COUNTS = VersionedCache()
MAP_VIEWS = VersionedCache(256)
