"""The event bus seam: in-process by default, PostgreSQL LISTEN/NOTIFY at scale.

Publishers are synchronous use-case functions that call :meth:`publish`
*after* their transaction commits, or, when the bus travels through the
database (:meth:`notification` gives the NOTIFY), send it from their own
transaction: PostgreSQL delivers it at commit and never if it rolls back.
Subscribers are SSE streams running on the event loop; the :class:`Hub` fans
events out to them. With PostgreSQL every worker listens on one channel, so an
event published by any worker reaches the clients connected to all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Protocol

from vigie.events.domain import DomainEvent

log = logging.getLogger(__name__)
CHANNEL = "vigie_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_NOTIFY_BYTES = 7900


class Subscription:
    def __init__(self, hub: Hub, accept: Callable[[DomainEvent], bool], maxsize: int) -> None:
        self.hub = hub
        self.accept = accept
        self.queue: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    async def get(self) -> DomainEvent:
        return await self.queue.get()

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    """Fan-out to the subscribers of this process. Lives on one event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[Subscription] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, accept: Callable[[DomainEvent], bool], maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, accept, maxsize)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    def dispatch(self, event: DomainEvent) -> None:
        for sub in list(self.subscribers):
            if not sub.accept(event):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A client that cannot keep up is cut off rather than slowing the rest;
                # its EventSource reconnects and reloads the current state.
                sub.overflowed = True
                self.subscribers.discard(sub)

    def dispatch_threadsafe(self, event: DomainEvent) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.dispatch(event)
        else:
            with contextlib.suppress(RuntimeError):  # loop shutting down
                loop.call_soon_threadsafe(self.dispatch, event)


class EventBus(Protocol):
    hub: Hub

    def publish(self, events: list[DomainEvent]) -> None: ...

    def notification(self, event: DomainEvent) -> tuple[str, str] | None:
        """The (channel, payload) of a NOTIFY that publishes ``event``, or None.

        A writer whose work is one statement may send it from that statement
        (one round trip instead of two); None: this bus publishes only through
        :meth:`publish`, after commit.
        """
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class MemoryBus:
    """One process: events go straight to this process's hub."""

    def __init__(self) -> None:
        self.hub = Hub()

    def publish(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.hub.dispatch_threadsafe(_with_id(event))

    def notification(self, event: DomainEvent) -> tuple[str, str] | None:
        return None

    async def start(self) -> None:
        self.hub.bind(asyncio.get_running_loop())

    async def stop(self) -> None:
        pass


class PostgresBus:
    """Events travel through PostgreSQL NOTIFY so that every worker receives them."""

    def __init__(self, dsn: str) -> None:
        self.hub = Hub()
        self.dsn = dsn
        self._task: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._conn: object | None = None
        self._ready = asyncio.Event()

    def _notify_conn(self):  # type: ignore[no-untyped-def]
        import psycopg

        if self._conn is None or getattr(self._conn, "closed", True):
            conn = psycopg.connect(self.dsn, autocommit=True)
            # A notification carries no data (what it announces is already committed)
            # and reaches listeners at commit: no need to wait for its WAL flush, which
            # under a heavy telemetry ingest took long enough to queue events for seconds.
            conn.execute("SET synchronous_commit = off")
            self._conn = conn
        return self._conn

    def publish(self, events: list[DomainEvent]) -> None:
        if not events:
            return
        texts = [_fit(_with_id(event)) for event in events]
        with self._lock:
            for attempt in range(2):
                try:
                    conn = self._notify_conn()
                    if len(texts) == 1:
                        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, texts[0]))
                    else:  # one statement, one transaction: delivered together, in order
                        conn.execute(
                            "SELECT pg_notify(%s, t) FROM unnest(%s::text[]) AS t",
                            (CHANNEL, texts),
                        )
                    break
                except Exception:
                    self._conn = None
                    if attempt:
                        log.exception("could not publish %d events (%s…)", len(events), events[0].type)

    def notification(self, event: DomainEvent) -> tuple[str, str] | None:
        # What publish() would send: every listener decodes it the same way.
        return CHANNEL, _fit(_with_id(event))

    async def start(self) -> None:
        self.hub.bind(asyncio.get_running_loop())
        self._task = asyncio.create_task(self._listen())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with self._lock:
            conn = self._conn
            self._conn = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # type: ignore[attr-defined]

    async def _listen(self) -> None:
        import psycopg

        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    delay = 0.5
                    async for note in conn.notifies():
                        if not self.hub.subscribers:
                            continue  # nobody here to tell: not worth decoding
                        try:
                            self.hub.dispatch(DomainEvent.from_json(note.payload))
                        except Exception:
                            log.exception("dropping malformed event notification")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event listener lost its connection (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)


def _with_id(event: DomainEvent) -> DomainEvent:
    if event.id:
        return event
    return DomainEvent(
        type=event.type,
        report_ids=event.report_ids,
        public=event.public,
        payload=event.payload,
        agent=event.agent,
        id=uuid.uuid4().hex,
    )


# What an event may lose, in order, to fit in a NOTIFY. Every free text a resident or an
# agent can write is here: a text attribute of 4,000 emoji is 16,000 bytes on its own.
_SHED = (
    ({"description", "status_notes"}, {"internal_note", "description"}),
    ({"attributes", "address", "reject_reason"}, {"reporter", "note"}),
)
# What is always kept: enough for a client to know which report changed, and how.
_KEEP = {"id", "reference", "service_code", "status", "open311_status", "lat", "long", "zone"}


def _fit(event: DomainEvent) -> str:
    """The event's JSON, made to fit a NOTIFY: publishing never fails for its size.

    Clients that receive ``truncated`` fetch the report for what is missing.
    """
    text = event.to_json()
    if len(text.encode()) <= MAX_NOTIFY_BYTES:
        return text
    payload, agent = dict(event.payload), dict(event.agent)
    for public_keys, agent_keys in _SHED:
        payload = {k: v for k, v in payload.items() if k not in public_keys}
        agent = {k: v for k, v in agent.items() if k not in agent_keys}
        marked = {**payload, "truncated": True}
        text = DomainEvent(event.type, event.report_ids, event.public, marked, agent, event.id).to_json()
        if len(text.encode()) <= MAX_NOTIFY_BYTES:
            return text
    bare = {k: v for k, v in payload.items() if k in _KEEP and (not isinstance(v, str) or len(v) <= 200)}
    bare["truncated"] = True
    return DomainEvent(event.type, event.report_ids[:100], event.public, bare, {}, event.id).to_json()


def make_bus(kind: str, database_url: str) -> EventBus:
    if kind == "auto":
        kind = "postgres" if database_url.startswith("postgresql") else "memory"
    if kind == "memory":
        return MemoryBus()
    if kind == "postgres":
        dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
        return PostgresBus(dsn)
    raise ValueError(f"unknown event bus '{kind}' (expected memory, postgres or auto)")
