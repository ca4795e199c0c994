"""Transport (issue 19): next departures for a stop at concurrency 8, Divia's rebuilt day loaded.

1. Rebuilds Divia's recorded day of 31 October 2023 from the shared data (about
   60,000 stop times of 2,527 trips, every stop of the October 2023 feed), its
   times moved so that now is 10:00 of the recorded day (a busy hour whatever
   the hour of the run), and imports it with ``do_import_gtfs`` into a fresh
   database (SQLite file, or PostgreSQL with ``--backend postgres``).
2. Serves the live delays of 10:00 as a GTFS-Realtime TripUpdates feed from a
   small HTTP server (``Replay.feed``), which Vigie reads as its configured
   feed (``VIGIE_TRANSPORT_REALTIME_URL``, read again every 30 s).
3. Serves Vigie (one worker) and runs wrk with 8 connections on
   ``/api/v1/transport/stops/{id}/departures`` for random served stops;
   baseline in the same run: ``/health`` at the same concurrency.

    .venv/bin/python bench/bench_transport.py
    .venv/bin/python bench/bench_transport.py --backend postgres

Target: next departures p95 <= 30 ms at concurrency 8.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import date, datetime
from datetime import time as dtime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    add_backend_arg,
    banner,
    fresh_database,
    http_get_json,
    reproduce,
    run_wrk,
    save_result,
    verdict,
    vigie_server,
)

DIVIA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dijon" / "divia_gtfs_2023-10"
RECORDING = DIVIA / "observed_stop_times_2023-10-31_gtfsrt.csv"
PARIS = ZoneInfo("Europe/Paris")
TARGET_MS = 30.0
LUA = r"""
local paths = %(paths)s
request = function()
  seed()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def lua_paths(paths: list[str]) -> str:
    return LUA % {"paths": json.dumps(paths).replace("[", "{").replace("]", "}")}


def feed_server(body: bytes) -> ThreadingHTTPServer:
    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def in_process(v: Any, served: list[str]) -> None:
    """The use case's own cost, one thread, no HTTP; baseline: SELECT 1 on the same engine."""
    from sqlalchemy import text

    from vigie.transport.departures import stop_departures

    with v.db.engine.connect() as conn:
        start = time.perf_counter()
        for _ in range(500):
            conn.execute(text("SELECT 1")).scalar()
        one = (time.perf_counter() - start) / 500 * 1000
    now = datetime.now(PARIS)
    times = []
    for sid in served:
        t = time.perf_counter()
        stop_departures(v, sid, now)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
    print(f"  in process, one thread: p50 {p50:.2f} ms  p95 {p95:.2f} ms  (SELECT 1: {one:.3f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not RECORDING.is_file():
        raise SystemExit(f"{RECORDING} not found (shared data)")
    from vigie.bootstrap import build_vigie
    from vigie.settings import Settings
    from vigie.transport.departures import stops_near
    from vigie.transport.importer import do_import_gtfs
    from vigie.transport.replay import Replay, rebuild_day

    banner(f"Transport: next departures at concurrency {args.connections} ({args.backend})")
    url, data_dir = fresh_database(args.backend, "transport")
    now = datetime.now(PARIS)
    clock = now.hour * 3600 + now.minute * 60 + now.second
    shift = clock - 10 * 3600
    start = time.perf_counter()
    _, trips, _ = rebuild_day(DIVIA, RECORDING, data_dir / "replay", date.today(), 3, shift=shift)
    rebuilt = time.perf_counter() - start
    v = build_vigie(Settings(database_url=url, data_dir=data_dir, background_services=False))
    try:
        start = time.perf_counter()
        result = do_import_gtfs(v, data_dir / "replay")
        imported = time.perf_counter() - start
        served = [s.id for s in stops_near(v, 47.3220, 5.0410, 20_000, 2000)]
        in_process(v, served)
    finally:
        v.db.dispose()
    print(f"  rebuilt {trips} trips in {rebuilt:.1f} s")
    print(f"  imported {result.stop_times:,} stop times in {imported:.1f} s")
    print(f"  {len(served)} served stops; now {now:%H:%M} local is 10:00 of the recorded day")
    replay = Replay(RECORDING, "Europe/Paris")
    ten = datetime.combine(now.date(), dtime(10, 0), PARIS)
    feed = feed_server(replay.feed(ten))
    figures: dict[str, Any] = {}
    try:
        with vigie_server(
            "vigie-transport",
            url,
            data_dir,
            VIGIE_TRANSPORT_REALTIME_URL=f"http://127.0.0.1:{feed.server_port}/trip-updates.pb",
        ) as srv:
            sample = http_get_json(f"{srv.base}/api/v1/transport/stops/{served[0]}/departures")
            live = sum(1 for d in sample["departures"] if d["realtime"])
            print(
                f"  sample stop {served[0]}: {len(sample['departures'])} departures, {live} with a live delay"
            )
            paths = [f"/api/v1/transport/stops/{sid}/departures" for sid in served]
            run_wrk(
                srv.base,
                lua_paths(paths[:50]),
                connections=args.connections,
                duration=3,
                name="transport-warm",
            )
            figures["departures"] = run_wrk(
                srv.base,
                lua_paths(paths),
                connections=args.connections,
                duration=args.duration,
                name="transport",
            )
            figures["health"] = run_wrk(
                srv.base,
                lua_paths(["/health"]),
                connections=args.connections,
                duration=args.duration,
                name="transport-health",
            )
    finally:
        feed.shutdown()
    base = figures["health"]["latency_us"]["p95"] / 1000
    w = figures["departures"]
    p50, p95 = w["latency_us"]["p50"] / 1000, w["latency_us"]["p95"] / 1000
    print(
        f"  departures: {w['rps']:.0f} req/s  p50 {p50:.1f} ms  p95 {p95:.1f} ms  non-2xx {w['non_2xx']}  "
        f"/health p95 {base:.2f} ms  ratio {p95 / base:.1f}x  target p95 <= {TARGET_MS:.0f} ms: "
        f"{verdict(p95 <= TARGET_MS and w['non_2xx'] == 0)}"
    )
    path = save_result(
        "bench_transport",
        {"backend": args.backend, "import_s": imported, "stop_times": result.stop_times, **figures},
    )
    print(f"  saved {path}\n  reproduce: {reproduce('bench_transport.py')}")


if __name__ == "__main__":
    main()
