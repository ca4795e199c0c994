"""Demo: each of the 34,000 demo light points named after its street, set-based.

`vigie demo` names every unnamed light point after the street reverse geocoding gives at its
position (vigie.assets.demo_streets, vigie.addresses.nearest.street_names: the gazetteer
read once, numpy over a grid). Baseline in the same run: the built-in geocoder's reverse()
called point by point (what naming them without the set-based path would cost), timed on
a sample and scaled to every point. Both must name the sample's points alike. No target of
its own: the demo step must stay a small part of `vigie demo` (bench_demo.py).

Data: the Dijon demo fleet's light positions (its generator, not timed) and the demo's
gazetteer (Dijon's shops and tram and bus stops, from ../shared/data), on a fresh SQLite
database.

    .venv/bin/python bench/bench_street_names.py
    .venv/bin/python bench/bench_street_names.py --sample 500
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import banner, fresh_database, loadavg, log, ratio, reproduce, save_result, vigie_env

from vigie.addresses.builtin import BuiltinGeocoder
from vigie.addresses.demo import load_demo_gazetteer
from vigie.addresses.nearest import street_names
from vigie.assets.demo import FleetBuilder
from vigie.bootstrap import build_vigie
from vigie.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=1000, help="points reverse-geocoded one by one")
    args = parser.parse_args()
    url, data_dir = fresh_database("sqlite", "street-names")
    env = vigie_env(url, data_dir, 0)
    v = build_vigie(
        Settings(database_url=env["VIGIE_DATABASE_URL"], data_dir=data_dir, environment="development")
    )
    log("loading the demo gazetteer")
    for line in load_demo_gazetteer(v):
        log(line)
    lights = [r for r in FleetBuilder(v).build() if r["type"] == "street_light"]
    lat = np.array([r["lat"] for r in lights])
    lon = np.array([r["long"] for r in lights])
    log(f"{len(lights)} light points")

    t = time.perf_counter()
    names = street_names(v.db, lat, lon)
    fast_s = time.perf_counter() - t

    rng = np.random.default_rng(16)
    pick = rng.choice(len(lights), size=min(args.sample, len(lights)), replace=False)
    geocoder = BuiltinGeocoder(v.db, v.city.zones)
    t = time.perf_counter()
    slow = []
    for i in pick.tolist():
        found = geocoder.reverse(float(lat[i]), float(lon[i]))
        slow.append(found.street if found is not None else "")
    loop_s = (time.perf_counter() - t) / len(pick) * len(lights)
    agree = sum(1 for i, s in zip(pick.tolist(), slow, strict=True) if names[i] == s)

    banner("Demo light points named after their street")
    named = sum(1 for n in names if n)
    print(f"points: {len(lights)}; named: {named} on {len(set(names) - {''})} streets")
    print(f"set-based: {fast_s:.2f} s; reverse() point by point (scaled from {len(pick)}): {loop_s:.1f} s")
    print(f"set-based / point by point: {ratio(fast_s, loop_s)}; sample agreeing: {agree}/{len(pick)}")
    print(f"load average after: {loadavg()}")
    print(f"reproduce: {reproduce('bench_street_names.py')}")
    save_result(
        "bench_street_names",
        {
            "points": len(lights),
            "named": named,
            "set_based_s": fast_s,
            "point_by_point_s": loop_s,
            "sample": len(pick),
            "agree": agree,
        },
    )
    v.db.dispose()


if __name__ == "__main__":
    main()
