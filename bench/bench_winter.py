"""Winter service (issue 18 §3): live coverage of the salting circuits.

205 vehicles (the Dijon demo's fleet) report every 5 s, in real time, into the
ingest pipeline with its listeners (alarm rules, traffic, winter coverage): the
45 winter vehicles drive their P1 circuits (Divia's 136 GTFS shapes, about
1,117 km cut into 50 m pieces) salting, the others roam (at night the
simulator's service vehicles salt too). For every position that treats a piece,
the time from its arrival to the commit of the coverage it changed is kept
(``CoverageTracker.latencies``). Baseline in the same run: the time from arrival
to the commit of the same messages' samples by the telemetry writer (what the
ingest does for every message anyway).

    .venv/bin/python bench/bench_winter.py                      # SQLite, 60 s
    .venv/bin/python bench/bench_winter.py --backend postgres --pg-db bench_traffic
    .venv/bin/python bench/bench_winter.py --speed 5            # five times the fleet's rate

Target: p99 <= 1 s from a position to its updated coverage.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    add_backend_arg,
    banner,
    fresh_database,
    loadavg,
    log,
    percentile,
    pg_recreate,
    ratio,
    reproduce,
    save_result,
    verdict,
)

GTFS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dijon" / "divia_gtfs"
TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--pg-db", default="", help="PostgreSQL database to (re)create (bench_<name>)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the fleet drives")
    parser.add_argument("--speed", type=float, default=1.0, help="positions this many times as often")
    args = parser.parse_args()

    from sqlalchemy import insert

    from vigie.assets.demo import build_demo_fleet
    from vigie.assets.storage import AssetRow
    from vigie.background import build_ingest
    from vigie.bootstrap import build_vigie
    from vigie.migrate import upgrade
    from vigie.settings import Settings
    from vigie.telemetry.registry import AssetInfo
    from vigie.telemetry.schema import kind_of
    from vigie.telemetry.simulator import FleetSimulator
    from vigie.winter import actions
    from vigie.winter.coverage import CoverageTracker

    url, data_dir = fresh_database(args.backend if not args.pg_db else "sqlite", "winter")
    if args.pg_db:
        url = pg_recreate(args.pg_db)
        upgrade(url)
    v = build_vigie(Settings(database_url=url, data_dir=str(data_dir), environment="development"))
    from vigie.accounts.domain import SYSTEM

    fleet = [r for r in build_demo_fleet(v) if r["type"] == "vehicle"]
    with v.db.session(write=True) as s:
        s.execute(insert(AssetRow), fleet)
        s.commit()
    winter = [r["id"] for r in fleet if r["attributes"]["vehicleRole"] in ("snow_plough", "salt_spreader")]
    drafts = actions.circuits_from_gtfs(GTFS)
    actions.assign_round_robin(drafts, winter)
    actions.do_create_circuits(v, SYSTEM, drafts)
    actions.do_set_level(v, SYSTEM, "intervention", "benchmark")
    circuits = actions.list_circuits(v, with_geometry=True)
    km = sum(c["length_m"] for c in circuits) / 1000

    banner(
        f"Winter coverage: {len(fleet)} vehicles every {5 / args.speed:.1f} s over {km:,.0f} km of circuits"
    )
    infos = [
        AssetInfo(
            r["id"],
            r["type"],
            kind_of(r["type"], r["id"]) or "",
            r["zone"],
            r["lat"],
            r["long"],
            r["group"],
            r["status"],
            r["attributes"],
        )
        for r in fleet
    ]
    sim = FleetSimulator(infos, seed=11, periods={"vehicle": 5})
    first: dict[str, int] = {}
    for c in circuits:
        if c["vehicle_id"] not in first:
            first[c["vehicle_id"]] = c["id"]
            sim.drive(c["vehicle_id"], [tuple(p) for p in c["coordinates"]])

    pipeline = build_ingest(v)
    tracker = next(o for o in pipeline.observers if isinstance(o, CoverageTracker))
    arrivals: dict[tuple[str, int], float] = {}
    baseline: list[float] = []
    write_chunk = pipeline._write_chunk

    def timed_chunk(samples, dead, acks, latest):  # type: ignore[no-untyped-def]
        write_chunk(samples, dead, acks, latest)
        done = time.monotonic()
        for asset_id, ts_ms, _text in samples:
            t = arrivals.pop((asset_id, ts_ms), None)
            if t is not None:
                baseline.append(done - t)

    pipeline._write_chunk = timed_chunk  # type: ignore[method-assign]
    pipeline.start()
    sent = 0
    observe_s = 0.0
    started = time.monotonic()
    t0 = datetime.now(UTC)
    try:
        while (elapsed := time.monotonic() - started) < args.seconds:
            # Simulated time runs ``speed`` times faster: positions come that much more often.
            now = datetime.fromtimestamp(t0.timestamp() + elapsed * args.speed, UTC)
            for asset_id, msg in sim.step(now):
                ts_ms = int(datetime.fromisoformat(msg["ts"]).timestamp() * 1000)
                arrivals[(asset_id, ts_ms)] = time.monotonic()
                a = time.perf_counter()
                pipeline.ingest(asset_id, msg)
                observe_s += time.perf_counter() - a
                sent += 1
            time.sleep(0.05)
    finally:
        pipeline.stop()
    cov = list(tracker.latencies)
    writes = [w for w, _ in tracker.flush_timings]
    publishes = [p for _, p in tracker.flush_timings]
    summary = actions.coverage_summary(actions.list_circuits(v))
    load = loadavg()
    p50, p99, mx = percentile(cov, 50), percentile(cov, 99), max(cov) if cov else 0.0
    b50, b99 = percentile(baseline, 50), percentile(baseline, 99)
    print(
        f"positions sent: {sent:,} ({sent / args.seconds:.0f}/s), ingest "
        f"{observe_s / max(sent, 1) * 1e6:.0f} µs per message with every listener"
    )
    print(
        f"positions that changed coverage: {len(cov):,}; P1 treated: {summary['P1']['treated_km']} km "
        f"of {summary['P1']['km']} km ({summary['P1']['share']:.1%})"
    )
    print(
        f"position -> coverage committed: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {mx * 1000:.0f} ms"
    )
    print(
        f"baseline, position -> its sample committed (telemetry writer): p50 {b50 * 1000:.0f} ms, "
        f"p99 {b99 * 1000:.0f} ms"
    )
    print(
        f"coverage flushes: {len(writes)}, write p50 {percentile(writes, 50) * 1000:.0f} ms "
        f"p99 {percentile(writes, 99) * 1000:.0f} ms; "
        f"event publish p99 {percentile(publishes, 99) * 1000:.0f} ms"
    )
    print(f"ratio p99 coverage / p99 samples: {ratio(p99, b99)}; load average {load}")
    print(f"target p99 <= {TARGET_S * 1000:.0f} ms: {verdict(p99 <= TARGET_S)}")
    path = save_result(
        "bench_winter",
        {
            "backend": "postgres" if args.pg_db else args.backend,
            "seconds": args.seconds,
            "speed": args.speed,
            "vehicles": len(fleet),
            "km": km,
            "sent": sent,
            "coverage_ms": {"p50": p50 * 1000, "p99": p99 * 1000, "max": mx * 1000, "n": len(cov)},
            "baseline_ms": {"p50": b50 * 1000, "p99": b99 * 1000, "n": len(baseline)},
            "load": load,
            "command": reproduce("bench_winter.py", sys.argv[1:]),
        },
    )
    log(f"saved {path}")


if __name__ == "__main__":
    main()
