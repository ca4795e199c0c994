"""Two nodes against one: intake and list throughput through nginx on PostgreSQL (issue 20 §4).

Target: with two nodes on this machine, intake (Open311 POST, concurrency 32) and list
(Open311 GET of a page of 100 open reports, concurrency 8) throughput within 10 % of
one node's. Both layouts run the same number of server processes on the same cores
behind the same nginx — one node of two workers, or two nodes of one worker each, with
their own data directories — so what differs is only what crosses nodes: PostgreSQL's
locks and notifications, the shared limits, the leader lock. The layouts alternate
(one, two, one) and one node's figure is the mean of its two runs, which also evens
out the data growing with the intake. CPU time per request is measured for the nodes'
processes, nginx and the database's PostgreSQL backends: it says what a second machine
would take over.

    .venv/bin/python bench/bench_nodes.py --duration 15
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from common import (
    RESULTS,
    VIGIE,
    Server,
    banner,
    cpu_seconds,
    create_api_key,
    free_port,
    fresh_database,
    loadavg,
    log,
    lua_str,
    process_tree,
    ratio,
    reproduce,
    required_attributes,
    run_wrk,
    save_result,
    verdict,
    vigie_env,
)

TARGET = 0.90  # two nodes' throughput at least 90 % of one node's

LUA_POST = r"""
local path = %(path)s
local key = %(key)s
local body_tail = %(tail)s
local n = 0
request = function()
  n = n + 1
  local lat = 47.3220 + (math.random() - 0.5) * 0.012
  local long = 5.0410 + (math.random() - 0.5) * 0.018
  local body = string.format(
    "api_key=%%s&service_code=nid-de-poule&lat=%%.6f&long=%%.6f&description=Nid-de-poule+devant+le+%%d+bench%%s",
    key, lat, long, n, body_tail)
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""

LUA_GET = r"""
local path = %(path)s
request = function()
  return wrk.format("GET", path)
end
"""


def nginx(port: int, upstreams: list[int], workdir: Path) -> subprocess.Popen[bytes]:
    """Debian's nginx as the nodes' load balancer (round robin, keep-alive to the upstreams)."""
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is not installed (apt-get install nginx-light)")
    workdir.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
{"user root;" if os.geteuid() == 0 else ""}
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  proxy_temp_path {workdir}/proxy;
  fastcgi_temp_path {workdir}/fastcgi;
  uwsgi_temp_path {workdir}/uwsgi;
  scgi_temp_path {workdir}/scgi;
  upstream vigie {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://vigie;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(workdir)])  # noqa: S603, S607
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2):  # noqa: S310
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"nginx did not start: {(workdir / 'error.log').read_text()}")


def _backends(url: str) -> list[int]:
    """PostgreSQL's backends serving the bench database (the nodes' connections)."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


class CpuMeter:
    """CPU seconds used during a phase by the nodes, nginx and the database's backends."""

    def __init__(self, nodes: list[int], proxy: int, url: str) -> None:
        self.groups = {"vigie": nodes, "nginx": [proxy]}
        self.url = url

    def sample(self) -> dict[str, dict[int, float]]:
        got = {
            name: {p: cpu_seconds(p) for root in roots for p in process_tree(root)}
            for name, roots in self.groups.items()
        }
        got["postgres"] = {p: cpu_seconds(p) for p in _backends(self.url)}
        return got

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        """Per group, CPU seconds between two samples (a process new since counts from 0)."""
        out = {}
        for name, now in after.items():
            was = before[name]
            out[name] = sum(
                t - was.get(p, 0.0) for p, t in now.items() if t == t and was.get(p, 0.0) == was.get(p, 0.0)
            )
        return out


def layout(
    nodes: int, workers: int, url: str, data_dir: Path, key: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Start ``nodes`` nodes of ``workers`` workers behind nginx; measure list, then intake."""
    name = f"{nodes}x{workers}"
    lb = free_port()
    with ExitStack() as stack:
        ports, pids = [], []
        for n in range(nodes):
            port = free_port()
            env = vigie_env(
                url,
                data_dir / f"node{n}",
                port,
                VIGIE_WORKERS=str(workers),
                VIGIE_ANONYMOUS_RATE_LIMIT="0",
                VIGIE_OPEN311_KEY_RATE_LIMIT="0",
                VIGIE_TRUSTED_PROXIES="127.0.0.1",
                VIGIE_SECRET_KEY="bench-nodes-shared-secret",
                VIGIE_PUBLIC_BASE_URL=f"http://127.0.0.1:{lb}",
            )
            server = Server(f"nodes-{name}-{n}", [str(VIGIE), "serve"], port, env, health="/readyz")
            stack.enter_context(server)
            ports.append(port)
            pids.append(server.pid)
        proxy = nginx(lb, ports, RESULTS / "run" / f"nginx-{name}")
        stack.callback(lambda: (proxy.terminate(), proxy.wait(10)))
        base = f"http://127.0.0.1:{lb}"
        tail = "".join(f"&{k}={v}" for k, v in required_attributes(base))
        post = LUA_POST % {
            "path": lua_str("/open311/v2/requests.json"),
            "key": lua_str(key),
            "tail": lua_str(tail),
        }
        get = LUA_GET % {"path": lua_str("/open311/v2/requests.json?status=open&page_size=100")}
        log(f"{name}: warm-up {args.warmup}s")
        run_wrk(
            base + "/", post, connections=args.connections, duration=args.warmup, name=f"nodes-{name}-warm"
        )
        run_wrk(base + "/", get, connections=8, duration=args.warmup, name=f"nodes-{name}-warm-get")
        meter = CpuMeter(pids, proxy.pid, url)
        load = [loadavg()]
        t0 = meter.sample()
        listing = run_wrk(base + "/", get, connections=8, duration=args.duration, name=f"nodes-{name}-list")
        t1 = meter.sample()
        intake = run_wrk(
            base + "/",
            post,
            connections=args.connections,
            duration=args.duration,
            name=f"nodes-{name}-intake",
        )
        t2 = meter.sample()
        load.append(loadavg())
    out = {
        "layout": name,
        # Reports created: the 2xx answers only.
        "intake_rps": (intake["requests"] - intake["non_2xx"]) / (intake["duration_us"] / 1e6),
        "intake_non_2xx": intake["non_2xx"],
        "intake_p99_ms": intake["latency_us"]["p99"] / 1000,
        "list_rps": listing["rps"],
        "list_non_2xx": listing["non_2xx"],
        "list_p99_ms": listing["latency_us"]["p99"] / 1000,
        "loadavg": load,
    }
    for phase, before, after, done in (("list", t0, t1, listing), ("intake", t1, t2, intake)):
        ok = done["requests"] - done["non_2xx"]
        for group, seconds in CpuMeter.spent(before, after).items():
            out[f"{phase}_cpu_ms_{group}"] = seconds * 1000 / ok if ok else float("nan")
    log(
        f"{name}: intake {out['intake_rps']:.0f}/s (non-2xx {out['intake_non_2xx']}), "
        f"list {out['list_rps']:.0f}/s (non-2xx {out['list_non_2xx']}); load {load}"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per phase")
    parser.add_argument("--connections", type=int, default=32, help="intake concurrency")
    parser.add_argument("--workers", type=int, default=2, help="server processes in each layout")
    args = parser.parse_args()

    url, data_dir = fresh_database("postgres", "nodes")
    key = create_api_key(vigie_env(url, data_dir, 0))
    w = args.workers
    one_a = layout(1, w, url, data_dir, key, args)
    two = layout(2, max(w // 2, 1), url, data_dir, key, args)
    one_b = layout(1, w, url, data_dir, key, args)
    keys = [k for k in one_a if k.endswith(("_rps", "_p99_ms")) or "_cpu_ms_" in k]
    one = {k: (one_a[k] + one_b[k]) / 2 for k in keys}

    banner(f"One node of {w} workers vs two nodes of {max(w // 2, 1)}, behind nginx, PostgreSQL")
    print(f"{'':26}{'one node':>12}{'two nodes':>12}{'ratio':>9}")
    for label, key, fmt in (
        ("intake reports/s", "intake_rps", "{:.0f}"),
        ("intake p99 ms", "intake_p99_ms", "{:.1f}"),
        ("list requests/s", "list_rps", "{:.0f}"),
        ("list p99 ms", "list_p99_ms", "{:.1f}"),
        *(
            (f"{phase} CPU ms/req {group}", f"{phase}_cpu_ms_{group}", "{:.2f}")
            for phase in ("intake", "list")
            for group in ("vigie", "postgres", "nginx")
        ),
    ):
        print(f"{label:26}{fmt.format(one[key]):>12}{fmt.format(two[key]):>12}{ratio(two[key], one[key]):>9}")
    print(
        f"one node's two runs: intake {one_a['intake_rps']:.0f} and {one_b['intake_rps']:.0f}/s, "
        f"list {one_a['list_rps']:.0f} and {one_b['list_rps']:.0f}/s"
    )
    print(f"load average during the runs: {one_a['loadavg']} {two['loadavg']} {one_b['loadavg']}")
    ok_intake = two["intake_rps"] >= TARGET * one["intake_rps"]
    ok_list = two["list_rps"] >= TARGET * one["list_rps"]
    print(f"target intake ≥ {TARGET:.0%} of one node's: {verdict(ok_intake)}")
    print(f"target list ≥ {TARGET:.0%} of one node's: {verdict(ok_list)}")
    print(f"reproduce: {reproduce('bench_nodes.py')}")
    saved = save_result("bench_nodes", {"one_a": one_a, "two": two, "one_b": one_b, "args": vars(args)})
    print(f"saved {saved}")


if __name__ == "__main__":
    main()
