"""The records API's cold mix on several versions of the code at once: an A/B on a shared machine.

On a machine whose load moves by the minute, two runs of ``bench_opendata_api.py`` minutes apart
compare the load more than the code. Here one server per version (``name=PYTHONPATH``: a ``src``
directory, e.g. of a detached worktree of the commit to compare with) runs side by side on the
release built by ``bench_opendata_api.py``; each is warmed with the same first cold URLs (so that
every field's counts, checkpoints and counted tables exist), then wrk (concurrency 8) runs on
each in turn, alternating the order each round, every round on cold URLs none asked before; the
figure to read is the server's CPU a request (latencies follow the machine's load).

    git worktree add --detach /tmp/before main
    .venv/bin/python bench/opendata_records_ab.py before=/tmp/before/src after=src --rounds 6
"""

from __future__ import annotations

import argparse
import json
import statistics
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from bench_opendata_api import ensure_release
from common import RESULTS, Server, cpu_seconds, loadavg, log, lua_str, process_tree, run_wrk, vigie_server
from opendata_records import cold_paths, cold_sequence


def _warm(server: Server, paths: list[str]) -> None:
    def get(path: str) -> None:
        with urllib.request.urlopen(server.base + path, timeout=120) as r:  # noqa: S310 - our server
            r.read()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, paths))


def _lua(paths: list[str], name: str) -> str:
    listing = RESULTS / "run" / f"{name}.txt"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    lua = (
        f"local paths = {{}}\nfor line in io.lines({lua_str(str(listing))}) do paths[#paths + 1] = line end\n"
    )
    lua += "local i = 0\nrequest = function()\n  local n = i * 2 + (tid or 1) - 1\n  i = i + 1\n"
    return lua + "  return wrk.format('GET', paths[(n % #paths) + 1])\nend\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("versions", nargs="+", help="name=PYTHONPATH of each version")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warm", type=int, default=1500, help="cold URLs asked first, by each server")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--slice", type=int, default=3000, help="cold URLs a round may use")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run")
    args = parser.parse_args()
    url, data_dir, info = ensure_release(args.rows, False)
    sequence = cold_sequence(cold_paths(info["parquet"]))
    env = {
        "VIGIE_WORKERS": str(args.workers),
        "VIGIE_QUOTA_ANONYMOUS_PER_MINUTE": "0",
        "VIGIE_QUOTA_ANONYMOUS_PER_DAY": "0",
    }
    runs: dict[str, list[dict[str, Any]]] = {}
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        for version in args.versions:
            name, path = version.split("=", 1)
            servers[name] = stack.enter_context(
                vigie_server(f"ab-{name}", url, data_dir, PYTHONPATH=path, **env)
            )
        for server in servers.values():
            _warm(server, sequence[: args.warm])
        for r in range(args.rounds):
            start = args.warm + r * args.slice
            lua = _lua(sequence[start : start + args.slice], f"records-ab-{r}")
            order = list(servers.items()) if r % 2 == 0 else list(reversed(servers.items()))
            for name, server in order:
                pids = process_tree(server.pid)
                before = sum(cpu_seconds(p) for p in pids)
                load = loadavg()
                res = run_wrk(
                    server.base, lua, connections=8, threads=2, duration=args.duration, name="records-ab"
                )
                res["cpu_ms"] = (sum(cpu_seconds(p) for p in pids) - before) * 1000 / max(1, res["requests"])
                runs.setdefault(name, []).append(res)
                lat = res["latency_us"]
                log(
                    f"round {r + 1} {name}: {res['rps']:.0f} req/s, p50 {lat['p50'] / 1000:.1f} ms, "
                    f"p95 {lat['p95'] / 1000:.1f} ms, CPU {res['cpu_ms']:.2f} ms a request, "
                    f"non-2xx {res['non_2xx']} (load {load})"
                )
    for name, results in runs.items():
        rps = statistics.median(x["rps"] for x in results)
        p95 = statistics.median(x["latency_us"]["p95"] for x in results) / 1000
        cpu = statistics.median(x["cpu_ms"] for x in results)
        log(
            f"median of {len(results)} rounds, {name}: {rps:.0f} req/s, p95 {p95:.1f} ms, "
            f"CPU {cpu:.2f} ms a request"
        )
    (RESULTS / "run" / "records-ab.json").write_text(json.dumps(runs, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
