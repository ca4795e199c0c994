"""Lighting: the energy model over 1,000,000 light points.

Target (issue 16 §5): the yearly energy of 1,000,000 points (system watts from lamp
technology and power, equivalent hours from the sun at each point's position and its
schedule, kWh, money and CO2, totals per schedule) in ≤ 5 s, vectorised
(vigie.lighting.domain). Baseline in the same run: a plain Python loop over the same
points doing the same work (the ballast curve interpolated point by point, each
(cell, schedule)'s hours computed once from vigie.telemetry.sun day by day and kept in
a dict), the floor the vectorised model must beat. Both must give the same totals.

Points are drawn once (seeded) over the Dijon Métropole's extent with the demo's lamp
mix and three schedules (all night; 70 % from 22:00 to 05:00; that plus off from
midnight to 05:00). Drawing them is not timed; turning their technologies (texts,
as the registry holds them) into codes is.

    .venv/bin/python bench/bench_lighting_energy.py
    .venv/bin/python bench/bench_lighting_energy.py --points 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import numpy as np
from common import banner, log, ratio, reproduce, save_result, verdict

from vigie.lighting import domain as d
from vigie.telemetry import sun

TARGET_S = 5.0
YEAR = 2026
TZ = ZoneInfo("Europe/Paris")
SCHEDULES = (d.ALL_NIGHT, d.Schedule(), d.Schedule(off_start="00:00", off_end="05:00"))
MIX = (("LED", 0.60), ("HPS", 0.31), ("MH", 0.07), ("MV", 0.02))
WATTS = {
    "LED": (20, 25, 30, 40, 50, 60, 75, 90),
    "HPS": (70, 100, 150, 250),
    "MH": (70, 150),
    "MV": (125, 250),
}


def draw(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(16)
    names = np.array([t for t, _ in MIX])
    techs = names[rng.choice(len(MIX), size=n, p=[p for _, p in MIX])]
    watts = np.empty(n)
    for t, options in WATTS.items():
        mask = techs == t
        watts[mask] = rng.choice(options, size=int(mask.sum()))
    return {
        "tech": techs.astype(object),
        "watts": watts,
        "lat": rng.uniform(47.25, 47.40, n),
        "long": rng.uniform(4.95, 5.15, n),
        "schedule": rng.integers(0, len(SCHEDULES), n),
    }


def vectorised(p: dict[str, np.ndarray], prices: d.Prices) -> dict[str, float]:
    codes = d.tech_codes(p["tech"])
    hours = d.equivalent_hours(p["lat"], p["long"], p["schedule"], SCHEDULES, YEAR, TZ)
    out = d.point_energy(codes, p["watts"], hours, prices)
    by_schedule = np.bincount(p["schedule"], weights=out.kwh, minlength=len(SCHEDULES))
    return {**out.total(), **{f"kwh_schedule_{i}": float(v) for i, v in enumerate(by_schedule)}}


# --- the plain Python loop -------------------------------------------------------------


def _factor(tech: str, watts: float) -> float:
    curve = d.BALLAST_CURVES.get(tech, d.NO_GEAR)
    xs = [c[0] for c in curve]
    ys = [c[1] for c in curve]
    if watts <= xs[0]:
        return ys[0]
    if watts >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, watts)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 + (y1 - y0) * (watts - x0) / (x1 - x0)


def _local_utc(day: date, hm: str) -> float:
    """Minutes after ``day``'s 00:00 UTC of local time ``hm`` on the night starting on ``day``."""
    h, m = (int(x) for x in hm.split(":"))
    when = day + timedelta(days=1) if h < 12 else day
    at = datetime.combine(when, clock(h, m), TZ).astimezone(UTC)
    return (at - datetime(day.year, day.month, day.day, tzinfo=UTC)).total_seconds() / 60


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _loop_hours(s: d.Schedule, lat: float, long: float) -> float:
    total = 0.0
    day = date(YEAR, 1, 1)
    while day.year == YEAR:
        base = datetime(day.year, day.month, day.day, tzinfo=UTC)
        on = (sun.sunset(day, lat, long) - base).total_seconds() / 60 + s.on_offset_minutes
        off = (sun.sunrise(day + timedelta(days=1), lat, long) - base).total_seconds() / 60
        off += s.off_offset_minutes
        night = max(0.0, off - on)
        switched = dimmed = 0.0
        if s.off_start and s.off_end:
            s0, s1 = _local_utc(day, s.off_start), _local_utc(day, s.off_end)
            switched = _overlap(on, off, s0, s1)
        if s.dim_start and s.dim_end and s.dim_level < 1:
            d0, d1 = _local_utc(day, s.dim_start), _local_utc(day, s.dim_end)
            dimmed = _overlap(on, off, d0, d1)
            if s.off_start and s.off_end:
                dimmed -= _overlap(max(on, d0), min(off, d1), s0, s1)
        total += night - switched - (1 - s.dim_level) * dimmed
        day += timedelta(days=1)
    return total / 60


def plain_loop(p: dict[str, np.ndarray], prices: d.Prices) -> dict[str, float]:
    cache: dict[tuple[int, int, int], float] = {}
    techs, watts = p["tech"].tolist(), p["watts"].tolist()
    lats, longs, scheds = p["lat"].tolist(), p["long"].tolist(), p["schedule"].tolist()
    kw = kwh = 0.0
    by_schedule = [0.0] * len(SCHEDULES)
    for tech, w, lat, long, si in zip(techs, watts, lats, longs, scheds, strict=True):
        key = (round(lat / d.CELL_DEGREES), round(long / d.CELL_DEGREES), si)
        hours = cache.get(key)
        if hours is None:
            hours = cache[key] = _loop_hours(SCHEDULES[si], key[0] * d.CELL_DEGREES, key[1] * d.CELL_DEGREES)
        system = w * _factor(tech, w)
        kw += system / 1000
        e = system * hours / 1000
        kwh += e
        by_schedule[si] += e
    return {
        "points": len(techs),
        "system_kw": kw,
        "kwh": kwh,
        "cost": kwh * prices.tariff_per_kwh,
        "co2_kg": kwh * prices.co2_kg_per_kwh,
        **{f"kwh_schedule_{i}": v for i, v in enumerate(by_schedule)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the vectorised model")
    args = parser.parse_args()
    prices = d.Prices(0.25, 0.06)
    t0 = time.perf_counter()
    points = draw(args.points)
    log(f"{args.points:,} points drawn in {time.perf_counter() - t0:.1f} s (not timed)")

    runs: list[float] = []
    fast: dict[str, float] = {}
    for _ in range(args.repeat):
        t = time.perf_counter()
        fast = vectorised(points, prices)
        runs.append(time.perf_counter() - t)
    t = time.perf_counter()
    slow = plain_loop(points, prices)
    loop_s = time.perf_counter() - t
    for k, v in fast.items():
        assert abs(v - slow[k]) <= 1e-6 * max(1.0, abs(v)), (k, v, slow[k])

    med = statistics.median(runs)
    banner(f"Lighting energy model, {args.points:,} points, year {YEAR}")
    print(
        f"vectorised (numpy)   median {med:.2f} s  "
        f"(min {min(runs):.2f}, max {max(runs):.2f}, {args.repeat} runs)"
    )
    print(f"plain Python loop    {loop_s:.2f} s — baseline (one run)")
    print(f"ratio vectorised / loop: {ratio(med, loop_s)} (the loop takes {ratio(loop_s, med)} as long)")
    print(
        f"totals agree: {fast['kwh'] / 1e6:,.2f} GWh, {fast['cost'] / 1e6:,.2f} M€, "
        f"{fast['co2_kg'] / 1e3:,.0f} t CO2e"
    )
    print(
        f"target ≤ {TARGET_S:.0f} s: {verdict(max(runs) <= TARGET_S)} "
        f"(judged on the slowest run, {max(runs):.2f} s)"
    )
    saved = save_result(
        "bench_lighting_energy", {"vectorised_s": runs, "loop_s": loop_s, "totals": fast, "args": vars(args)}
    )
    print(f"reproduce: {reproduce('bench_lighting_energy.py')}")
    print(f"raw results: {saved.name}")


if __name__ == "__main__":
    main()
