"""Asset layer GeoJSON for the whole fleet at 100,000 assets: first request after a write, cached.

Target (issue 4): ``GET /api/v1/assets.geojson`` for the whole fleet ≤ 300 ms with 100,000
assets, including the first request after a write to an asset (the layer is rebuilt).

Data (kept between runs, rebuilt with --rebuild): the Dijon demo fleet generator scaled to
--assets (more street lights and cabinets in the same 23 communes, every fixed asset inside
its commune) in bench/results/geojson-<N>.db or the PostgreSQL database vigie_bench_geojson;
every asset gets a fresh latest telemetry state at each run (1 % of the lights faulty).

Phases, all over HTTP on 127.0.0.1, one request at a time:
  A. baseline, same run: a bare FastAPI endpoint (same uvicorn and engine settings, nothing of
     Vigie) that reads the same columns of the same rows and encodes the FeatureCollection with
     orjson (and gzip level 5 when asked), built anew on every request;
  B. ``vigie serve`` (simulator and lighting scheduler off): the first request after start
     (every feature encoded), then --cold rounds of [an operator changes a street light's
     status through the API (not timed), GET the whole-fleet layer (timed)], with gzip and
     without; then --cached GETs of each; the live states (/api/v1/assets/states, and the
     layer with ?state=true) are timed once cold and then cached.

The verdict uses the p95 of the cold requests (the worse of gzip and identity).

    .venv/bin/python bench/bench_geojson.py --backend sqlite
    .venv/bin/python bench/bench_geojson.py --backend postgres --cold 40
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from common import (
    PG_PREFIX,
    PYTHON,
    RESULTS,
    Server,
    add_backend_arg,
    banner,
    count_rows,
    free_port,
    log,
    percentile,
    pg_exists,
    pg_recreate,
    pg_url,
    ratio,
    reproduce,
    rss_mb,
    save_result,
    verdict,
    vigie_server,
)
from fastapi import FastAPI, Request  # module level: the baseline's annotations resolve here
from fastapi.responses import Response

TARGET_MS = 300.0
PG_DB = f"{PG_PREFIX}_geojson"
LAYER = "/api/v1/assets.geojson"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
# The ingest and the lighting programs stay off: nothing but the requests below runs.
SERVER_ENV = {"VIGIE_TELEMETRY_SIMULATOR": "off", "VIGIE_LIGHTING_SCHEDULER": "false"}
BASELINE_SQL = (
    "SELECT id, type, status, name, lat, long FROM assets WHERE lat IS NOT NULL AND long IS NOT NULL"
)


# --- data ------------------------------------------------------------------------------------


def _settings(url: str, data_dir: Path) -> Any:
    from vigie.settings import Settings

    return Settings(environment="development", data_dir=data_dir, database_url=url)


def load_fleet(url: str, assets: int) -> str:
    """The demo fleet scaled to ``assets`` (its counts are module constants, patched here)."""
    import vigie.assets.demo as demo
    import vigie.assets.demo_plan as plan
    from vigie.bootstrap import build_vigie

    fixed = plan.CAMERAS + plan.SIGNAL_CONTROLLERS + plan.WEATHER_STATIONS + plan.VEHICLES
    saved = (demo.LIGHTS, demo.LED_LIGHTS, demo.CABINETS)
    v = build_vigie(_settings(url, RESULTS / "run" / "geojson-data"))
    try:
        demo.CABINETS = round(assets * 0.03)
        demo.LIGHTS = assets - demo.CABINETS - fixed
        demo.LED_LIGHTS = int(demo.LIGHTS * 0.6)
        return "; ".join(demo.load_demo_fleet(v))
    finally:
        demo.LIGHTS, demo.LED_LIGHTS, demo.CABINETS = saved
        v.db.dispose()


def ensure_data(backend: str, assets: int, rebuild: bool) -> str:
    from vigie.migrate import upgrade

    if backend == "sqlite":
        path = RESULTS / f"geojson-{assets}.db"
        url = f"sqlite:///{path.as_posix()}"
        fresh = rebuild or not path.exists() or count_rows(url, "assets") != assets
        if fresh:
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)
    else:
        url = pg_url(PG_DB)
        fresh = rebuild or not pg_exists(PG_DB) or count_rows(url, "assets") != assets
        if fresh:
            url = pg_recreate(PG_DB)
    if fresh:
        log(f"building {assets:,} assets ({backend})")
        RESULTS.mkdir(parents=True, exist_ok=True)
        upgrade(url)
        log(load_fleet(url, assets))
        if backend == "postgres":
            _analyze(url)
    return url


def _analyze(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql("VACUUM ANALYZE assets")
    engine.dispose()


def prepare_run(url: str) -> tuple[str, list[str], int]:
    """Fresh telemetry for every asset, an operator's bearer token, lights to write to."""
    from sqlalchemy import select

    from vigie.accounts.actions import do_add_user, do_create_login
    from vigie.assets.storage import AssetRow
    from vigie.db import Database
    from vigie.telemetry.writer import upsert_latest

    db = Database(url)
    try:
        with db.session() as s:
            rows = s.execute(select(AssetRow.id, AssetRow.type, AssetRow.lat)).all()
            q = select(AssetRow.id).where(AssetRow.type == "street_light", AssetRow.status == "in_service")
            lights = list(s.scalars(q.order_by(AssetRow.id).limit(200)))
        now = int(time.time() * 1000)
        latest = [(a, now, now, _telemetry(a, t, i)) for i, (a, t, _) in enumerate(rows)]
        with db.session(write=True) as s:
            upsert_latest(s, latest)
            s.commit()
        agent = do_add_user(db, f"bench-geojson-{now}@example.org", "operator", "bench-password-123")
        token, _ = do_create_login(db, agent, "bearer", 2)
    finally:
        db.dispose()
    located = sum(1 for r in rows if r[2] is not None)
    return token, lights, located


def _telemetry(asset_id: str, type_: str, i: int) -> dict[str, Any]:
    if type_ == "street_light":
        return {"powerState": "on", "status": "defectiveLamp" if i % 100 == 0 else "ok"}
    if type_ == "camera":
        return {"online": i % 50 != 0}
    if type_ == "traffic_signal_controller":
        return {"fault": False, "operationMode": "normal"}
    if type_ == "control_cabinet":
        return {"powerState": "on", "voltage": 230.0, "doorOpen": False}
    return {"speed": 0} if type_ == "vehicle" else {"surfaceTemperature": 5.0}


# --- the bare baseline endpoint --------------------------------------------------------------------


def baseline_main(url: str, port: int) -> None:
    """Same stack as Vigie (FastAPI, uvicorn, a sync endpoint in the thread pool), none of its work."""
    import orjson
    import uvicorn
    from baseline_app import make_engine

    engine = make_engine(url)
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/geojson")
    def layer(request: Request) -> Response:
        with engine.connect() as c:
            rows = c.exec_driver_sql(BASELINE_SQL).fetchall()
        features = [
            {
                "type": "Feature",
                "id": r[0],
                "geometry": {"type": "Point", "coordinates": [r[5], r[4]]},
                "properties": {"id": r[0], "type": r[1], "status": r[2], **({"name": r[3]} if r[3] else {})},
            }
            for r in rows
        ]
        body = orjson.dumps({"type": "FeatureCollection", "features": features})
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = gzip.compress(body, compresslevel=5, mtime=0)
            return Response(body, media_type="application/geo+json", headers={"Content-Encoding": "gzip"})
        return Response(body, media_type="application/geo+json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- HTTP ------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; bodies are read raw (a gzip body is not decompressed)."""

    def __init__(self, port: int, token: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, headers: dict[str, str]) -> tuple[float, int, bytes, dict[str, str]]:
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers={**self.auth, **headers})
        r = self.conn.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            raise SystemExit(f"GET {path}: {r.status} {body[:300]!r}")
        return ms, r.status, body, {k.lower(): v for k, v in r.getheaders()}

    def post(self, path: str, data: dict[str, Any]) -> None:
        headers = {**self.auth, "Content-Type": "application/json"}
        self.conn.request("POST", path, body=json.dumps(data), headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"POST {path}: {r.status} {body[:300]!r}")


def stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1) if values else float("nan"),
    }


def timed(client: Client, path: str, headers: dict[str, str], n: int) -> dict[str, float]:
    return stats([client.get(path, headers)[0] for _ in range(n)])


def measure_baseline(url: str, backend: str, n: int) -> dict[str, Any]:
    port = free_port()
    cmd = [str(PYTHON), __file__, "baseline", "--url", url, "--port", str(port)]
    with Server(f"geojson-baseline-{backend}", cmd, port, dict(os.environ)):
        client = Client(port)
        client.get("/geojson", IDENTITY)  # connections, page cache
        return {
            "identity": timed(client, "/geojson", IDENTITY, n),
            "gzip": timed(client, "/geojson", GZIP, n),
        }


def cold_rounds(client: Client, lights: list[str], n: int, headers: dict[str, str]) -> dict[str, float]:
    """n x [change a light's status (not timed), GET the whole-fleet layer (timed)]."""
    times = []
    for light in lights[:n]:
        client.post(f"/api/v1/assets/{light}/status", {"status": "maintenance", "note": "bench"})
        times.append(client.get(LAYER, headers)[0])
    return stats(times)


def measure_vigie(url: str, backend: str, args: argparse.Namespace) -> dict[str, Any]:
    token, lights, located = prepare_run(url)
    if len(lights) < 2 * args.cold:
        raise SystemExit(f"only {len(lights)} street lights in service to write to; lower --cold")
    data_dir = RESULTS / "run" / f"geojson-{backend}"
    data_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"located": located}
    with vigie_server(f"geojson-vigie-{backend}", url, data_dir, **SERVER_ENV) as srv:
        client = Client(srv.port, token)
        out["rss_idle_mb"] = round(rss_mb(srv.pid)[0], 1)
        first_ms, _, body, headers = client.get(LAYER, IDENTITY)
        out["first_after_start_ms"] = round(first_ms, 1)
        out["features"] = int(headers.get("x-feature-count", "0"))
        out["identity_bytes"] = len(body)
        ms, _, zipped, _ = client.get(LAYER, GZIP)
        out["first_gzip_ms"] = round(ms, 1)
        out["gzip_bytes"] = len(zipped)
        if gzip.decompress(zipped) != body:
            raise SystemExit("the gzip layer does not decompress to the identity layer")
        log(f"first build {first_ms:.0f} ms, {len(body) / 1e6:.1f} MB ({len(zipped) / 1e6:.2f} MB gzip)")
        out["cold_gzip"] = cold_rounds(client, lights, args.cold, GZIP)
        out["cold_identity"] = cold_rounds(client, lights[args.cold :], args.cold, IDENTITY)
        out["cached_gzip"] = timed(client, LAYER, GZIP, args.cached)
        out["cached_identity"] = timed(client, LAYER, IDENTITY, args.cached)
        out.update(measure_states(client))
        out["rss_mb"] = round(rss_mb(srv.pid)[0], 1)
        for light in lights[: 2 * args.cold]:  # as it was, for the next run
            client.post(f"/api/v1/assets/{light}/status", {"status": "in_service", "note": "bench"})
    return out


def measure_states(client: Client) -> dict[str, Any]:
    """The live states: the first request computes them for the whole fleet; then cached (5 s)."""
    ms, _, body, _ = client.get("/api/v1/assets/states", GZIP)
    first = {"states_first_ms": round(ms, 1), "states_bytes": len(body)}
    cached = timed(client, "/api/v1/assets/states", GZIP, 10)
    ms_layer, _, _, _ = client.get(LAYER + "?state=true", GZIP)
    layer_cached = timed(client, LAYER + "?state=true", GZIP, 5)
    return {
        **first,
        "states_cached": cached,
        "state_layer_first_ms": round(ms_layer, 1),
        "state_layer_cached": layer_cached,
    }


# --- report ------------------------------------------------------------------------------------------


def report(args: argparse.Namespace, base: dict[str, Any], vg: dict[str, Any]) -> bool:
    print(
        f"\nassets: {args.assets:,} ({vg['located']:,} with a position); layer "
        f"{vg['identity_bytes'] / 1e6:.1f} MB, {vg['gzip_bytes'] / 1e6:.2f} MB gzipped; "
        f"{vg['features']:,} features"
    )
    print(f"{'':44}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'n':>5}")
    rows = [
        ("baseline: bare endpoint, identity", base["identity"]),
        ("baseline: bare endpoint, gzip", base["gzip"]),
        ("vigie: cold (after a write), identity", vg["cold_identity"]),
        ("vigie: cold (after a write), gzip", vg["cold_gzip"]),
        ("vigie: cached, identity", vg["cached_identity"]),
        ("vigie: cached, gzip", vg["cached_gzip"]),
        ("vigie: live states (/states), cached", vg["states_cached"]),
        ("vigie: layer with ?state=true, cached", vg["state_layer_cached"]),
    ]
    for name, s in rows:
        print(f"{name:44}{s['p50']:9.1f}{s['p95']:9.1f}{s['max']:9.1f}{s['n']:5d}")
    print(
        f"vigie: first request after start (encodes every feature): {vg['first_after_start_ms']:.0f} ms "
        f"(+ {vg['first_gzip_ms']:.0f} ms for the first gzip)"
    )
    print(
        f"vigie: live states computed for the whole fleet: {vg['states_first_ms']:.0f} ms "
        f"({vg['states_bytes'] / 1e3:.0f} kB gzipped); layer with ?state=true first: "
        f"{vg['state_layer_first_ms']:.0f} ms"
    )
    for enc in ("identity", "gzip"):
        print(
            f"ratio cold/baseline ({enc}, p50): {ratio(vg[f'cold_{enc}']['p50'], base[enc]['p50'])}; "
            f"cached/baseline: {ratio(vg[f'cached_{enc}']['p50'], base[enc]['p50'])}"
        )
    rss = f"{vg['rss_idle_mb']:.0f} MB before the first layer, {vg['rss_mb']:.0f} MB after the run"
    print(f"vigie server RSS: {rss}")
    worst = max(vg["cold_gzip"]["p95"], vg["cold_identity"]["p95"])
    ok = worst <= TARGET_MS
    print(
        f"target whole-fleet layer ≤ {TARGET_MS:.0f} ms, first request after a write (p95 {worst:.0f} ms), "
        f"cached p95 {max(vg['cached_gzip']['p95'], vg['cached_identity']['p95']):.0f} ms: {verdict(ok)}"
    )
    return ok


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "baseline":
        sub = argparse.ArgumentParser(prog="bench_geojson.py baseline")
        sub.add_argument("cmd")
        sub.add_argument("--url", required=True)
        sub.add_argument("--port", type=int, required=True)
        a = sub.parse_args()
        baseline_main(a.url, a.port)
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_backend_arg(parser)
    parser.add_argument("--assets", type=int, default=100_000, help="fleet size (default 100,000)")
    parser.add_argument("--cold", type=int, default=20, help="cold rounds per encoding (default 20)")
    parser.add_argument("--cached", type=int, default=30, help="cached requests per encoding (default 30)")
    parser.add_argument("--baseline", type=int, default=8, help="baseline requests per encoding (default 8)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set")
    args = parser.parse_args()
    banner(f"bench_geojson ({args.backend})")
    url = ensure_data(args.backend, args.assets, args.rebuild)
    log("A: bare baseline endpoint")
    base = measure_baseline(url, args.backend, args.baseline)
    log("B: vigie serve")
    vg = measure_vigie(url, args.backend, args)
    ok = report(args, base, vg)
    saved = save_result(
        f"bench_geojson-{args.backend}",
        {
            "backend": args.backend,
            "args": vars(args),
            "baseline": base,
            "vigie": vg,
            "target_ms": TARGET_MS,
            "pass": ok,
        },
    )
    print(f"reproduce: {reproduce('bench_geojson.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
