"""Catalogue: load a valid catalogue of 5,000 treatment procedures with the Dijon zones.

Target: load_catalogue(path, dijon_zones) ≤ 1 s. Baseline in the same run: the time to
yaml.safe_load the same file (parsing only, no validation), printed as a ratio.
The catalogue is built by vigie.catalogue.synthetic.build_catalogue, as the
5,000-procedure file of tests/catalogue/test_catalogue_loader.py (conditional rules
over two services and all 23 Dijon zones).

    .venv/bin/python bench/bench_procedures.py
    .venv/bin/python bench/bench_procedures.py --procedures 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from common import RESULTS, banner, log, ratio, reproduce, save_result, verdict

from vigie.catalogue.synthetic import build_catalogue

TARGET_S = 1.0


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times: list[float] = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procedures", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="timed loads of each kind")
    args = parser.parse_args()

    from vigie.catalogue.loader import load_catalogue
    from vigie.city.profile import load_profile

    zones = load_profile("dijon").zones.codes()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"catalogue-{args.procedures}.yaml"
    path.write_text(build_catalogue(args.procedures, zones), encoding="utf-8")
    size_kb = Path(path).stat().st_size / 1024
    log(f"{path.name}: {size_kb:.0f} KiB, {args.procedures} procedures, {len(zones)} zones")

    # Interleave the two measurements so that noise hits both alike.
    loads: list[float] = []
    parses: list[float] = []
    cat = None
    for _ in range(args.repeat):
        t, cat = timed(lambda: load_catalogue(path, zones), 1)
        loads += t
        t, _ = timed(lambda: yaml.safe_load(path.read_text(encoding="utf-8")), 1)
        parses += t
    assert cat is not None and len(cat.procedures) == args.procedures
    c_loader = getattr(yaml, "CSafeLoader", None)
    c_parses: list[float] = []
    if c_loader is not None:
        c_parses, _ = timed(lambda: yaml.load(path.read_text(encoding="utf-8"), Loader=c_loader), args.repeat)

    load_med, parse_med = statistics.median(loads), statistics.median(parses)
    banner(
        f"Catalogue of {args.procedures:,} procedures × {len(zones)} Dijon zones "
        f"({size_kb:.0f} KiB), {args.repeat} runs each"
    )
    print(f"load_catalogue      median {load_med:.3f} s  (min {min(loads):.3f}, max {max(loads):.3f})")
    print(f"yaml.safe_load      median {parse_med:.3f} s  (min {min(parses):.3f}) — baseline")
    if c_parses:
        print(f"yaml CSafeLoader    median {statistics.median(c_parses):.3f} s  (reference)")
    print(f"ratio load_catalogue / yaml.safe_load: {ratio(load_med, parse_med)}")
    print(
        f"target ≤ {TARGET_S:.0f} s: {verdict(max(loads) <= TARGET_S)} "
        f"(judged on the slowest run, {max(loads):.3f} s)"
    )
    saved = save_result(
        "bench_procedures",
        {"load_s": loads, "safe_load_s": parses, "c_safe_load_s": c_parses, "args": vars(args)},
    )
    print(f"reproduce: {reproduce('bench_procedures.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
