"""Control room at full scale: the queue page and the map view over 1,000,000 reports.

Target (issue 14 §3): with about 100,000 open reports among 1,000,000, a queue page
(GET /api/v1/pilotage/queue: filter, sort, count, one page of 50) and a map view
(GET /api/v1/pilotage/queue/map: clusters of what is in view) answer with p95 ≤ 150 ms
at concurrency 8, on SQLite and on PostgreSQL.

Each run mixes the queue's usual requests (default view; a zone, a group, a priority,
an SLA state; sorted by due time or priority; a later page; a search by reference,
by address and by words) and map views at city, district and street zooms. The
baseline measured in the same run is the bare native list (GET /api/v1/reports,
newest 50 open reports, no count) served by the same server: the ratio shows what
counting, sorting and clustering on the server cost on top of the plainest page.

The data set is bench_query.py's (generated once, cached): SQLite in
bench/results/reports-1000000.db, PostgreSQL in the database bench_city (or --pg-db).

    .venv/bin/python bench/bench_queue.py --backend sqlite
    .venv/bin/python bench/bench_queue.py --backend postgres
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import bench_query
from common import (
    VIGIE,
    add_backend_arg,
    banner,
    cpu_seconds,
    log,
    percentile,
    ratio,
    reproduce,
    require_wrk,
    run_wrk,
    save_result,
    verdict,
    vigie_env,
    vigie_server,
)

TARGET_P95_MS = 150.0
EMAIL = "bench-operator@example.org"
PASSWORD = "bench-operator-password"
LUA = r"""
local paths = %(paths)s
local auth = %(auth)s
request = function()
  seed()
  return wrk.format("GET", paths[math.random(#paths)], {["Authorization"] = auth})
end
"""


def queue_paths(db_file: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """(filters, sorts, pages and references; searches by words), measured apart."""
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        zones = [r[0] for r in con.execute("SELECT DISTINCT zone FROM reports LIMIT 30")]
        groups = [r[0] for r in con.execute("SELECT DISTINCT service_group FROM reports LIMIT 20")]
        refs = [r[0] for r in con.execute("SELECT reference FROM reports WHERE id % 9973 = 0 LIMIT 50")]
        streets = [
            r[0].split(",")[0].split(" ", 1)[1]
            for r in con.execute("SELECT address FROM reports WHERE address != '' AND id % 7919 = 0 LIMIT 30")
        ]
    finally:
        con.close()
    q = "/api/v1/pilotage/queue?"
    paths = [q] * 6 + [q + "sort=due"] * 3 + [q + "sort=priority"] * 2 + [q + "page=7"] * 2
    paths += [q + urllib.parse.urlencode({"zone": z}) for z in rng.sample(zones, min(6, len(zones)))]
    paths += [q + urllib.parse.urlencode({"group": g}) for g in rng.sample(groups, min(4, len(groups)))]
    paths += [q + "priority=high", q + "sla=overdue", q + "sla=due_soon", q + "sla=overdue&sort=due"]
    paths += [q + urllib.parse.urlencode({"q": r}) for r in rng.sample(refs, min(4, len(refs)))]
    words = [q + urllib.parse.urlencode({"q": s.lower()}) for s in rng.sample(streets, min(3, len(streets)))]
    words += [q + urllib.parse.urlencode({"q": "lampadaire"})]
    return paths, words


def map_paths(rng: random.Random) -> list[str]:
    m = "/api/v1/pilotage/queue/map?"
    out = [m + "bbox=4.95,47.26,5.13,47.38&zoom=12"] * 4  # the whole Métropole
    for zoom, half in ((14, 0.02), (16, 0.005), (17, 0.0025)):
        for _ in range(4):
            lat, long = rng.uniform(47.29, 47.35), rng.uniform(5.0, 5.08)
            box = f"{long - half * 1.5:.5f},{lat - half:.5f},{long + half * 1.5:.5f},{lat + half:.5f}"
            out.append(m + urllib.parse.urlencode({"bbox": box, "zoom": zoom}))
    city = "bbox=4.95,47.26,5.13,47.38"
    out += [m + city + "&zoom=12&sla=overdue", m + city + "&zoom=13&group=eclairage"]
    return out


def _token(base: str) -> str:
    body = urllib.parse.urlencode({"username": EMAIL, "password": PASSWORD}).encode()
    req = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=body,  # noqa: S310
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        return str(json.loads(r.read())["access_token"])


def _add_operator(env: dict[str, str]) -> None:
    out = subprocess.run(
        [str(VIGIE), "user", "add", EMAIL, "--role", "operator", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if out.returncode != 0 and "already exists" not in out.stdout + out.stderr:
        raise SystemExit(f"vigie user add failed:\n{out.stdout}\n{out.stderr}")


def _check(base: str, path: str, auth: str) -> dict[str, Any]:
    req = urllib.request.Request(base + path, headers={"Authorization": auth})  # noqa: S310
    with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
        return dict(json.loads(r.read()))


def _cold(name: str, base: str, paths: list[str], auth: str) -> dict[str, float]:
    """Each distinct request once, one at a time, before any cached answer: the first asker's wait."""
    times = []
    for path in dict.fromkeys(paths):
        t0 = time.perf_counter()
        _check(base, path, auth)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out = {"n": len(times), "p50": percentile(times, 50), "p95": percentile(times, 95), "max": times[-1]}
    log(
        f"{name} cold (first request of each of {len(times)} kinds, one at a time): "
        f"p50 {out['p50']:.1f} ms p95 {out['p95']:.1f} ms max {out['max']:.1f} ms"
    )
    return out


def _measure(name: str, srv: Any, paths: list[str], auth: str, args: argparse.Namespace) -> dict[str, Any]:
    lua = LUA % {"paths": "{" + ",".join(json.dumps(p) for p in paths) + "}", "auth": json.dumps(auth)}
    if args.warmup > 0:
        run_wrk(
            srv.base, lua, connections=args.connections, duration=args.warmup, name=f"queue-{name}-warmup"
        )
    cpu0 = cpu_seconds(srv.pid)
    w = run_wrk(srv.base, lua, connections=args.connections, duration=args.duration, name=f"queue-{name}")
    cpu_ms = (cpu_seconds(srv.pid) - cpu0) * 1000 / max(1, w["requests"])
    lat = {k: v / 1000 for k, v in w["latency_us"].items()}
    log(
        f"{name}: {w['rps']:.0f} req/s p50 {lat['p50']:.1f} ms p95 {lat['p95']:.1f} ms "
        f"p99 {lat['p99']:.1f} ms, CPU {cpu_ms:.2f} ms/req, non-2xx {w['non_2xx']}"
    )
    return {
        "rps": w["rps"],
        "latency_ms": lat,
        "non_2xx": w["non_2xx"],
        "cpu_ms_per_request": cpu_ms,
        "requests": w["requests"],
        "paths": len(paths),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pg-db", default="bench_city", help="PostgreSQL database for the data set")
    args = parser.parse_args()
    require_wrk()
    bench_query.PG_DB = args.pg_db
    db_file = bench_query.ensure_sqlite(args.count, False)
    url = (
        bench_query.ensure_postgres(args.count, False)
        if args.backend == "postgres"
        else (f"sqlite:///{db_file.as_posix()}")
    )
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    open_count = con.execute(
        "SELECT count(*) FROM reports "
        "WHERE status IN ('new','acknowledged','assigned','in_progress','reopened')"
    ).fetchone()[0]
    con.close()
    banner(
        f"queue and map over {args.count:,} reports ({open_count:,} open), {args.backend}, "
        f"concurrency {args.connections}"
    )
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        _add_operator(vigie_env(url, data_dir, 0))
        with vigie_server("vigie", url, data_dir) as srv:
            auth = "Bearer " + _token(srv.base)
            (qpaths, wpaths), mpaths = queue_paths(db_file, rng), map_paths(rng)
            queue_cold = _cold("queue-page", srv.base, qpaths, auth)
            words_cold = _cold("word-search", srv.base, wpaths, auth)
            map_cold = _cold("map-view", srv.base, mpaths, auth)
            first = _check(srv.base, "/api/v1/pilotage/queue?", auth)
            log(f"default view: {first['total']:,} open reports, {first['pages']:,} pages")
            whole = _check(srv.base, "/api/v1/pilotage/queue/map?bbox=4.95,47.26,5.13,47.38&zoom=12", auth)
            log(f"city map: {whole['total']:,} reports in {len(whole['clusters'])} clusters")
            plain = "/api/v1/reports?status=new,acknowledged,assigned,in_progress,reopened&page_size=50"
            baseline = _measure("baseline-list", srv, [plain], auth, args)
            queue = _measure("queue-page", srv, qpaths, auth, args)
            mapv = _measure("map-view", srv, mpaths, auth, args)
            words = _measure("word-search", srv, wpaths, auth, args)
            queue["cold_ms"], mapv["cold_ms"], words["cold_ms"] = queue_cold, map_cold, words_cold
    ok = queue["latency_ms"]["p95"] <= TARGET_P95_MS and mapv["latency_ms"]["p95"] <= TARGET_P95_MS
    ok = ok and queue["non_2xx"] == 0 and mapv["non_2xx"] == 0
    for name, r in (("queue page", queue), ("map view", mapv), ("word search (no target)", words)):
        log(
            f"{name}: p95 {r['latency_ms']['p95']:.1f} ms (target ≤ {TARGET_P95_MS:.0f}) "
            f"{verdict(r['latency_ms']['p95'] <= TARGET_P95_MS)}; "
            f"p95 vs bare list {ratio(r['latency_ms']['p95'], baseline['latency_ms']['p95'])}"
        )
    save_result(
        f"queue-{args.backend}",
        {
            "backend": args.backend,
            "reports": args.count,
            "open": open_count,
            "connections": args.connections,
            "baseline_list": baseline,
            "queue_page": queue,
            "map_view": mapv,
            "word_search": words,
            "pass": ok,
            "reproduce": reproduce("bench_queue.py"),
        },
    )
    log(f"overall: {verdict(ok)}")


if __name__ == "__main__":
    main()
