"""Live: 500 SSE clients on /api/v1/events/public; POST a report → each client's event.

Target: p99 ≤ 100 ms from just before the POST to each client's receipt of the event
carrying that report's id. Baseline in the same run: bench/baseline_app.py (an SSE
endpoint fed by a POST that inserts one row then fans out to in-memory queues), read
by the same client.

The client is one asyncio process (uvloop when installed) with raw sockets: each
stream is read as bytes and matched on `data: {"id":"<report id>"`, so the client
adds as little as possible to the figure.

    .venv/bin/python bench/bench_sse.py --backend sqlite
    .venv/bin/python bench/bench_sse.py --backend postgres --clients 1000 --posts 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import time
from typing import Any

from common import (
    PG_PREFIX,
    RESULTS,
    RssSampler,
    add_backend_arg,
    banner,
    baseline_server,
    fresh_database,
    log,
    percentile,
    pg_recreate,
    ratio,
    reproduce,
    required_attributes,
    save_result,
    verdict,
    vigie_server,
)

TARGET_P99_MS = 100.0
EVENT_ID = re.compile(rb'data: \{"id": ?"(\d+)"')


class Stream:
    """One SSE client: records when it first sees each report id."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.connected = asyncio.Event()
        self.closed = False

    async def run(self, port: int, path: str, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"SSE answered {head[:60]!r}")
        buf = b""
        try:
            while not stop.is_set():
                data = await reader.read(65536)
                if not data:
                    break
                now = time.perf_counter()
                buf += data
                if not self.connected.is_set() and b": connected" in buf:
                    self.connected.set()
                for m in EVENT_ID.finditer(buf):
                    self.seen.setdefault(m.group(1).decode(), now)
                cut = buf.rfind(b"\n\n")
                if cut >= 0:
                    buf = buf[cut + 2 :]
        finally:
            self.closed = True
            writer.close()


async def _post(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    port: int,
    path: str,
    body: bytes,
) -> tuple[int, bytes]:
    """One HTTP/1.1 POST on a kept-alive connection (Content-Length answers)."""
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        out = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            out += await reader.readexactly(size + 2)
            if size == 0:
                return status, out
    return status, await reader.readexactly(length)


async def measure(
    port: int,
    stream_path: str,
    post_path: str,
    attrs: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    stop = asyncio.Event()
    streams = [Stream() for _ in range(args.clients)]
    gate = asyncio.Semaphore(64)

    async def start(s: Stream) -> None:
        async with gate:
            task = asyncio.create_task(s.run(port, stream_path, stop))
            tasks.append(task)
            await asyncio.wait_for(s.connected.wait(), timeout=30)

    tasks: list[asyncio.Task[None]] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(start(s) for s in streams))
    log(f"{args.clients} SSE clients connected in {time.perf_counter() - t0:.1f}s")
    await asyncio.sleep(0.5)

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent: dict[str, float] = {}
    failures = 0
    post_ms: list[float] = []
    for n in range(args.posts):
        body = json.dumps(
            {
                "service_code": "nid-de-poule",
                "channel": "app",
                "lat": 47.3220 + (n % 50) * 0.0001,
                "long": 5.0410 + (n % 37) * 0.0001,
                "description": f"bench SSE {n}",
                "attributes": attrs,
            }
        ).encode()
        t = time.perf_counter()
        status, answer = await _post(reader, writer, port, post_path, body)
        post_ms.append((time.perf_counter() - t) * 1000)
        if status // 100 != 2:
            failures += 1
            if failures <= 3:
                log(f"POST answered {status}: {answer[:200]!r}")
        else:
            sent[str(json.loads(answer)["id"])] = t
        await asyncio.sleep(args.interval)
    writer.close()
    deadline = time.perf_counter() + args.grace
    while time.perf_counter() < deadline:
        if all(all(rid in s.seen for rid in sent) for s in streams):
            break
        await asyncio.sleep(0.1)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    latencies: list[float] = []
    missing = 0
    for rid, t in sent.items():
        for s in streams:
            got = s.seen.get(rid)
            if got is None:
                missing += 1
            else:
                latencies.append((got - t) * 1000)
    out = {
        "clients": args.clients,
        "posts": args.posts,
        "created": len(sent),
        "post_failures": failures,
        "deliveries": len(latencies),
        "missing": missing,
        "closed_early": sum(1 for s in streams if s.closed and not stop.is_set()),
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
        },
        "post_ms": {"p50": percentile(post_ms, 50), "p99": percentile(post_ms, 99)},
    }
    lat = out["latency_ms"]
    log(
        f"deliveries {len(latencies)}, missing {missing}; p50 {lat['p50']:.1f} ms "
        f"p99 {lat['p99']:.1f} ms max {lat['max']:.1f} ms"
    )
    return out


def run(
    port: int, stream_path: str, post_path: str, attrs: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    try:
        import uvloop

        return uvloop.run(measure(port, stream_path, post_path, attrs, args))
    except ImportError:
        return asyncio.run(measure(port, stream_path, post_path, attrs, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--posts", type=int, default=100, help="reports created, one at a time")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between POSTs")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds to wait for stragglers")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.clients * 2 + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    url, data_dir = fresh_database(args.backend, "sse")
    with vigie_server(f"sse-vigie-{args.backend}", url, data_dir, VIGIE_ANONYMOUS_RATE_LIMIT="0") as srv:
        attrs = {k[len("attribute[") :].split("]")[0]: v for k, v in required_attributes(srv.base)}
        with RssSampler(srv.pid) as rss:
            vigie = run(srv.port, "/api/v1/events/public", "/api/v1/reports", attrs, args)
        vigie["max_rss_mb"] = rss.max_rss

    if args.backend == "sqlite":
        base_file = RESULTS / "run" / "sse-baseline.db"
        for suffix in ("", "-wal", "-shm"):
            base_file.with_name(base_file.name + suffix).unlink(missing_ok=True)
        base_url = f"sqlite:///{base_file.as_posix()}"
    else:
        base_url = pg_recreate(f"{PG_PREFIX}_baseline")
    with baseline_server(f"sse-baseline-{args.backend}", base_url) as srv:
        with RssSampler(srv.pid) as rss:
            base = run(srv.port, "/events", "/events/trigger", attrs, args)
        base["max_rss_mb"] = rss.max_rss

    banner(f"Live, {args.clients} SSE clients, {args.posts} POSTs, backend {args.backend}")
    print(f"{'':30}{'Vigie':>10}{'baseline':>10}{'ratio':>8}")
    for label, k in (
        ("POST→event p50 ms", "p50"),
        ("POST→event p90 ms", "p90"),
        ("POST→event p99 ms", "p99"),
        ("POST→event max ms", "max"),
    ):
        a, b = vigie["latency_ms"][k], base["latency_ms"][k]
        print(f"{label:30}{a:10.1f}{b:10.1f}{ratio(a, b):>8}")
    for label, k in (("POST answer p50 ms", "p50"), ("POST answer p99 ms", "p99")):
        a, b = vigie["post_ms"][k], base["post_ms"][k]
        print(f"{label:30}{a:10.1f}{b:10.1f}{ratio(a, b):>8}")
    for label, k in (
        ("events delivered", "deliveries"),
        ("events missing", "missing"),
        ("POST failures", "post_failures"),
    ):
        print(f"{label:30}{vigie[k]:10d}{base[k]:10d}")
    print(
        f"{'server max RSS MB':30}{vigie['max_rss_mb']:10.0f}{base['max_rss_mb']:10.0f}"
        f"{ratio(vigie['max_rss_mb'], base['max_rss_mb']):>8}"
    )
    p99 = vigie["latency_ms"]["p99"]
    ok = p99 <= TARGET_P99_MS and vigie["missing"] == 0
    print(
        f"target p99 ≤ {TARGET_P99_MS:.0f} ms (and no event missing): {verdict(ok)} "
        f"({p99:.1f} ms, {vigie['missing']} missing)"
    )
    saved = save_result(f"bench_sse-{args.backend}", {"vigie": vigie, "baseline": base, "args": vars(args)})
    print(f"reproduce: {reproduce('bench_sse.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
