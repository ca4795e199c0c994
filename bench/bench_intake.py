"""Intake: Open311 POST /open311/v2/requests.json at concurrency 32.

Targets: ≥ 1,000 created reports/s, and ≥ 0.5× the bare baseline (bench/baseline_app.py:
same form, one INSERT into a one-table database on the same backend) measured in the
same run. Created reports are counted in the database, not from HTTP answers.

    .venv/bin/python bench/bench_intake.py --backend sqlite
    .venv/bin/python bench/bench_intake.py --backend postgres --duration 60
"""

from __future__ import annotations

import argparse
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from common import (
    PG_PREFIX,
    RESULTS,
    RssSampler,
    add_backend_arg,
    banner,
    baseline_server,
    count_rows,
    cpu_seconds,
    create_api_key,
    fresh_database,
    log,
    lua_str,
    pg_recreate,
    ratio,
    reproduce,
    require_wrk,
    required_attributes,
    run_wrk,
    save_result,
    verdict,
    vigie_env,
    vigie_server,
)

TARGET_RPS = 1000.0
TARGET_RATIO = 0.5

# Points around the centre of Dijon (47.322, 5.041), all inside the commune.
LUA_POST = r"""
local path = %(path)s
local key = %(key)s
local extra = %(extra)s
local n = 0
request = function()
  seed()
  n = n + 1
  local lat = 47.3220 + (math.random() - 0.5) * 0.012
  local long = 5.0410 + (math.random() - 0.5) * 0.018
  local body = string.format(
    "api_key=%%s&service_code=nid-de-poule&lat=%%.6f&long=%%.6f" ..
    "&description=Nid-de-poule+profond+devant+le+%%d%%%%2C+bench%%s", key, lat, long, n, extra)
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


def _sanity_post(url: str, key: str, extra: list[tuple[str, str]]) -> None:
    """One request by hand: the server must create a report before we load it."""
    body = urllib.parse.urlencode(
        [
            ("api_key", key),
            ("service_code", "nid-de-poule"),
            ("lat", "47.3221"),
            ("long", "5.0412"),
            ("description", "sanity check"),
            *extra,
        ]
    ).encode()
    req = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
            if r.status // 100 != 2:
                raise SystemExit(f"sanity POST to {url} answered {r.status}: {r.read()[:500]!r}")
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500]
        raise SystemExit(f"sanity POST to {url} answered {exc.code}: {detail!r}") from None


def _load(
    name: str,
    base: str,
    path: str,
    key: str,
    table: str,
    db_url: str,
    pid: int,
    args: argparse.Namespace,
    extra: list[tuple[str, str]],
) -> dict[str, Any]:
    encoded = ("&" + urllib.parse.urlencode(extra)) if extra else ""
    lua = LUA_POST % {"path": lua_str(path), "key": lua_str(key), "extra": lua_str(encoded)}
    _sanity_post(base + path, key, extra)
    if args.warmup > 0:
        log(f"{name}: warm-up {args.warmup}s")
        run_wrk(
            base + path, lua, connections=args.connections, duration=args.warmup, name=f"intake-{name}-warmup"
        )
    before = count_rows(db_url, table)
    log(f"{name}: {args.duration}s at concurrency {args.connections}")
    cpu0 = cpu_seconds(pid)
    with RssSampler(pid) as rss:
        w = run_wrk(
            base + path, lua, connections=args.connections, duration=args.duration, name=f"intake-{name}"
        )
    cpu = cpu_seconds(pid) - cpu0
    after = count_rows(db_url, table)
    seconds = w["duration_us"] / 1e6
    created = after - before
    out = {
        "created": created,
        "created_per_s": created / seconds,
        "http_rps": w["rps"],
        "responses": w["requests"],
        "non_2xx": w["non_2xx"],
        "socket_errors": w["socket_errors"],
        "statuses": w["statuses"],
        "latency_ms": {k: v / 1000 for k, v in w["latency_us"].items()},
        "seconds": seconds,
        "max_rss_mb": rss.max_rss,
        "cpu_ms_per_report": cpu * 1000 / created if created else float("nan"),
    }
    lat = out["latency_ms"]
    log(
        f"{name}: {created} created in {seconds:.1f}s = {out['created_per_s']:.0f}/s; "
        f"p50 {lat['p50']:.1f} ms p99 {lat['p99']:.1f} ms; non-2xx {w['non_2xx']}, "
        f"socket errors {w['socket_errors']}"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per server")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per server")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    require_wrk()

    # Vigie, fresh database.
    url, data_dir = fresh_database(args.backend, "intake")
    port_env = vigie_env(url, data_dir, 0)
    key = create_api_key(port_env)
    path = "/open311/v2/requests.json"
    with vigie_server(
        f"intake-vigie-{args.backend}",
        url,
        data_dir,
        VIGIE_ANONYMOUS_RATE_LIMIT="0",
        VIGIE_OPEN311_KEY_RATE_LIMIT="0",
    ) as srv:
        extra = required_attributes(srv.base)
        vigie = _load("vigie", srv.base, path, key, "reports", url, srv.pid, args, extra)

    # Bare baseline, fresh one-table database on the same backend.
    if args.backend == "sqlite":
        base_dir = RESULTS / "run" / "intake-baseline-sqlite"
        base_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{base_dir / 'baseline.db'}{suffix}").unlink(missing_ok=True)
        base_url = f"sqlite:///{(base_dir / 'baseline.db').as_posix()}"
    else:
        base_url = pg_recreate(f"{PG_PREFIX}_baseline")
    with baseline_server(f"intake-baseline-{args.backend}", base_url) as srv:
        base = _load(
            "baseline", srv.base, "/requests.json", "x", "bench_items", base_url, srv.pid, args, extra
        )

    r = vigie["created_per_s"] / base["created_per_s"] if base["created_per_s"] else 0.0
    ok_abs = vigie["created_per_s"] >= TARGET_RPS
    ok_ratio = r >= TARGET_RATIO
    banner(f"Intake, Open311 POST, concurrency {args.connections}, backend {args.backend}")
    print(f"{'':28}{'Vigie':>12}{'baseline':>12}{'ratio':>9}")
    rows = [
        ("created reports/s (DB)", "created_per_s", "{:.0f}"),
        ("HTTP responses/s", "http_rps", "{:.0f}"),
        ("latency p50 ms", ("latency_ms", "p50"), "{:.1f}"),
        ("latency p99 ms", ("latency_ms", "p99"), "{:.1f}"),
        ("non-2xx responses", "non_2xx", "{:d}"),
        ("socket errors", "socket_errors", "{:d}"),
        ("server CPU ms per report", "cpu_ms_per_report", "{:.2f}"),
        ("server max RSS MB", "max_rss_mb", "{:.0f}"),
    ]
    for label, key_, fmt in rows:
        a = vigie[key_[0]][key_[1]] if isinstance(key_, tuple) else vigie[key_]
        b = base[key_[0]][key_[1]] if isinstance(key_, tuple) else base[key_]
        print(f"{label:28}{fmt.format(a):>12}{fmt.format(b):>12}{ratio(a, b):>9}")
    print(
        f"created in DB: Vigie {vigie['created']}, baseline {base['created']}; "
        f"HTTP answers: Vigie {vigie['statuses']}, baseline {base['statuses']}"
    )
    got = vigie["created_per_s"]
    print(f"target ≥ {TARGET_RPS:.0f} created/s: {verdict(ok_abs)} ({got:.0f}/s)")
    print(f"target ≥ {TARGET_RATIO}× baseline: {verdict(ok_ratio)} ({r:.2f}×)")
    saved = save_result(
        f"bench_intake-{args.backend}", {"vigie": vigie, "baseline": base, "args": vars(args)}
    )
    print(f"reproduce: {reproduce('bench_intake.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
