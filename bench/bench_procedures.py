"""Catalogue: load a valid catalogue of 5,000 treatment procedures with the Dijon zones.

Target: load_catalogue(path, dijon_zones) ≤ 1 s. Baseline in the same run: the time to
yaml.safe_load the same file (parsing only, no validation), printed as a ratio.
The catalogue is built like tests/catalogue/test_catalogue_loader.py builds its
5,000-procedure file (conditional rules over two services and all 23 Dijon zones).

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

TARGET_S = 1.0

BASE = """\
version: 1
groups:
  - code: voirie
    name: {fr: Voirie, en: Roads}
services:
  - code: nid-de-poule
    group: voirie
    name: {fr: Nid-de-poule, en: Pothole}
    description: {fr: Trou dans la chaussée, en: Hole in the road}
    attributes:
      - code: danger
        datatype: singlevaluelist
        description: {fr: "Danger immédiat ?"}
        values:
          - {key: "oui", name: {fr: Oui}}
          - {key: "non", name: {fr: Non}}
  - code: trottoir
    group: voirie
    name: {fr: Trottoir, en: Pavement}
    description: {fr: Trottoir abîmé}
teams:
  - code: voirie
    name: {fr: Voirie}
  - code: urgence
    name: {fr: Astreinte}
  - code: chenove
    name: {fr: Services techniques de Chenôve}
procedures:
  - id: voirie
    match: {group: voirie}
    team: voirie
    sla: {hours: 40, business_hours: true}
  - id: chenove
    match: {zone: "21166", group: voirie}
    team: chenove
    sla: {hours: 48}
  - id: danger
    match: {service: nid-de-poule, when: {attribute: danger, in: ["oui"]}}
    team: urgence
    sla: {hours: 4}
    priority: urgent
"""


def build_catalogue(count: int, zones: list[str]) -> str:
    """A valid catalogue text with `count` procedures (3 general + count-3 conditional)."""
    data: dict[str, Any] = yaml.safe_load(BASE)
    for i in range(count - 3):
        zone = zones[i % len(zones)]
        if i % 2 == 0:
            match = {"service": "nid-de-poule", "zone": zone,
                     "when": {"attribute": "danger", "in": [f"v{i}"]}}
        else:
            match = {"service": "trottoir", "zone": zone,
                     "when": {"attribute": "x", "in": [f"v{i}"]}}
        data["procedures"].append(
            {"id": f"p{i}", "match": match, "team": "voirie", "sla": {"hours": 10}}
        )
    # Conditional values must exist on the attribute for the file to be valid.
    data["services"][0]["attributes"][0]["values"] += [
        {"key": f"v{i}", "name": {"fr": f"v{i}"}} for i in range(0, count, 2)
    ]
    data["services"][1]["attributes"] = [{
        "code": "x", "datatype": "singlevaluelist", "description": {"fr": "x"},
        "values": [{"key": f"v{i}", "name": {"fr": "x"}} for i in range(1, count, 2)],
    }]
    return yaml.safe_dump(data, allow_unicode=True)


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
        c_parses, _ = timed(lambda: yaml.load(path.read_text(encoding="utf-8"), Loader=c_loader),
                            args.repeat)

    load_med, parse_med = statistics.median(loads), statistics.median(parses)
    banner(f"Catalogue of {args.procedures:,} procedures × {len(zones)} Dijon zones "
           f"({size_kb:.0f} KiB), {args.repeat} runs each")
    print(f"load_catalogue      median {load_med:.3f} s  (min {min(loads):.3f}, "
          f"max {max(loads):.3f})")
    print(f"yaml.safe_load      median {parse_med:.3f} s  (min {min(parses):.3f}) — baseline")
    if c_parses:
        print(f"yaml CSafeLoader    median {statistics.median(c_parses):.3f} s  (reference)")
    print(f"ratio load_catalogue / yaml.safe_load: {ratio(load_med, parse_med)}")
    print(f"target ≤ {TARGET_S:.0f} s: {verdict(max(loads) <= TARGET_S)} "
          f"(judged on the slowest run, {max(loads):.3f} s)")
    saved = save_result("bench_procedures", {
        "load_s": loads, "safe_load_s": parses, "c_safe_load_s": c_parses, "args": vars(args)})
    print(f"reproduce: {reproduce('bench_procedures.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
