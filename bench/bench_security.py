"""Security checks (issue 15): what they add to each request.

1. The request checks (``InputMiddleware`` + ``SecurityHeadersMiddleware``) on an
   Open311 POST (a form) and a native JSON POST, against the same ASGI call
   without them, in process (no network: the figures are the middleware's own).
2. One shared count (``take``) per anonymous submission, per backend, against a
   baseline measured in the same run: one ``SELECT 1`` (or PING) round trip on
   the same connection path, what any shared count must at least cost; and the
   per-process memory store, what the limit cost before it was shared.
   1, then 4 threads (a worker's write pool on PostgreSQL).

    .venv/bin/python bench/bench_security.py                       # SQLite side file
    .venv/bin/python bench/bench_security.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_x
    .venv/bin/python bench/bench_security.py --redis-url redis://127.0.0.1:6379/3

The PostgreSQL database given is migrated (it gets Vigie's tables); Redis keys
carry a prefix unique to the run and are deleted at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vigie.db import Database  # noqa: E402
from vigie.limits.sql import DatabaseLimitStore  # noqa: E402
from vigie.limits.store import MemoryLimitStore  # noqa: E402
from vigie.migrate import upgrade  # noqa: E402

CLIENTS = 500


def per_call_us(fn: Callable[[int], object], n: int, threads: int) -> float:
    """Wall time per call in microseconds, best of three rounds (the machine is shared)."""
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        if threads == 1:
            for i in range(n):
                fn(i)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(fn, range(n)))
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return min(rounds)


def measure(name: str, take: Callable[[int], object], baseline: Callable[[int], object], n: int) -> None:
    for threads in (1, 4):
        t = per_call_us(take, n, threads)
        b = per_call_us(baseline, n, threads)
        print(f"{name:<22} threads={threads}  take {t:8.1f} µs   baseline {b:8.1f} µs   ratio {t / b:5.2f}x")


def middleware_us(body: bytes, ctype: bytes, n: int) -> tuple[float, float]:
    """Per-request microseconds of an ASGI POST through the two middlewares, and without."""
    import asyncio

    from vigie.web.middleware import InputMiddleware, SecurityHeadersMiddleware

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", ctype)]})
        await send({"type": "http.response.body", "body": b"{}"})

    checked = SecurityHeadersMiddleware(InputMiddleware(app, 56 * 1024 * 1024), https=True)
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", ctype),
        (b"content-length", str(len(body)).encode()),
        (b"user-agent", b"wrk"),
        (b"accept", b"*/*"),
    ]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/open311/v2/requests.json",
        "raw_path": b"/open311/v2/requests.json",
        "query_string": b"",
        "headers": headers,
    }

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    async def run(target) -> float:  # type: ignore[no-untyped-def]
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                await target(dict(scope), receive, send)
            best = min(best, (time.perf_counter() - start) / n * 1e6)
        return best

    async def both() -> tuple[float, float]:
        return await run(checked), await run(app)

    return asyncio.run(both())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--redis-url", default="")
    args = parser.parse_args()
    n = args.calls

    print(f"reproduce: {' '.join(sys.argv)}")
    form = (
        b"api_key=vk_0123456789abcdefghijklmnopqrstuvwxyz0123&service_code=nid-de-poule"
        b"&lat=47.322000&long=5.041000&description=Nid+de+poule+profond+devant+le+n%C2%B012"
        b"&attribute%5Bdanger_immediat%5D=non"
    )
    json_body = (
        b'{"service_code": "nid-de-poule", "description": "Nid de poule profond devant le 12",'
        b' "lat": 47.322, "long": 5.041, "attributes": {"danger_immediat": "non"}}'
    )
    for name, body, ctype in (
        ("Open311 form POST", form, b"application/x-www-form-urlencoded"),
        ("native JSON POST", json_body, b"application/json"),
    ):
        with_checks, bare = middleware_us(body, ctype, n * 4)
        print(
            f"{name:<22} checks+headers {with_checks:6.1f} µs   bare ASGI call {bare:6.1f} µs"
            f"   added {with_checks - bare:5.1f} µs per request"
        )

    memory = MemoryLimitStore()
    mem_us = per_call_us(lambda i: memory.take(f"submit:10.0.{i % CLIENTS}", 30, 60.0), n, 1)
    print(f"{'memory (per process)':<22} threads=1  take {mem_us:8.1f} µs")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/vigie.db"
        upgrade(url)
        db = Database(url)
        store = DatabaseLimitStore(db)
        conn = store._sqlite()

        def sqlite_select_one(_: int) -> object:
            with store.lock:  # the same path as a count: one connection per process, under its lock
                return conn.execute("SELECT 1").fetchall()

        measure(
            "sqlite (side file)",
            lambda i: store.take(f"submit:10.0.{i % CLIENTS}", 30, 60.0),
            sqlite_select_one,
            n,
        )
        store.close()
        db.dispose()

    if args.pg_url:
        upgrade(args.pg_url)
        db = Database(args.pg_url)
        store = DatabaseLimitStore(db)

        def select_one(_: int) -> object:
            with db.one_statement_connection() as c:
                return c.exec_driver_sql("SELECT 1").fetchall()

        measure(
            "postgresql (table)", lambda i: store.take(f"submit:10.1.{i % CLIENTS}", 30, 60.0), select_one, n
        )
        with db.one_statement_connection() as c:
            c.exec_driver_sql("DELETE FROM limit_counters WHERE key LIKE 'submit:10.1.%%'")
        db.dispose()

    if args.redis_url:
        from vigie.limits.redis_store import RedisLimitStore

        prefix = f"vigie-bench:{uuid.uuid4().hex}:"
        redis_store = RedisLimitStore.from_settings(args.redis_url, -1, prefix)
        measure(
            "redis",
            lambda i: redis_store.take(f"submit:10.2.{i % CLIENTS}", 30, 60.0),
            lambda i: redis_store.client.ping(),
            n,
        )
        keys = list(redis_store.client.scan_iter(prefix + "*"))
        if keys:
            redis_store.client.delete(*keys)
        redis_store.close()
    print(f"each figure: the best of 3 rounds of {n} calls")


if __name__ == "__main__":
    main()
