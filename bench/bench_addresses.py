"""Addresses (issue 13): import of 1,000,000 BAN rows, autocomplete and reverse at concurrency 8.

1. Generates a BAN CSV (``;``-separated, the official columns) of ``--rows``
   addresses (default 1,000,000): 1,000 communes around Dijon, 40 streets each
   whose names are real (the streets of Dijon's shops file, and street types
   with the names of real Divia stops), 25 numbers a street on both sides.
2. Imports it with ``do_import_addresses`` into a fresh database (SQLite file,
   or the PostgreSQL database given, whose schema is reset) and times it;
   baseline in the same run: reading the same file with ``csv.reader`` alone.
3. Serves it (``vigie serve``, one worker, geocoder cache off so every request
   reaches the database) and runs wrk with 8 connections on
   ``/api/v1/addresses/search`` (what people type, cut anywhere after 3
   characters, with a centre near the address) and ``/reverse`` (points up to
   80 m from an address: addresses, streets and zones); baseline: ``/health``
   at the same concurrency.

    .venv/bin/python bench/bench_addresses.py                     # SQLite
    .venv/bin/python bench/bench_addresses.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_addr

Targets: import <= 60 s; search p95 <= 20 ms; reverse p95 <= 10 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import free_port, reproduce, run_wrk, verdict, vigie_server  # noqa: E402

from vigie.addresses.text import proper_case  # noqa: E402

OPEN_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dijon" / "opendata"
HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
    "source_position;source_nom_voie;certification_commune;cad_parcelles"
)
COMMUNES = 1000
STREETS_PER_COMMUNE = 40
LUA = r"""
local paths = %(paths)s
request = function()
  seed()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def real_names(open_data: Path) -> tuple[list[str], list[str]]:
    """Street names and commune names from Dijon Métropole's open data."""
    shops = json.loads((open_data / "commerces-de-dijon.geojson").read_text(encoding="utf-8"))
    streets = {
        proper_case(f["properties"]["adresse"]) for f in shops["features"] if f["properties"].get("adresse")
    }
    stops = json.loads((open_data / "arrets_bus_divia.geojson").read_text(encoding="utf-8"))
    stop_names = sorted({f["properties"]["nom"] for f in stops["features"] if f["properties"].get("nom")})
    communes = sorted(
        {f["properties"]["communes"] for f in stops["features"] if f["properties"].get("communes")}
    )
    for kind in ("Rue", "Avenue", "Chemin", "Allée", "Impasse"):
        streets.update(f"{kind} {name}" for name in stop_names)
    return sorted(streets), communes


def generate(path: Path, rows: int, open_data: Path, seed: int = 13) -> list[tuple[str, float, float, str]]:
    """Write the BAN CSV; return a sample of (label typed, lat, lon, citycode) for the queries."""
    rng = random.Random(seed)
    streets, communes = real_names(open_data)
    per_street = max(1, rows // (COMMUNES * STREETS_PER_COMMUNE))
    sample: list[tuple[str, float, float, str]] = []
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        for c in range(COMMUNES):
            code = f"{21000 + c}"
            name = communes[c % len(communes)] + (f" {c // len(communes) + 1}" if c >= len(communes) else "")
            postcode = f"21{(c % 90) * 10 + 100:03d}"
            clat = 47.32 + (c // 40 - 12) * 0.03
            clon = 5.04 + (c % 40 - 20) * 0.045
            for s, street in enumerate(rng.sample(streets, STREETS_PER_COMMUNE)):
                fantoir = f"{code}_{s:04d}"
                lat0 = clat + rng.uniform(-0.012, 0.012)
                lon0 = clon + rng.uniform(-0.018, 0.018)
                angle = rng.uniform(0, math.pi)
                dlat, dlon = (
                    math.sin(angle) / 111_320,
                    math.cos(angle) / (111_320 * math.cos(math.radians(lat0))),
                )
                for n in range(1, per_street + 1):
                    if written >= rows:
                        break
                    along = 8.0 * (n // 2)
                    side = 6.0 if n % 2 else -6.0
                    lat = lat0 + dlat * along - dlon * side * 0.7
                    lon = lon0 + dlon * along + dlat * side * 0.7
                    f.write(
                        f"{fantoir}_{n:05d};{fantoir};{n};;{street};{postcode};{code};{name};;;0;0;"
                        f"{lon:.7f};{lat:.7f};entrée;;;{name.upper()};{street.upper()};commune;commune;1;\n"
                    )
                    written += 1
                    if rng.random() < 0.004:
                        sample.append((f"{n} {street} {name}", lat, lon, code))
    return sample


def baseline_read(path: Path) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        for _row in csv.reader(f, delimiter=";"):
            pass
    return time.perf_counter() - start


def import_file(url: str, data_dir: Path, path: Path) -> float:
    from vigie.addresses.importer import do_import_addresses
    from vigie.bootstrap import build_vigie
    from vigie.migrate import upgrade
    from vigie.settings import Settings

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    v = build_vigie(Settings(database_url=url, data_dir=data_dir, background_services=False))
    try:
        start = time.perf_counter()
        result = do_import_addresses(v, path, None, "bench")
        elapsed = time.perf_counter() - start
    finally:
        v.db.dispose()
    print(
        f"  imported {result.points:,} addresses, {result.places:,} streets, {len(result.skipped)} left out"
    )
    return elapsed


def in_process(url: str, data_dir: Path, search: list[str], reverse: list[str]) -> None:
    """The geocoder's own cost (no HTTP), one thread; baseline: SELECT 1 on the same engine."""
    from urllib.parse import parse_qs, urlparse

    from sqlalchemy import text

    from vigie.addresses.builtin import BuiltinGeocoder
    from vigie.bootstrap import build_vigie
    from vigie.settings import Settings

    v = build_vigie(Settings(database_url=url, data_dir=data_dir, background_services=False))
    g = BuiltinGeocoder(v.db, v.city.zones)
    try:
        with v.db.engine.connect() as conn:
            start = time.perf_counter()
            for _ in range(500):
                conn.execute(text("SELECT 1")).scalar()
            one = (time.perf_counter() - start) / 500 * 1000
        for name, ps in (("search", search), ("reverse", reverse)):
            times = []
            for p in ps[:500]:
                q = {k: val[0] for k, val in parse_qs(urlparse(p).query).items()}
                t = time.perf_counter()
                if name == "search":
                    g.search(q["q"], float(q["lat"]), float(q["lon"]), 5)
                else:
                    g.reverse(float(q["lat"]), float(q["lon"]))
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
            print(
                f"  in process, one thread: {name:<8} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
                f"(SELECT 1: {one:.3f} ms; p95 ratio {p95 / one:.0f}x)"
            )
    finally:
        v.db.dispose()


def typed(rng: random.Random, label: str) -> str:
    """What someone has typed so far: the label cut anywhere after 6 characters, lower case."""
    cut = rng.randint(min(len(label), 6), len(label))
    text = label[:cut].lower()
    return text if rng.random() < 0.5 else text.replace("é", "e").replace("è", "e")


def paths(sample: list[tuple[str, float, float, str]], seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    search, reverse = [], []
    for label, lat, lon, _code in sample:
        centre = {
            "lat": round(lat + rng.uniform(-0.03, 0.03), 4),
            "lon": round(lon + rng.uniform(-0.04, 0.04), 4),
        }
        search.append("/api/v1/addresses/search?" + urlencode({"q": typed(rng, label), **centre, "limit": 5}))
        d = rng.uniform(0, 80) / 111_320
        a = rng.uniform(0, 2 * math.pi)
        reverse.append(
            "/api/v1/addresses/reverse?"
            + urlencode(
                {"lat": round(lat + d * math.sin(a), 6), "lon": round(lon + d * math.cos(a) * 1.48, 6)}
            )
        )
    return search, reverse


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="", help="PostgreSQL database for the run (its schema is reset)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--open-data", type=Path, default=OPEN_DATA)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vigie-bench-addresses-") as tmp:
        work = Path(tmp)
        csv_path = work / "adresses-bench.csv"
        start = time.perf_counter()
        sample = generate(csv_path, args.rows, args.open_data)
        print(
            f"generated {args.rows:,} BAN rows in {time.perf_counter() - start:.1f} s "
            f"({csv_path.stat().st_size >> 20} MiB)"
        )
        url = args.pg_url or f"sqlite:///{work / 'vigie.db'}"
        backend = "postgresql" if args.pg_url else "sqlite"
        read = baseline_read(csv_path)
        took = import_file(url, work / "data", csv_path)
        print(
            f"[{backend}] import: {took:.1f} s; baseline csv.reader alone {read:.1f} s; "
            f"ratio {took / read:.1f}x; "
            f"target 60 s: {verdict(took <= 60)}"
        )

        search, reverse = paths(sample)
        in_process(url, work / "data", search, reverse)
        extra = {"VIGIE_GEOCODER_CACHE_SIZE": "0", "VIGIE_BACKGROUND_SERVICES": "false"}
        with vigie_server(f"addresses-{backend}", url, work / "data", free_port(), **extra) as srv:
            lua_health = LUA % {"paths": json.dumps(["/health"]).replace("[", "{").replace("]", "}")}
            figures = {}
            for name, ps in (("search", search), ("reverse", reverse)):
                table = "{" + ",".join(json.dumps(p) for p in ps) + "}"
                run_wrk(
                    srv.base,
                    LUA % {"paths": table},
                    connections=args.connections,
                    duration=5,
                    name=f"addr-{name}-warm",
                )
                figures[name] = run_wrk(
                    srv.base,
                    LUA % {"paths": table},
                    connections=args.connections,
                    duration=args.duration,
                    name=f"addr-{name}",
                )
            figures["health"] = run_wrk(
                srv.base, lua_health, connections=args.connections, duration=args.duration, name="addr-health"
            )
        base = figures["health"]["latency_us"]["p95"] / 1000
        for name, target in (("search", 20.0), ("reverse", 10.0)):
            w = figures[name]
            p95 = w["latency_us"]["p95"] / 1000
            print(
                f"[{backend}] {name:<8} c={args.connections}: {w['rps']:7.0f} req/s  "
                f"p50 {w['latency_us']['p50'] / 1000:6.2f} ms  p95 {p95:6.2f} ms  "
                f"p99 {w['latency_us']['p99'] / 1000:6.2f} ms  "
                f"non-2xx {w['non_2xx']}  /health p95 {base:.2f} ms  ratio {p95 / base:.1f}x  "
                f"target {target:g} ms: {verdict(p95 <= target and w['non_2xx'] == 0)}"
            )
        print(f"reproduce: {reproduce('bench_addresses.py')}")


if __name__ == "__main__":
    main()
