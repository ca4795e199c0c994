"""Telemetry ingest through a real Mosquitto: throughput, alarm latency, memory.

Targets: ≥ 20,000 messages/s sustained with rule evaluation (every message is
validated, merged into the latest state, appended to the series and checked
against the alarm rules); telemetry message → alarm visible on the control-room
SSE stream (/api/v1/events/agent) p99 ≤ 1 s at that rate; ingest process RSS ≤ 400 MB.

Baseline in the same run: a bare paho-mqtt subscriber (no-op callback) draining
the same stream from the same broker. Phases (a private mosquitto on a free port,
a fresh database with the Dijon-sized fleet: 34,000 street lights and the rest):
  A. bare subscriber drains N messages published as fast as possible;
  B. the Vigie web process (VIGIE_MQTT_URL set) drains the same N messages:
     time from the first publish until every sample is committed;
  C. paced publishing at --rate msg/s for --duration s, with --failures lamp
     failures a second on fresh lights; an agent SSE client times each
     alarm.raised from the failure's publication; the ingest must keep up.

    .venv/bin/python bench/bench_ingest.py --backend sqlite
    .venv/bin/python bench/bench_ingest.py --backend postgres --rate 20000 --duration 30
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    PYTHON,
    RESULTS,
    ROOT,
    RssSampler,
    Server,
    add_backend_arg,
    banner,
    cpu_seconds,
    free_port,
    fresh_database,
    log,
    percentile,
    pg_recreate,
    ratio,
    save_result,
    verdict,
    vigie_env,
)

TARGET_RATE = 20_000.0
TARGET_P99_S = 1.0
TARGET_RSS_MB = 400.0
# The ingest alone: no embedded simulator, no daily lighting programs to 34,000 lights.
SERVER_ENV = {
    "VIGIE_TELEMETRY_SIMULATOR": "off",
    "VIGIE_LIGHTING_SCHEDULER": "false",
    "VIGIE_MQTT_CLIENT_ID": "bench-ingest",
    "VIGIE_MQTT_QOS": "1",
}


# --- MQTT on raw sockets (the publisher must cost next to nothing) -------------------


def _len(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(topic: str, payload: bytes) -> bytes:
    body = _str(topic) + payload
    return b"\x30" + _len(len(body)) + body


class RawPublisher:
    """MQTT 3.1.1 QoS 0 publisher writing pre-encoded PUBLISH packets to the socket."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = _str("MQTT") + bytes([4, 2]) + struct.pack("!H", 60) + _str(f"bench-pub-{os.getpid()}")
        self.sock.sendall(b"\x10" + _len(len(body)) + body)
        if self.sock.recv(4)[:1] != b"\x20":
            raise SystemExit("broker refused the publisher")

    def send(self, packets: list[bytes]) -> None:
        self.sock.sendall(b"".join(packets))

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")
        finally:
            self.sock.close()


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    if shutil.which("mosquitto") is None:
        raise SystemExit("mosquitto is required: apt-get install -y mosquitto")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "mosquitto.conf"
    root = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{root}listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 0\n"
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)],
        stdout=(workdir / "mosquitto.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("mosquitto did not start")


# --- subcommands run in their own process ------------------------------------------------


def serve_main(port: int, stock_paho: bool = False) -> None:
    """The Vigie web app (same code as `vigie serve`) with the telemetry routes included."""
    import uvicorn

    if stock_paho:  # the comparison behind docs/decisions/0002-paho-mqtt.md
        import paho.mqtt.client as paho

        import vigie.telemetry.mqtt

        vigie.telemetry.mqtt.FastClient = paho.Client  # type: ignore[misc,assignment]

    from vigie.alarms.web import router as alarms_router
    from vigie.app import create_app
    from vigie.telemetry.web import lighting_router
    from vigie.telemetry.web import router as telemetry_router

    app = create_app()
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/api/v1/telemetry/status" not in paths:  # until app.py includes them
        for router in (telemetry_router, lighting_router, alarms_router):
            app.include_router(router)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def bare_main(port: int, count: int) -> None:
    """A bare paho subscriber: count messages, report the drain rate."""
    import paho.mqtt.client as paho

    n = 0
    first = last = cpu_first = cpu_last = 0.0
    done = threading.Event()

    def on_message(c: Any, u: Any, m: Any) -> None:
        nonlocal n, first, last, cpu_first, cpu_last
        n += 1
        last = time.perf_counter()
        if n == 1:
            first, cpu_first = last, time.process_time()
        if n >= count:
            cpu_last = time.process_time()
            done.set()

    def on_connect(c: Any, u: Any, f: Any, rc: Any, p: Any = None) -> None:
        c.subscribe("vigie/telemetry/+", qos=1)

    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=paho.MQTTv5)
    c.on_message, c.on_connect = on_message, on_connect
    c.connect("127.0.0.1", port)
    c.loop_start()
    time.sleep(0.5)
    print("READY", flush=True)
    done.wait(600)
    c.loop_stop()
    print(json.dumps({"count": n, "seconds": last - first, "cpu": cpu_last - cpu_first}), flush=True)


# --- helpers --------------------------------------------------------------------------------


def load_fleet(url: str, lights: int) -> tuple[list[str], str]:
    """Insert the fleet and a supervisor; returns (asset ids, bearer token)."""
    from sqlalchemy import insert

    from vigie.accounts.actions import do_add_user, do_create_login
    from vigie.assets.storage import AssetRow
    from vigie.db import Database
    from vigie.telemetry.fleet import synthetic_rows

    rows = synthetic_rows(lights)
    db = Database(url)
    with db.session(write=True) as s:
        for i in range(0, len(rows), 5000):
            s.execute(insert(AssetRow), rows[i : i + 5000])
        s.commit()
    agent = do_add_user(db, "bench-supervisor@example.org", "supervisor", "bench-password-123")
    token, _ = do_create_login(db, agent, "bearer", 2)
    db.dispose()
    return [r["id"] for r in rows], token


# What each kind of device sends (the simulator's payloads, fixed values). A street light
# is dimmed at night and off by day: one burning in daylight is a day-burner, an alarm.
BODIES = {
    "SL-": '"powerState":"low","illuminanceLevel":0.7,"powerConsumption":49.5,"status":"%s"',
    "SL-day": '"powerState":"off","illuminanceLevel":0.0,"powerConsumption":0.0,"status":"%s"',
    "CAM-": '"online":true',
    "TLC-": '"fault":false,"operationMode":"normal"',
    "RWS-": '"surfaceTemperature":3.5,"airTemperature":4.1,"surfaceStatus":"dry"',
    "CAB-": '"powerState":"on","voltage":230.1,"doorOpen":false',
    "VEH-": '"location":{"type":"Point","coordinates":[5.04,47.32]},"speed":20,"activity":"driving"',
}


DIJON = (47.32, 5.04)


@functools.cache
def _sun_times(day: date) -> tuple[datetime, datetime]:
    from vigie.telemetry import sun

    return sun.sunrise(day, *DIJON), sun.sunset(day, *DIJON)


def daylight(t: datetime) -> bool:
    """Whether the sun is up in Dijon at ``t`` (the fleet's lights are off then)."""
    rise, set_ = _sun_times(t.astimezone(UTC).date())
    return rise <= t <= set_


def payload_for(asset_id: str, ts: str, status: str = "ok", day: bool = False) -> bytes:
    prefix = asset_id[: asset_id.index("-") + 1]
    body = BODIES[prefix + "day" if day and prefix == "SL-" else prefix]
    body = body.replace("%s", status)
    return f'{{"ts":"{ts}",{body}}}'.encode()


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status(base: str, token: str) -> dict[str, Any]:
    import httpx

    r = httpx.get(base + "/api/v1/telemetry/status", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


def pipeline_of(st: dict[str, Any]) -> dict[str, Any]:
    """The ingest's counters: the one pipeline, or (PostgreSQL: the ingest is partitioned,
    and the bench's one server process holds every partition) the partitioned one's."""
    return st.get("pipeline") or (st.get("partitions") or {}).get("pipeline") or {}


def subscribed(st: dict[str, Any]) -> bool:
    parts = st.get("partitions")
    if parts:
        # Every partition held, started and subscribed (its SUBACKs in): a lease taken before
        # its source starts is held but not yet in `connected`, and the burst would be lost.
        n = parts["partitions"]
        return len(parts["held"]) == n and len(parts["connected"]) == n and all(parts["connected"].values())
    return bool((st.get("source") or {}).get("connected"))


def written(base: str, token: str) -> int:
    return int(pipeline_of(status(base, token)).get("samples_written", 0))


def sse_reader(
    base: str, token: str, out: queue.Queue, ready: threading.Event, stop: threading.Event
) -> None:
    import httpx

    with httpx.stream(
        "GET",
        base + "/api/v1/events/agent",
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(10, read=120),
    ) as r:
        event = None
        for line in r.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "alarm.raised":
                out.put((time.time(), json.loads(line[6:])))
            if stop.is_set():
                return


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_backend_arg(parser)
    parser.add_argument("--lights", type=int, default=34_000)
    parser.add_argument("--messages", type=int, default=400_000, help="phase A/B burst size")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="phase C paced rate (msg/s)")
    parser.add_argument("--duration", type=float, default=30.0, help="phase C length (s)")
    parser.add_argument("--failures", type=float, default=20.0, help="lamp failures a second in phase C")
    parser.add_argument(
        "--pg-db", default="", help="PostgreSQL database to (re)create (bench_<name>), not vigie_bench_ingest"
    )
    parser.add_argument(
        "--stock-paho",
        action="store_true",
        help="ingest with paho's own Client instead of FastClient (docs/decisions/0002-paho-mqtt.md)",
    )
    args = parser.parse_args()
    if args.pg_db:
        args.backend = "postgres"
    banner(f"bench_ingest ({args.backend}{', stock paho client' if args.stock_paho else ''})")
    run_dir = RESULTS / "run" / f"ingest-{args.backend}"
    broker, port = start_broker(run_dir / "broker")
    server: Server | None = None
    results: dict[str, Any] = {
        "backend": args.backend,
        "lights": args.lights,
        "client": "paho.Client" if args.stock_paho else "FastClient",
    }
    try:
        url, data_dir = fresh_database("sqlite" if args.pg_db else args.backend, "ingest")
        if args.pg_db:
            from vigie.migrate import upgrade

            url = pg_recreate(args.pg_db)
            upgrade(url)
        log("loading the fleet")
        ids, token = load_fleet(url, args.lights)
        results["assets"] = len(ids)
        base_time = datetime.now(UTC) - timedelta(hours=1)
        burst: list[bytes] = []
        burst_day = daylight(base_time)
        for i in range(args.messages):
            asset = ids[i % len(ids)]
            ts = iso(base_time + timedelta(milliseconds=10 * (i // len(ids)) + 1))
            burst.append(packet(f"vigie/telemetry/{asset}", payload_for(asset, ts, day=burst_day)))

        # A. bare subscriber
        log(f"A: bare paho subscriber, {args.messages} messages")
        cmd = [str(PYTHON), __file__, "bare", "--port", str(port), "--count", str(args.messages)]
        bare = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=BENCH)
        assert bare.stdout is not None
        bare.stdout.readline()  # READY
        pub = RawPublisher(port)
        for k in range(0, len(burst), 2000):
            pub.send(burst[k : k + 2000])
        pub.close()
        out = json.loads(bare.stdout.readline())
        bare.wait(30)
        bare_rate = out["count"] / out["seconds"] if out["seconds"] else float("nan")
        results["bare_subscriber_msgs_per_s"] = round(bare_rate)
        # CPU per message: what other processes sharing the cores change least.
        results["bare_cpu_us_per_msg"] = round(out["cpu"] / out["count"] * 1e6, 1)
        log(f"A: {bare_rate:,.0f} msg/s, {results['bare_cpu_us_per_msg']} µs of CPU per message")

        # B. Vigie ingest, same burst
        sport = free_port()
        env = vigie_env(url, data_dir, sport, VIGIE_MQTT_URL=f"mqtt://127.0.0.1:{port}", **SERVER_ENV)
        serve_cmd = [str(PYTHON), __file__, "serve", "--port", str(sport)]
        server = Server(
            "ingest", serve_cmd + (["--stock-paho"] if args.stock_paho else []), sport, env, start_timeout=120
        )
        server.start()
        deadline = time.monotonic() + 60
        while not subscribed(status(server.base, token)):
            if time.monotonic() > deadline:
                raise SystemExit("the ingest did not connect to the broker")
            time.sleep(0.2)
        with RssSampler(server.pid) as rss:
            log(f"B: Vigie ingest, {args.messages} messages")
            cpu_b = cpu_seconds(server.pid)
            t0 = time.perf_counter()
            pub = RawPublisher(port)
            for k in range(0, len(burst), 2000):
                pub.send(burst[k : k + 2000])
            t_pub = time.perf_counter() - t0
            while written(server.base, token) < args.messages:
                if time.perf_counter() - t0 > 300:
                    raise SystemExit("phase B did not finish in 300 s")
                time.sleep(0.2)
            t_b = time.perf_counter() - t0
            cpu_b = cpu_seconds(server.pid) - cpu_b
            pub.close()
            ingest_rate = args.messages / t_b
            results.update(
                ingest_burst_msgs_per_s=round(ingest_rate),
                publish_seconds=round(t_pub, 2),
                ratio_to_bare=round(ingest_rate / bare_rate, 3),
                ingest_burst_cpu_us_per_msg=round(cpu_b / args.messages * 1e6, 1),
            )
            log(f"B: {ingest_rate:,.0f} msg/s (committed), publisher done after {t_pub:.1f} s")
            del burst

            # C. paced, with failures and the SSE stream
            log(f"C: {args.rate:,.0f} msg/s for {args.duration:.0f} s, {args.failures:g} failures/s")
            events: queue.Queue = queue.Queue()
            ready, stop = threading.Event(), threading.Event()
            reader = threading.Thread(
                target=sse_reader, args=(server.base, token, events, ready, stop), daemon=True
            )
            reader.start()
            if not ready.wait(10):
                raise SystemExit("SSE stream did not start")
            lights = [i for i in ids if i.startswith("SL-")]
            victims = iter(lights[::-1])
            sent_fail: dict[str, float] = {}
            before = written(server.base, token)
            pub = RawPublisher(port)
            tick = 0.01
            pids = {"ingest": server.pid, "broker": broker.pid, "bench": os.getpid()}
            cpu0 = {k: cpu_seconds(pid) for k, pid in pids.items()}
            start = time.perf_counter()
            wall0 = time.time()
            sent = 0.0
            n_sent = 0
            cursor = 0
            fail_every = 1.0 / args.failures if args.failures else 0
            next_fail = start
            while (now_p := time.perf_counter()) - start < args.duration:
                due = (now_p - start) * args.rate
                n = int(due - sent)
                if n > 0:
                    now_t = datetime.now(UTC)
                    ts = iso(now_t)
                    day = daylight(now_t)
                    chunk = []
                    for _ in range(n):
                        asset = ids[cursor % len(ids)]
                        cursor += 1
                        chunk.append(packet(f"vigie/telemetry/{asset}", payload_for(asset, ts, day=day)))
                    if fail_every and now_p >= next_fail:
                        victim = next(victims)
                        wall = time.time()
                        at = datetime.fromtimestamp(wall, UTC)
                        failure = payload_for(victim, iso(at), "defectiveLamp", day=daylight(at))
                        chunk.append(packet(f"vigie/telemetry/{victim}", failure))
                        sent_fail[victim] = wall
                        next_fail += fail_every
                    pub.send(chunk)
                    sent += n
                    n_sent += len(chunk)
                time.sleep(tick)
            t_pub_c = time.perf_counter() - start
            cpu = {k: cpu_seconds(pid) - cpu0[k] for k, pid in pids.items()}
            target_total = before + n_sent
            done_at = None
            lag_at_end = target_total - written(server.base, token)
            while time.perf_counter() - start < args.duration + 60:
                if written(server.base, token) >= target_total:
                    done_at = time.perf_counter() - start
                    break
                time.sleep(0.2)
            cpu_done = cpu_seconds(server.pid) - cpu0["ingest"]
            pub.close()
            time.sleep(1.5)
            stop.set()
            latencies: list[float] = []
            worst: list[tuple[float, float]] = []
            while True:
                try:
                    when, data = events.get_nowait()
                except queue.Empty:
                    break
                t_sent = sent_fail.get(data.get("asset_id", ""))
                if t_sent is not None and data.get("type") == "lamp-failure":
                    latencies.append(when - t_sent)
                    worst.append((when - t_sent, t_sent - wall0))
            st = status(server.base, token)
        rss_max = rss.max_rss
        processed_rate = n_sent / done_at if done_at else float("nan")
        pipeline = pipeline_of(st)
        results.update(
            paced_rate_target=args.rate,
            paced_sent=n_sent,
            paced_publish_seconds=round(t_pub_c, 2),
            paced_lag_messages_at_end=int(lag_at_end),
            paced_all_committed_after_s=round(done_at, 2) if done_at else None,
            paced_processed_msgs_per_s=round(processed_rate) if done_at else None,
            failures_sent=len(sent_fail),
            alarms_seen=len(latencies),
            alarm_latency_p50_ms=round(percentile(latencies, 50) * 1000, 1),
            alarm_latency_p99_ms=round(percentile(latencies, 99) * 1000, 1),
            alarm_latency_max_ms=round(max(latencies) * 1000, 1) if latencies else None,
            alarm_latency_worst=[(round(lat * 1000), round(at, 1)) for lat, at in sorted(worst)[-8:]],
            ingest_rss_max_mb=round(rss_max, 1),
            paced_cpu_percent={k: round(100 * v / t_pub_c) for k, v in cpu.items()},
            paced_ingest_cpu_us_per_msg=round(cpu["ingest"] / n_sent * 1e6, 1),
            # Until every message is written (or the wait gave up): CPU per message processed.
            paced_ingest_cpu_us_per_processed_msg=round(
                cpu_done / (n_sent if done_at else max(n_sent - lag_at_end, 1)) * 1e6, 1
            ),
            dead_letters=pipeline.get("dead_letters", 0),
        )
    finally:
        if server is not None:
            server.stop()
        broker.terminate()
        broker.wait(10)

    ok_rate = (
        results["ingest_burst_msgs_per_s"] >= TARGET_RATE
        and (results["paced_all_committed_after_s"] or 1e9) <= args.duration + 2
    )
    ok_lat = (
        results["alarm_latency_p99_ms"] <= TARGET_P99_S * 1000
        and results["alarms_seen"] == results["failures_sent"]
    )
    ok_rss = results["ingest_rss_max_mb"] <= TARGET_RSS_MB
    print(
        f"\nfleet: {results['assets']} assets ({args.lights} street lights); broker: mosquitto, QoS 0 publish"
    )
    print(
        f"A. bare paho subscriber drain           {results['bare_subscriber_msgs_per_s']:>10,} msg/s   "
        f"CPU {results['bare_cpu_us_per_msg']} µs/msg"
    )
    print(
        f"B. Vigie ingest drain (committed)        {results['ingest_burst_msgs_per_s']:>10,} msg/s   "
        f"{ratio(results['ingest_burst_msgs_per_s'], results['bare_subscriber_msgs_per_s'])} of bare   "
        f"target ≥ {TARGET_RATE:,.0f}  {verdict(ok_rate)}"
    )
    print(
        f"   CPU {results['ingest_burst_cpu_us_per_msg']} µs/msg until committed "
        f"({ratio(results['ingest_burst_cpu_us_per_msg'], results['bare_cpu_us_per_msg'])} of bare); "
        f"at that cost one core drains {1e6 / results['ingest_burst_cpu_us_per_msg']:,.0f} msg/s"
    )
    print(
        f"C. paced {args.rate:,.0f} msg/s × {args.duration:.0f} s: {results['paced_sent']:,} sent, "
        f"all committed after {results['paced_all_committed_after_s']} s "
        f"(lag at end of publishing {results['paced_lag_messages_at_end']:,} messages)"
    )
    print(
        f"   alarm.raised on the agent SSE stream: {results['alarms_seen']}/{results['failures_sent']} seen, "
        f"p50 {results['alarm_latency_p50_ms']} ms, p99 {results['alarm_latency_p99_ms']} ms, "
        f"max {results['alarm_latency_max_ms']} ms   target p99 ≤ 1000 ms  {verdict(ok_lat)}"
    )
    print(
        f"   CPU during C (% of one core): {results['paced_cpu_percent']}; the ingest spends "
        f"{results['paced_ingest_cpu_us_per_msg']} µs of CPU per message sent, "
        f"{results['paced_ingest_cpu_us_per_processed_msg']} µs per message processed"
    )
    print(
        f"   ingest process RSS max {results['ingest_rss_max_mb']} MB   target ≤ {TARGET_RSS_MB:.0f} MB  "
        f"{verdict(ok_rss)}"
    )
    path = save_result(f"bench_ingest-{args.backend}", results)
    print(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve_main(int(sys.argv[sys.argv.index("--port") + 1]), "--stock-paho" in sys.argv)
    elif len(sys.argv) > 1 and sys.argv[1] == "bare":
        bare_main(int(sys.argv[sys.argv.index("--port") + 1]), int(sys.argv[sys.argv.index("--count") + 1]))
    else:
        main()
