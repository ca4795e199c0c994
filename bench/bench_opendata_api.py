"""Open data access on 1,000,000 anonymised reports: exports, records API, OGC API – Features.

Targets (issue 17 §5), each against a baseline measured in the same run:

- **exports**: the whole release to Parquet through ``…/exports/parquet`` ≥ 0.5× the speed
  of DuckDB's own ``COPY (SELECT * FROM read_csv('x.csv')) TO 'x.parquet'`` of the same
  rows; memory flat while streaming CSV (the server's RSS while ``…/exports/csv`` streams,
  against the file's size);
- **records**: ``…/records`` p95 ≤ 50 ms at concurrency 8 for a mix of an equality
  ``where`` ordered by date (limit 100), a ``group_by`` count and a ``refine`` on a facet
  (baseline: the same three queries run by DuckDB in-process on the release file, one at
  a time: the floor under the HTTP API; and ``/livez`` at the same concurrency), run twice:
  cold (the same shapes over every distinct value, offsets varied: no URL asked twice, hit
  rates from ``/metrics``) and the issue's mix as specified (``opendata_records.py``);
- **ogc**: ``/api/ogc/collections/…/items`` with a random bbox and ``limit=100`` ≥ 3× the
  throughput of pygeoapi (PyPI, in its own virtualenv ``.venv-pygeoapi``, made here; its
  Starlette app under uvicorn, one worker like Vigie) serving the same rows from PostgreSQL
  with PostGIS through its PostgreSQL provider (a GiST index on the points). Same wrk
  script, same boxes, alternated servers.

The release is built once through the charter (positions snapped to 200 m cells, dates to
the month, free text and contact columns left out, sensitive services left out) from rows
drawn like ``bench_charter.py``'s, and cached in ``bench/results/opendata-<rows>/``; the
PostGIS copy is the release's rows (``vigie_bench_ogc``), ids as Vigie numbers them.

    .venv/bin/python bench/bench_opendata_api.py                  # all three parts
    .venv/bin/python bench/bench_opendata_api.py --part ogc --duration 15
    .venv/bin/python bench/bench_opendata_api.py --rows 200000 --rebuild
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from common import (
    RESULTS,
    ROOT,
    RssSampler,
    Server,
    banner,
    free_port,
    loadavg,
    log,
    lua_str,
    pg_exists,
    pg_url,
    reproduce,
    rss_mb,
    run_wrk,
    save_result,
    verdict,
    vigie_server,
)
from opendata_records import part_records

DATASET = "signalements"
DIJON = (4.95, 47.27, 5.14, 47.38)  # where the boxes are drawn
BOX = (0.010, 0.007)  # half width, half height in degrees (about 1.5 km × 1.5 km)
PG_DB = "vigie_bench_ogc"
PYGEOAPI_VENV = ROOT / ".venv-pygeoapi"
PYGEOAPI_PYTHON = os.environ.get("BENCH_PYGEOAPI_PYTHON", "python3.12")  # pygeoapi ≥ 0.22 needs 3.12
PYGEOAPI_VERSION = "0.24.0"
PASSWORD = "bench-password-2026"  # noqa: S105 - local bench accounts
RULES = {
    "location": "grid",
    "location_m": 200,
    "time": {"requested_at": "month", "closed_at": "month"},
    "drop": ["service_code"],
}


# --- the release ----------------------------------------------------------------------------


def ensure_release(rows: int, rebuild: bool) -> tuple[str, Path, dict[str, Any]]:
    """A Vigie database and data directory with the dataset's release published (cached)."""
    base = RESULTS / f"opendata-{rows}"
    url = f"sqlite:///{(base / 'vigie.db').as_posix()}"
    stamp = base / "release.json"
    if stamp.exists() and not rebuild:
        return url, base / "data", json.loads(stamp.read_text())
    from bench_charter import draw

    from vigie.accounts.actions import do_add_user
    from vigie.bootstrap import build_vigie
    from vigie.migrate import upgrade
    from vigie.opendata.actions import do_create_dataset, do_release
    from vigie.opendata.builtin import REPORT_COLUMNS
    from vigie.opendata.review import do_add_member, do_decide, do_vote, proposals
    from vigie.opendata.sources import Source, register_source
    from vigie.settings import Settings

    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    upgrade(url)
    v = build_vigie(
        Settings(
            environment="development", database_url=url, data_dir=base / "data", background_services=False
        )
    )
    log(f"drawing {rows:,} report rows of public services")
    drawn, _, sensitive = draw(int(rows * 1.2))
    # The charter would leave sensitive services out: drawn beforehand, so the release has ``rows``.
    public = pc.invert(pc.is_in(drawn["service_code"], pa.array(sorted(sensitive))))
    table = drawn.filter(public).slice(0, rows)
    # The rows the reports source would read from a city's database of this size.
    register_source(Source("bench_reports", tuple(REPORT_COLUMNS), lambda _v, _d: table))
    admin = do_add_user(v.db, "admin@bench.example", "admin", PASSWORD, name="Admin")
    members = [
        do_add_user(v.db, f"member{i}@bench.example", "supervisor", PASSWORD, name=f"Member {i}")
        for i in (1, 2)
    ]
    for m in members:
        do_add_member(v, admin, m.id)
    meta = {
        "title_fr": "Signalements (banc d'essai)",
        "title_en": "Reports (benchmark)",
        "description_fr": "Signalements tirés au hasard, publiés sous la charte.",
        "description_en": "Reports drawn at random, published under the charter.",
        "publisher": "Vigie bench",
        "contact_point": "opendata@bench.example",
        "licence": "etalab-2.0",
        "spatial_bbox": [4.93, 47.25, 5.16, 47.40],
    }
    do_create_dataset(
        v, members[0], {"id": DATASET, "metadata": meta, "source": "bench_reports", "rules": RULES}
    )
    proposal = next(p for p in proposals(v, DATASET) if p.status == "open")
    for m in members:
        do_vote(v, m, proposal.id, "approve")
    do_decide(v, members[0], proposal.id, "Banc d'essai.")
    t = time.perf_counter()
    release = do_release(v, members[0], DATASET)
    took = time.perf_counter() - t
    if release.status != "published":
        raise SystemExit(f"the release was blocked: {release.reason}")
    from vigie.opendata.queries import release_path

    info = {"rows": release.rows, "release_s": round(took, 2), "parquet": str(release_path(v, DATASET))}
    v.db.dispose()
    stamp.write_text(json.dumps(info))
    log(f"release: {release.rows:,} rows through the charter in {took:.1f} s")
    return url, base / "data", info


def fetch(url: str, sink: Any = None, timeout: float = 600.0) -> tuple[int, float]:
    """GET ``url`` to the end: (bytes, seconds)."""
    t = time.perf_counter()
    total = 0
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - 127.0.0.1
        while chunk := r.read(1 << 20):
            total += len(chunk)
            if sink is not None:
                sink.write(chunk)
    return total, time.perf_counter() - t


# --- exports --------------------------------------------------------------------------------


def part_exports(server: Server, info: dict[str, Any], repeat: int) -> dict[str, Any]:
    banner("Exports: the whole release to Parquet, against DuckDB's COPY from CSV")
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-exports-"))
    try:
        csv = work / "rows.csv"
        con = duckdb.connect()
        con.execute(f"COPY (SELECT * FROM read_parquet('{info['parquet']}')) TO '{csv}' (HEADER)")  # noqa: S608
        base = f"{server.base}/api/explore/v2.1/catalog/datasets/{DATASET}/exports"
        vigie_s, duck_s = [], []
        size = 0
        for _ in range(repeat):
            out = work / "vigie.parquet"
            with out.open("wb") as f:
                size, took = fetch(f"{base}/parquet", f)
            vigie_s.append(took)
            rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}')").fetchall()[0][0]  # noqa: S608
            assert rows == info["rows"], (rows, info["rows"])
            t = time.perf_counter()
            con.execute(
                f"COPY (SELECT * FROM read_csv('{csv}')) TO '{work / 'duck.parquet'}' (FORMAT parquet)"
            )  # noqa: S608
            duck_s.append(time.perf_counter() - t)
        v, d = statistics.median(vigie_s), statistics.median(duck_s)
        speed = d / v
        log(
            f"Vigie …/exports/parquet: {v:.2f} s ({size / 1e6:.1f} MB; "
            f"runs {', '.join(f'{x:.2f}' for x in vigie_s)})"
        )
        log(f"DuckDB COPY read_csv → parquet: {d:.2f} s (runs {', '.join(f'{x:.2f}' for x in duck_s)})")
        log(f"speed vs DuckDB: {speed:.2f}× (target ≥ 0.5×) {verdict(speed >= 0.5)}")
        before, _ = rss_mb(server.pid)
        with RssSampler(server.pid, 0.1) as sampler:
            csv_bytes, csv_s = fetch(f"{base}/csv")
        growth = sampler.max_rss - before
        log(
            f"CSV export: {csv_bytes / 1e6:.0f} MB in {csv_s:.1f} s; server RSS {before:.0f} MB before, "
            f"peak {sampler.max_rss:.0f} MB (+{growth:.0f} MB while streaming {csv_bytes / 1e6:.0f} MB)"
        )
        return {
            "vigie_parquet_s": vigie_s,
            "duckdb_copy_s": duck_s,
            "speed_vs_duckdb": speed,
            "parquet_bytes": size,
            "csv_bytes": csv_bytes,
            "csv_s": csv_s,
            "rss_before_mb": before,
            "rss_peak_mb": sampler.max_rss,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- OGC API against pygeoapi ---------------------------------------------------------------


def ensure_pygeoapi() -> Path:
    uvicorn = PYGEOAPI_VENV / "bin" / "uvicorn"
    if uvicorn.exists() and (PYGEOAPI_VENV / f".pygeoapi-{PYGEOAPI_VERSION}").exists():
        return uvicorn
    log(f"creating {PYGEOAPI_VENV.name} with {PYGEOAPI_PYTHON} (pygeoapi {PYGEOAPI_VERSION} from PyPI)")
    subprocess.run([PYGEOAPI_PYTHON, "-m", "venv", str(PYGEOAPI_VENV)], check=True)
    subprocess.run(
        [
            str(PYGEOAPI_VENV / "bin" / "pip"),
            "install",
            "--quiet",
            f"pygeoapi=={PYGEOAPI_VERSION}",
            "psycopg2-binary",
            "geoalchemy2",
            "starlette",  # pygeoapi.starlette_app (the ASGI app) needs it; pygeoapi does not pull it
            "uvicorn[standard]",
        ],
        check=True,
    )
    (PYGEOAPI_VENV / f".pygeoapi-{PYGEOAPI_VERSION}").touch()
    return uvicorn


def ensure_postgis(info: dict[str, Any], rebuild: bool) -> None:
    """The release's rows in PostGIS (ids as Vigie numbers them, a GiST index on the points)."""
    import psycopg

    admin = pg_url("postgres").replace("postgresql+psycopg://", "postgresql://")
    url = pg_url(PG_DB).replace("postgresql+psycopg://", "postgresql://")
    if pg_exists(PG_DB) and not rebuild:
        with psycopg.connect(url) as c:
            found = c.execute("SELECT count(*) FROM signalements").fetchone()
            if found and found[0] == info["rows"]:
                return
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        c.execute(f"CREATE DATABASE {PG_DB}")
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-postgis-"))
    try:
        csv = work / "rows.csv"
        cols = "service_group, status, commune, channel, requested_at, closed_at"
        duckdb.sql(
            f"COPY (SELECT file_row_number + 1 AS fid, {cols}, "  # noqa: S608 - our own file
            "'SRID=4326;POINT(' || long || ' ' || lat || ')' AS geom "
            f"FROM read_parquet('{info['parquet']}', file_row_number = true)) TO '{csv}' (HEADER)"
        )
        t = time.perf_counter()
        with psycopg.connect(url) as c:
            c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            c.execute(
                "CREATE TABLE signalements (fid bigint PRIMARY KEY, service_group text, status text, "
                "commune text, channel text, requested_at timestamptz, closed_at timestamptz, "
                "geom geometry(Point, 4326))"
            )
            with (
                c.cursor().copy(
                    f"COPY signalements (fid, {cols}, geom) FROM STDIN (FORMAT csv, HEADER)"
                ) as cp,
                csv.open("rb") as f,
            ):
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
            c.execute("CREATE INDEX ON signalements USING gist (geom)")
            c.execute("ANALYZE signalements")
        log(f"PostGIS: {info['rows']:,} rows loaded and indexed in {time.perf_counter() - t:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pygeoapi_server(uvicorn: Path, port: int) -> Server:
    run = RESULTS / "run" / "pygeoapi"
    run.mkdir(parents=True, exist_ok=True)
    config = run / "pygeoapi-config.yml"
    openapi = run / "pygeoapi-openapi.yml"
    west, south, east, north = DIJON
    config.write_text(
        f"""server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png", attribution: OpenStreetMap}}
logging:
  level: ERROR
metadata:
  identification:
    title: Vigie bench
    description: The same rows as Vigie's OGC API
    keywords: [bench]
    keywords_type: theme
    terms_of_service: https://www.etalab.gouv.fr/licence-ouverte-open-licence/
    url: http://127.0.0.1:{port}
  license: {{name: Licence Ouverte 2.0, url: https://www.etalab.gouv.fr/licence-ouverte-open-licence/}}
  provider: {{name: Vigie bench, url: http://127.0.0.1}}
  contact: {{name: bench, email: opendata@bench.example}}
resources:
  {DATASET}:
    type: collection
    title: Reports
    description: Reports (benchmark)
    keywords: [reports]
    extents:
      spatial: {{bbox: [{west}, {south}, {east}, {north}], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data:
          host: 127.0.0.1
          port: 5432
          dbname: {PG_DB}
          user: postgres
          password: ""
          search_path: [public]
        id_field: fid
        table: signalements
        geom_field: geom
""",
        encoding="utf-8",
    )
    env = dict(os.environ, PYGEOAPI_CONFIG=str(config), PYGEOAPI_OPENAPI=str(openapi))
    subprocess.run(
        [str(uvicorn.parent / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        env=env,
        check=True,
        capture_output=True,
    )
    cmd = [
        str(uvicorn),
        "pygeoapi.starlette_app:APP",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]
    return Server("pygeoapi", cmd, port, env, health="/conformance?f=json")


def _bbox_lua(prefix: str) -> str:
    west, south, east, north = DIJON
    hw, hh = BOX
    return f"""
request = function()
  seed()
  local x = {west + hw} + math.random() * {east - west - 2 * hw}
  local y = {south + hh} + math.random() * {north - south - 2 * hh}
  local bbox = string.format("%.5f,%.5f,%.5f,%.5f", x - {hw}, y - {hh}, x + {hw}, y + {hh})
  return wrk.format("GET", {lua_str(prefix)} .. "?bbox=" .. bbox .. "&limit=100&f=json")
end
"""


def _check_same(vigie: str, pygeo: str) -> dict[str, Any]:
    west, south, east, north = DIJON
    cx, cy = (west + east) / 2, (south + north) / 2
    bbox = f"{cx - BOX[0]:.5f},{cy - BOX[1]:.5f},{cx + BOX[0]:.5f},{cy + BOX[1]:.5f}"
    out = {}
    for name, base in (("vigie", vigie), ("pygeoapi", pygeo)):
        with urllib.request.urlopen(f"{base}?bbox={bbox}&limit=100&f=json", timeout=120) as r:  # noqa: S310
            body = json.loads(r.read())
        out[name] = {
            "matched": body.get("numberMatched"),
            "returned": len(body["features"]),
            "ids": sorted(int(f["id"]) for f in body["features"]),
        }
    log(
        f"same box, both servers: Vigie matched {out['vigie']['matched']}, "
        f"returned {out['vigie']['returned']}; "
        f"pygeoapi matched {out['pygeoapi']['matched']}, returned {out['pygeoapi']['returned']}"
    )
    return out


def part_ogc(
    vigie: Server, info: dict[str, Any], duration: float, rounds: int, rebuild: bool
) -> dict[str, Any]:
    banner("OGC API items (random bbox, limit 100): Vigie against pygeoapi + PostGIS")
    uvicorn = ensure_pygeoapi()
    ensure_postgis(info, rebuild)
    vigie_items = f"{vigie.base}/api/ogc/collections/{DATASET}/items"
    with pygeoapi_server(uvicorn, free_port()) as pygeo:
        pygeo_items = f"{pygeo.base}/collections/{DATASET}/items"
        same = _check_same(vigie_items, pygeo_items)
        runs: dict[str, list[dict[str, Any]]] = {"vigie": [], "pygeoapi": []}
        for r in range(rounds):
            for name, server, items in (("vigie", vigie, vigie_items), ("pygeoapi", pygeo, pygeo_items)):
                prefix = items[len(server.base) :]
                res = run_wrk(
                    server.base,
                    _bbox_lua(prefix),
                    connections=8,
                    threads=2,
                    duration=duration,
                    name=f"ogc-{name}",
                )
                runs[name].append(res)
                log(
                    f"round {r + 1} {name}: {res['rps']:.0f} req/s, "
                    f"p50 {res['latency_us']['p50'] / 1000:.1f} ms, "
                    f"p95 {res['latency_us']['p95'] / 1000:.1f} ms, non-2xx {res['non_2xx']}, "
                    f"socket errors {res['socket_errors']} (load {loadavg()})"
                )
    v = statistics.median(x["rps"] for x in runs["vigie"])
    p = statistics.median(x["rps"] for x in runs["pygeoapi"])
    log(
        f"throughput: Vigie {v:.0f} req/s, pygeoapi {p:.0f} req/s: {v / p:.2f}× "
        f"(target ≥ 3×) {verdict(v / p >= 3)}"
    )
    return {"vigie": runs["vigie"], "pygeoapi": runs["pygeoapi"], "ratio": v / p, "same_box": same}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--part", choices=["all", "exports", "records", "ogc"], default="all")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="OGC: alternated runs per server")
    parser.add_argument("--repeat", type=int, default=3, help="exports: runs of each side")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the release and the PostGIS copy")
    parser.add_argument(
        "--workers", type=int, default=1, help="API worker processes of the server (each loads the release)"
    )
    args = parser.parse_args()
    banner("Open data access (issue 17 §5)")
    log(reproduce("bench_opendata_api.py", sys.argv[1:]))
    log(f"load average at start: {loadavg()}")
    url, data_dir, info = ensure_release(args.rows, args.rebuild)
    result: dict[str, Any] = {
        "rows": info["rows"],
        "release_s": info.get("release_s"),
        "load_start": loadavg(),
    }
    # No anonymous quota: wrk's thousands of requests would otherwise be measured as 429s.
    unlimited = {"VIGIE_QUOTA_ANONYMOUS_PER_MINUTE": "0", "VIGIE_QUOTA_ANONYMOUS_PER_DAY": "0"}
    result["workers"] = args.workers
    with vigie_server(
        "vigie-opendata", url, data_dir, VIGIE_WORKERS=str(args.workers), **unlimited
    ) as server:
        if args.part in ("all", "exports"):
            result["exports"] = part_exports(server, info, args.repeat)
        if args.part in ("all", "records"):
            result["records"] = part_records(server, info, args.duration)
        if args.part in ("all", "ogc"):
            result["ogc"] = part_ogc(server, info, args.duration, args.rounds, args.rebuild)
    result["load_end"] = loadavg()
    log(f"load average at the end: {result['load_end']}")
    log(f"raw figures: {save_result('bench_opendata_api', result)}")


if __name__ == "__main__":
    main()
