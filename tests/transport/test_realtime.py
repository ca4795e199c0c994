from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.transport.test_departures import trip_updates
from vigie.transport.realtime import RealtimeError, RealtimeFeed, http_fetch, parse_trip_updates


def test_realtime_parse_refuses_what_is_not_a_feed_message():
    with pytest.raises(RealtimeError) as err:
        parse_trip_updates(b"<html>not protobuf</html>")
    assert "not a GTFS-Realtime feed message" in err.value.message


def test_realtime_delay_propagates_to_later_stops_only():
    trip = parse_trip_updates(trip_updates(("t", "", [(3, 60), (6, 180)]))).trips["t"]
    assert [trip.delay_at(s, "") for s in (1, 3, 4, 6, 9)] == [None, 60, 60, 180, 180]


class _Feed(BaseHTTPRequestHandler):
    body = b""
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def test_realtime_feed_is_read_over_http_and_kept_for_its_ttl():
    _Feed.body = trip_updates(("t1", "", [(1, 120)]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = RealtimeFeed(http_fetch(f"http://127.0.0.1:{server.server_port}/tu.pb"), 3600, "test")
        first = feed.current()
        assert first is not None and first.trips["t1"].delay_at(1, "") == 120
        assert feed.current() is first and _Feed.hits == 1  # within its time to live: not read again
    finally:
        server.shutdown()


def test_realtime_feed_down_gives_no_delays_rather_than_an_error():
    def down() -> bytes:
        raise OSError("connection refused")

    assert RealtimeFeed(down, 30, "down").current() is None
