"""Live delays from a GTFS-Realtime TripUpdates feed (protobuf, https://gtfs.org/realtime/).

:func:`parse_trip_updates` reads a feed message into :class:`Delays`;
:class:`RealtimeFeed` keeps the last one read and reads again when it is older
than its time to live: one reader at a time, the others go on with what is
there, so a slow or failing feed never holds up a page (a feed that cannot be
read is logged and the last good one kept until it is too old to be shown).
A stop without an update takes the delay of the trip's last update before it,
as the specification says delays propagate.
"""

from __future__ import annotations

import logging
import threading
import time as clock
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from vigie.errors import BadRequest

log = logging.getLogger(__name__)
STALE_AFTER = 600  # seconds: older delays are not shown at all
MAX_FEED_BYTES = 20 * 1024 * 1024


class RealtimeError(BadRequest):
    """The feed cannot be read as GTFS-Realtime."""


@dataclass
class TripDelays:
    start_date: str  # YYYYMMDD, "" when the feed does not say
    canceled: bool = False
    # (stop_sequence, stop_id, delay in seconds), by sequence when the feed gives them
    stops: list[tuple[int, str, int]] = field(default_factory=list)

    def delay_at(self, stop_sequence: int, stop_id: str) -> int | None:
        """The delay at this stop: its own update, else the last one before it (None: no update yet)."""
        for seq, sid, delay in self.stops:
            if sid == stop_id and (seq < 0 or seq == stop_sequence):
                return delay
        keys = [seq for seq, _sid, _d in self.stops]
        i = bisect_right(keys, stop_sequence)
        return self.stops[i - 1][2] if i > 0 and keys[i - 1] >= 0 else None


@dataclass
class Delays:
    timestamp: int  # the feed header's, Unix time
    trips: dict[str, TripDelays]


def parse_trip_updates(data: bytes) -> Delays:
    from google.protobuf.message import DecodeError
    from google.transit import gtfs_realtime_pb2 as rt

    if len(data) > MAX_FEED_BYTES:
        raise RealtimeError(f"the feed is larger than {MAX_FEED_BYTES} bytes")
    message = rt.FeedMessage()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise RealtimeError(f"not a GTFS-Realtime feed message: {exc}") from None
    if not message.HasField("header"):
        raise RealtimeError("not a GTFS-Realtime feed message: no header")
    trips: dict[str, TripDelays] = {}
    canceled = rt.TripDescriptor.CANCELED
    for entity in message.entity:
        if not entity.HasField("trip_update") or entity.is_deleted:
            continue
        update = entity.trip_update
        tid = update.trip.trip_id
        if not tid:
            continue
        trip = TripDelays(update.trip.start_date, update.trip.schedule_relationship == canceled)
        default = update.delay if update.HasField("delay") else None
        for u in update.stop_time_update:
            event = u.departure if u.HasField("departure") and u.departure.HasField("delay") else u.arrival
            delay = event.delay if event.HasField("delay") else default
            if delay is None:
                continue
            trip.stops.append((u.stop_sequence if u.HasField("stop_sequence") else -1, u.stop_id, delay))
        if not trip.stops and default is not None:
            trip.stops.append((0, "", default))
        trip.stops.sort(key=lambda s: s[0])
        trips[tid] = trip
    return Delays(message.header.timestamp, trips)


class RealtimeFeed:
    """The latest delays of a feed read by ``fetch`` (bytes), read again after ``ttl`` seconds."""

    def __init__(self, fetch: Callable[[], bytes], ttl: float, name: str) -> None:
        self.fetch = fetch
        self.ttl = ttl
        self.name = name
        self._lock = threading.Lock()
        self._delays: Delays | None = None
        self._read_at = 0.0  # monotonic, of the last good read
        self._tried_at = -1e9

    def current(self) -> Delays | None:
        now = clock.monotonic()
        if now - self._tried_at >= self.ttl and self._lock.acquire(blocking=self._delays is None):
            try:
                if clock.monotonic() - self._tried_at >= self.ttl:
                    self._tried_at = clock.monotonic()
                    self._delays = parse_trip_updates(self.fetch())
                    self._read_at = clock.monotonic()
            except Exception as exc:  # noqa: BLE001 - a feed down must not break the page
                log.warning("real-time feed %s unreadable: %s", self.name, exc)
            finally:
                self._lock.release()
        if self._delays is None or clock.monotonic() - self._read_at > STALE_AFTER:
            return None
        return self._delays


def http_fetch(url: str, timeout: float = 5.0) -> Callable[[], bytes]:
    def fetch() -> bytes:
        import httpx

        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
        return response.content

    return fetch


__all__ = ["Delays", "RealtimeError", "RealtimeFeed", "TripDelays", "http_fetch", "parse_trip_updates"]
