"""Security checks (issue 15): what they add to each request.

1. The request checks (``InputMiddleware`` + ``SecurityHeadersMiddleware``) on an
   Open311 POST (a form) and a native JSON POST, against the same ASGI call
   without them, in process (no network: the figures are the middleware's own).
2. One shared count (``take``) per anonymous submission, per backend, against a
   baseline measured in the same run: one ``SELECT 1`` (or PING) round trip on
   the same connection path, what any shared count must at least cost; and the
   per-process memory store, what the limit cost before it was shared.
   1, then 4 threads (a worker's write pool on PostgreSQL).
3. The API key checks (issue 17): a reuser's key (``active_key``) and an Open311 key
   (``check_api_key``) are read on every request, as a login is, so that a revoked one is
   refused at once by every worker. CPU and wall time per check, and CPU per whole request
   through the app in process (``GET /api/explore/v2.1/catalog/datasets``) with a key against
   the same request without one (quotas off on both sides: the difference is the key's check).

    .venv/bin/python bench/bench_security.py                       # SQLite side file
    .venv/bin/python bench/bench_security.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_x
    .venv/bin/python bench/bench_security.py --redis-url redis://127.0.0.1:6379/3
    .venv/bin/python bench/bench_security.py --part keys --pg-url postgresql+psycopg://...

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


def cpu_and_wall_us(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """CPU and wall microseconds per call, each the best of three rounds."""
    cpus, walls = [], []
    for _ in range(3):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        cpus.append((time.process_time() - cpu) / n * 1e6)
        walls.append((time.perf_counter() - wall) / n * 1e6)
    return min(cpus), min(walls)


def key_checks(label: str, url: str, data_dir: Path, n: int) -> None:
    from fastapi.testclient import TestClient

    from vigie.accounts.actions import (
        agent_for_token,
        check_api_key,
        do_add_user,
        do_create_api_key,
        do_create_login,
    )
    from vigie.accounts.domain import SYSTEM
    from vigie.app import create_app
    from vigie.bootstrap import build_vigie
    from vigie.opendata.lab_worker import stop_lab
    from vigie.reusers.actions import active_key, do_issue_key
    from vigie.settings import Settings

    settings = Settings(
        environment="test",
        data_dir=data_dir,
        database_url=url,
        quota_anonymous_per_minute=0,  # no quota on either side: the difference is the key's check
        quota_anonymous_per_day=0,
    )
    v = build_vigie(settings)
    try:
        _, reuser = do_issue_key(v, SYSTEM, "bench@bureau.example", "bench", per_minute=0, per_day=0)
        open311 = do_create_api_key(v.db, f"bench-{uuid.uuid4().hex[:8]}")
        agent = do_add_user(v.db, f"bench-{uuid.uuid4().hex[:8]}@vigie.example", "operator", "x" * 12)
        token, _ = do_create_login(v.db, agent, "bearer", 1)

        def select_one() -> object:
            with v.db.one_statement_connection() as c:
                return c.exec_driver_sql("SELECT 1").fetchall()

        base_cpu, base_wall = cpu_and_wall_us(select_one, n)
        name = "baseline SELECT 1"
        print(f"{label:<12} {name:<20} CPU {base_cpu:7.1f} µs   wall {base_wall:7.1f} µs per call")
        for name, check in (
            ("reuser key check", lambda: active_key(v, reuser)),
            ("Open311 key check", lambda: check_api_key(v.db, open311)),
            ("login (for scale)", lambda: agent_for_token(v.db, token, "bearer")),
        ):
            cpu, wall = cpu_and_wall_us(check, n)
            print(
                f"{label:<12} {name:<20} CPU {cpu:7.1f} µs   wall {wall:7.1f} µs per check"
                f"   CPU ratio to SELECT 1 {cpu / base_cpu:5.2f}x"
            )
        with TestClient(create_app(vigie=v)) as client:
            path = "/api/explore/v2.1/catalog/datasets"
            keyed = {"Authorization": f"Apikey {reuser}"}
            assert client.get(path, headers=keyed).status_code == 200
            with_key, _ = cpu_and_wall_us(lambda: client.get(path, headers=keyed), n // 5)
            without, _ = cpu_and_wall_us(lambda: client.get(path), n // 5)
        print(
            f"{label:<12} whole catalogue request, CPU per request: with a key {with_key:7.1f} µs"
            f"   without {without:7.1f} µs   ratio {with_key / without:5.2f}x"
        )
    finally:
        stop_lab(v)
        if v.limits is not None:
            v.limits.close()
        v.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--part", choices=["all", "checks", "keys"], default="all")
    args = parser.parse_args()
    n = args.calls

    print(f"reproduce: {' '.join(sys.argv)}")
    if args.part in ("all", "keys"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/vigie.db"
            upgrade(url)
            key_checks("sqlite", url, Path(tmp) / "data", n)
        if args.pg_url:
            upgrade(args.pg_url)
            with tempfile.TemporaryDirectory() as tmp:
                key_checks("postgresql", args.pg_url, Path(tmp), n)
        if args.part == "keys":
            print(f"each figure: the best of 3 rounds of {n} checks, {n // 5} requests")
            return
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
