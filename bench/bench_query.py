"""Query: pages of 100 over 1,000,000 stored reports, at concurrency 8.

Targets: p95 ≤ 25 ms for the native API (GET /api/v1/reports?bbox=…&status=…) and for
Open311 (GET /open311/v2/requests.json?status=open&start_date=…&end_date=…); server RSS
≤ 250 MB while serving. Measured in the same run against two references: the bare
baseline (bench/baseline_app.py running the same SQL on the same backend) and
Datasette's JSON API on the same SQLite file (the peer to beat).

The 1,000,000 reports are generated once (seeded, bulk inserts into a database migrated
with vigie.migrate.upgrade, then ANALYZE) and cached: bench/results/reports-1000000.db for
SQLite, the database vigie_bench for PostgreSQL. --rebuild regenerates them.

    .venv/bin/python bench/bench_query.py --backend sqlite
    .venv/bin/python bench/bench_query.py --backend postgres --duration 30
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    BIN,
    PG_PREFIX,
    RESULTS,
    RssSampler,
    Server,
    add_backend_arg,
    banner,
    baseline_server,
    cpu_seconds,
    free_port,
    log,
    pg_exists,
    pg_recreate,
    pg_url,
    ratio,
    reproduce,
    require_wrk,
    rss_mb,
    rss_parts,
    run_wrk,
    save_result,
    verdict,
    vigie_server,
)

TARGET_P95_MS = 25.0
TARGET_RSS_MB = 250.0
SEED = 311
LAT = (47.28, 47.36)
LONG = (4.98, 5.10)
PG_DB = PG_PREFIX  # "vigie_bench"

COLUMNS = [
    "id",
    "reference",
    "service_code",
    "service_group",
    "status",
    "public",
    "description",
    "lat",
    "long",
    "address",
    "address_id",
    "zone",
    "attributes",
    "channel",
    "priority",
    "procedure_id",
    "team",
    "assigned_user_id",
    "status_notes",
    "reject_reason",
    "duplicate_of_id",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "reporter_lang",
    "device_id",
    "account_id",
    "token",
    "external_id",
    "requested_at",
    "updated_at",
    "expected_at",
    "acknowledged_at",
    "closed_at",
]
DATETIME_COLUMNS = {"requested_at", "updated_at", "expected_at", "acknowledged_at", "closed_at"}
OPEN = ["new", "acknowledged", "assigned", "in_progress", "reopened"]
OPEN_WEIGHTS = [25, 25, 20, 25, 5]
CLOSED = ["resolved", "rejected", "duplicate"]
CLOSED_WEIGHTS = [85, 8, 7]
CHANNELS = ["app", "web", "open311", "phone", "email"]
CHANNEL_WEIGHTS = [45, 25, 15, 10, 5]
STREETS = [
    "rue de la Liberté",
    "avenue du Drapeau",
    "boulevard de Strasbourg",
    "rue Monge",
    "rue Chabot-Charny",
    "avenue Victor Hugo",
    "rue d'Auxonne",
    "boulevard Carnot",
    "rue de Mirande",
    "avenue Jean Jaurès",
    "rue des Godrans",
    "quai Nicolas Rolin",
]
DESCRIPTIONS = [
    "Trou profond devant le n° {n}, dangereux pour les vélos.",
    "Le lampadaire ne s'allume plus depuis plusieurs soirs.",
    "Sacs et cartons déposés au pied des conteneurs.",
    "Constaté ce matin en passant, merci d'intervenir.",
    "Problème signalé par plusieurs voisins, au niveau du n° {n}.",
    "Situation qui dure depuis une semaine.",
    "Gêne le passage des poussettes et des fauteuils.",
    "",
]
# Status sets asked on the native API (a map of open reports is the common case).
NATIVE_STATUSES = [
    "new,acknowledged,assigned,in_progress,reopened",
    "new,acknowledged,assigned,in_progress,reopened",
    "new",
    "new,acknowledged",
    "resolved",
]


# --- the data set ----------------------------------------------------------------


def _sqlite_dt(dt: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format (naive UTC), as Vigie's UTCDateTime writes it.
    return None if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate_rows(n: int, now: datetime, seed: int = SEED) -> Iterator[tuple[Any, ...]]:
    """n plausible reports over the last two years, oldest first (ids follow time)."""
    from vigie.catalogue.loader import load_catalogue
    from vigie.city.profile import load_profile

    rng = random.Random(seed)
    city = load_profile("dijon")
    cat = load_catalogue(city.catalogue_path, city.zones.codes())
    services = list(cat.services.values())
    attrs: dict[str, str] = {}
    for s in services:
        values: dict[str, Any] = {}
        for a in s.attributes:
            if a.required:
                keys = [v.key for v in a.values]
                if a.datatype.value == "singlevaluelist":
                    values[a.code] = next((k for k in keys if k == "non"), keys[0])
                elif a.datatype.value == "multivaluelist":
                    values[a.code] = [keys[0]]
                elif a.datatype.value == "number":
                    values[a.code] = 1
                else:
                    values[a.code] = "voir description"
        attrs[s.code] = json.dumps(values, separators=(",", ":"))
    zone_cache: dict[tuple[int, int], str | None] = {}
    names = {z.code: z.name for z in city.zones.zones}
    procs: dict[tuple[str, str], Any] = {}
    span = 730 * 86400.0
    t_end = now.timestamp()
    times = sorted(rng.random() * span for _ in range(n))
    tz = city.timezone
    prefix = city.reference_prefix
    for i, offset in enumerate(times, start=1):
        t = t_end - span + offset
        requested = datetime.fromtimestamp(t, UTC)
        while True:
            lat = rng.uniform(*LAT)
            long = rng.uniform(*LONG)
            cell = (round(lat * 1000), round(long * 1000))
            if cell not in zone_cache:
                z = city.zones.locate(cell[0] / 1000, cell[1] / 1000)
                zone_cache[cell] = z.code if z else None
            zone = zone_cache[cell]
            if zone is not None:
                break
        service = rng.choice(services)
        key = (service.code, zone)
        if key not in procs:
            procs[key] = cat.resolve(service.code, zone, {})
        proc = procs[key]
        age_days = (t_end - t) / 86400
        p_open = 0.9 if age_days < 7 else 0.5 if age_days < 60 else 0.12
        if rng.random() < p_open:
            status = rng.choices(OPEN, OPEN_WEIGHTS)[0]
        else:
            status = rng.choices(CLOSED, CLOSED_WEIGHTS)[0]
        cap = t_end - 60
        ack = None
        if status != "new":
            ack = datetime.fromtimestamp(min(t + rng.uniform(0.2, 20) * 3600, cap), UTC)
        closed = None
        if status in CLOSED:
            closed = datetime.fromtimestamp(min(t + rng.uniform(1, 400) * 3600, cap), UTC)
        updated = closed or ack or requested
        named = rng.random() < 0.3
        yield (
            i,
            f"{prefix}-{requested.astimezone(tz).year}-{i:06d}",
            service.code,
            service.group,
            status,
            service.public,
            rng.choice(DESCRIPTIONS).format(n=rng.randint(1, 120)),
            round(lat, 6),
            round(long, 6),
            ""
            if rng.random() < 0.4
            else f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {names.get(zone, '')}",
            "",
            zone,
            attrs[service.code],
            rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
            (proc.priority or service.default_priority).value,
            proc.id,
            proc.team,
            None,
            "L'intervention a été réalisée." if status == "resolved" else "",
            "Hors domaine public." if status == "rejected" else "",
            rng.randint(max(1, i - 5000), i - 1) if status == "duplicate" and i > 1 else None,
            f"Résident {i}" if named else "",
            f"resident{i}@example.org" if named else "",
            "",
            "fr" if rng.random() < 0.9 else "en",
            "",
            "",
            base64.urlsafe_b64encode(rng.randbytes(18)).decode(),
            None,
            requested,
            updated,
            requested + timedelta(hours=proc.sla.hours),
            ack,
            closed,
        )


def _check_columns(columns: dict[str, bool]) -> None:
    """Every NOT NULL column of `reports` must be filled by the generator."""
    missing = [c for c, notnull in columns.items() if notnull and c not in COLUMNS]
    unknown = [c for c in COLUMNS if c not in columns]
    if missing or unknown:
        raise SystemExit(
            f"the reports table changed: NOT NULL columns not generated {missing}, "
            f"generated columns missing from the table {unknown}; update bench/bench_query.py"
        )


def build_sqlite(path: Path, n: int) -> None:
    from vigie.migrate import upgrade

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    upgrade(f"sqlite:///{path.as_posix()}")
    con = sqlite3.connect(path, isolation_level=None)
    _check_columns({r[1]: bool(r[3]) for r in con.execute("PRAGMA table_info(reports)")})
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    # Secondary indexes are dropped during the load and rebuilt after (same definitions).
    indexes = [
        r
        for r in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            "AND tbl_name IN ('reports', 'report_updates')"
        )
    ]
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')
    # So are the word search's triggers: its FTS5 index is rebuilt in one pass after the load.
    triggers = list(
        con.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='reports'")
    )
    for name, _ in triggers:
        con.execute(f'DROP TRIGGER "{name}"')
    marks = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO reports ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608
    dt_idx = [i for i, c in enumerate(COLUMNS) if c in DATETIME_COLUMNS]
    batch: list[tuple[Any, ...]] = []
    done = 0
    now = datetime.now(UTC).replace(microsecond=0)

    def flush() -> None:
        con.execute("BEGIN")
        con.executemany(sql, batch)
        con.execute("COMMIT")

    for row in generate_rows(n, now):
        r = list(row)
        for i in dt_idx:
            r[i] = _sqlite_dt(r[i])
        batch.append(tuple(r))
        if len(batch) >= 100_000:
            flush()
            done += len(batch)
            batch.clear()
            log(f"sqlite: {done:,} reports inserted ({time.perf_counter() - t0:.0f}s)")
    if batch:
        flush()
    con.execute("BEGIN")
    con.execute(
        "INSERT INTO report_updates (report_id, kind, status, previous_status, actor_user_id, "
        "actor_label, public_note, internal_note, detail, at) "
        "SELECT id, 'created', 'new', NULL, NULL, channel, '', '', '{}', requested_at FROM reports"
    )
    con.execute("COMMIT")
    log(f"sqlite: history rows inserted; rebuilding {len(indexes)} indexes")
    for _, index_sql in indexes:
        con.execute(index_sql)
    for _, trigger_sql in triggers:
        con.execute(trigger_sql)
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'reports_search'").fetchone():
        log("sqlite: indexing the reports' text for the word search")
        con.execute("INSERT INTO reports_search (reports_search) VALUES ('rebuild')")
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    log(f"sqlite: {n:,} reports ready in {time.perf_counter() - t0:.0f}s ({path})")


def build_postgres(n: int) -> str:
    import psycopg

    from vigie.migrate import upgrade

    t0 = time.perf_counter()
    url = pg_recreate(PG_DB)
    upgrade(url)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        cols = conn.execute(
            "SELECT column_name, is_nullable = 'NO' FROM information_schema.columns "
            "WHERE table_name = 'reports'"
        ).fetchall()
        _check_columns({c: bool(nn) for c, nn in cols})
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('reports', 'report_updates') AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        now = datetime.now(UTC).replace(microsecond=0)
        done = 0
        with (
            conn.cursor() as cur,
            cur.copy(
                f"COPY reports ({', '.join(COLUMNS)}) FROM STDIN"  # noqa: S608
            ) as copy,
        ):
            for row in generate_rows(n, now):
                copy.write_row(row)
                done += 1
                if done % 100_000 == 0:
                    log(f"postgres: {done:,} reports copied ({time.perf_counter() - t0:.0f}s)")
        conn.execute(
            "INSERT INTO report_updates (report_id, kind, status, previous_status, actor_user_id,"
            " actor_label, public_note, internal_note, detail, at) SELECT id, 'created', 'new',"
            " NULL, NULL, channel, '', '', '{}', requested_at FROM reports"
        )
        conn.execute("SELECT setval(pg_get_serial_sequence('reports', 'id'), max(id)) FROM reports")
        conn.commit()
        log(f"postgres: rebuilding {len(indexes)} indexes")
        for _, index_sql in indexes:
            conn.execute(index_sql)
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"postgres: {n:,} reports ready in {time.perf_counter() - t0:.0f}s (database {PG_DB})")
    return url


def sqlite_path(n: int) -> Path:
    return RESULTS / f"reports-{n}.db"


def ensure_sqlite(n: int, rebuild: bool) -> Path:
    path = sqlite_path(n)
    if rebuild or not path.exists() or _sqlite_count(path) != n:
        RESULTS.mkdir(parents=True, exist_ok=True)
        log(f"generating {n:,} reports into {path} (cached for later runs)")
        build_sqlite(path, n)
    else:
        # The cached file may predate new migrations: bring it to head (cheap when nothing to do),
        # then refresh the planner's statistics if an index changed (a new index has none).
        from vigie.migrate import upgrade

        before = _sqlite_revision(path)
        upgrade(f"sqlite:///{path.as_posix()}")
        after = _sqlite_revision(path)
        con = sqlite3.connect(path, isolation_level=None)
        try:
            stale = _sqlite_stale_stats(con)
            if before != after or stale:
                log(
                    f"sqlite: migrated {before} -> {after}; ANALYZE (indexes without "
                    f"statistics: {', '.join(stale) or 'none'})"
                )
                t0 = time.perf_counter()
                con.execute("ANALYZE")
                log(f"sqlite: ANALYZE done in {time.perf_counter() - t0:.0f}s")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # Datasette --immutable ignores the WAL
        finally:
            con.close()
    return path


def _sqlite_revision(path: Path) -> str | None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        con.close()


def _sqlite_stale_stats(con: sqlite3.Connection) -> list[str]:
    """Indexes of `reports` whose sqlite_stat1 row is missing or has the wrong column count."""
    try:
        stats = {idx: stat for _, idx, stat in con.execute("SELECT tbl, idx, stat FROM sqlite_stat1")}
    except sqlite3.Error:
        return ["(no sqlite_stat1)"]
    stale = []
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='reports'"
    ).fetchall():
        ncols = len(con.execute(f'PRAGMA index_info("{name}")').fetchall())
        stat = stats.get(name)
        if stat is None or len(stat.split()) < ncols + 1:
            stale.append(name)
    return stale


def _sqlite_count(path: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(con.execute("SELECT count(*) FROM reports").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def ensure_postgres(n: int, rebuild: bool) -> str:
    import psycopg

    url = pg_url(PG_DB)
    if not rebuild and pg_exists(PG_DB):
        try:
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as c:
                row = c.execute("SELECT count(*) FROM reports").fetchone()
            if row and row[0] == n:
                from vigie.migrate import upgrade

                dsn = url.replace("postgresql+psycopg://", "postgresql://")
                before = _pg_revision(dsn)
                upgrade(url)  # the cached database may predate new migrations
                after = _pg_revision(dsn)
                if before != after:
                    log(f"postgres: migrated {before} -> {after}; ANALYZE")
                    with psycopg.connect(dsn, autocommit=True) as c:
                        c.execute("ANALYZE")
                return url
        except psycopg.Error:
            pass
    log(f"generating {n:,} reports into PostgreSQL database {PG_DB} (kept for later runs)")
    return build_postgres(n)


def _pg_revision(dsn: str) -> str | None:
    import psycopg

    with psycopg.connect(dsn) as c:
        row = c.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def time_range(path: Path) -> tuple[datetime, datetime]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        lo, hi = con.execute("SELECT min(requested_at), max(requested_at) FROM reports").fetchone()
    finally:
        con.close()
    return (datetime.fromisoformat(lo).replace(tzinfo=UTC), datetime.fromisoformat(hi).replace(tzinfo=UTC))


# --- the queries ---------------------------------------------------------------------


def query_paths(
    dbname: str, lo: datetime, hi: datetime, count: int = 1000, seed: int = 7
) -> dict[str, list[str]]:
    """The same random queries for each server, written in each one's dialect."""
    rng = random.Random(seed)
    out: dict[str, list[str]] = {
        k: []
        for k in (
            "vigie-native",
            "baseline-native",
            "datasette-native",
            "vigie-open311",
            "baseline-open311",
            "datasette-open311",
        )
    }
    ds = (
        f"/{urllib.parse.quote(dbname)}/reports.json?_shape=array&_size=100&_nocount=1"
        "&_nofacet=1&_nosuggest=1&public__exact=1&_sort_desc=requested_at"
    )
    for _ in range(count):
        # A map view of 0.9–2.2 km across somewhere in Dijon.
        h = rng.uniform(0.008, 0.02)
        w = h * 1.5
        y1 = rng.uniform(LAT[0], LAT[1] - h)
        x1 = rng.uniform(LONG[0], LONG[1] - w)
        bbox = f"{x1:.5f},{y1:.5f},{x1 + w:.5f},{y1 + h:.5f}"
        status = rng.choice(NATIVE_STATUSES)
        q = urllib.parse.urlencode({"bbox": bbox, "status": status, "page_size": 100})
        out["vigie-native"].append(f"/api/v1/reports?{q}")
        out["baseline-native"].append(f"/reports?{q}")
        out["datasette-native"].append(
            f"{ds}&status__in={status}&lat__gte={y1:.5f}&lat__lte={y1 + h:.5f}"
            f"&long__gte={x1:.5f}&long__lte={x1 + w:.5f}"
        )
        # An Open311 client paging through open requests of a 30–90 day window.
        days = rng.uniform(30, 90)
        span = (hi - lo).total_seconds() - days * 86400
        start = lo + timedelta(seconds=rng.uniform(0, span))
        start = start.replace(microsecond=0)
        end = start + timedelta(days=days)
        s_iso, e_iso = (d.strftime("%Y-%m-%dT%H:%M:%SZ") for d in (start, end))
        q = urllib.parse.urlencode(
            {"status": "open", "start_date": s_iso, "end_date": e_iso, "page_size": 100}
        )
        out["vigie-open311"].append(f"/open311/v2/requests.json?{q}")
        out["baseline-open311"].append(f"/requests.json?{q}")
        s_sql, e_sql = (urllib.parse.quote(_sqlite_dt(d) or "") for d in (start, end))
        out["datasette-open311"].append(
            f"{ds}&status__in={','.join(sorted(OPEN))}&requested_at__gte={s_sql}&requested_at__lte={e_sql}"
        )
    return out


LUA_PATHS = r"""
local paths = %(paths)s
request = function()
  seed()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def _lua_table(paths: list[str]) -> str:
    return "{" + ",".join(json.dumps(p) for p in paths) + "}"


def _check(base: str, path: str) -> None:
    """One request by hand: a 200 with a page of 100 items (fail loudly otherwise)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:  # noqa: S310
            body = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"GET {path} answered {exc.code}: {exc.read()[:400]!r}") from None
    items = body["items"] if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        raise SystemExit(f"GET {path} returned no items: {str(body)[:300]}")


def _run(name: str, srv: Server, paths: list[str], args: argparse.Namespace) -> dict[str, Any]:
    lua = LUA_PATHS % {"paths": _lua_table(paths)}
    _check(srv.base, paths[0])
    if args.warmup > 0:
        run_wrk(
            srv.base, lua, connections=args.connections, duration=args.warmup, name=f"query-{name}-warmup"
        )
    cpu0 = cpu_seconds(srv.pid)
    w = run_wrk(srv.base, lua, connections=args.connections, duration=args.duration, name=f"query-{name}")
    cpu_ms = (cpu_seconds(srv.pid) - cpu0) * 1000 / max(1, w["requests"])
    lat = {k: v / 1000 for k, v in w["latency_us"].items()}
    log(
        f"{name}: {w['rps']:.0f} req/s p50 {lat['p50']:.1f} ms p95 {lat['p95']:.1f} ms "
        f"p99 {lat['p99']:.1f} ms, CPU {cpu_ms:.2f} ms/req, non-2xx {w['non_2xx']} "
        f"socket errors {w['socket_errors']}"
    )
    return {
        "rps": w["rps"],
        "requests": w["requests"],
        "latency_ms": lat,
        "non_2xx": w["non_2xx"],
        "socket_errors": w["socket_errors"],
        "statuses": w["statuses"],
        "cpu_ms_per_request": cpu_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--count", type=int, default=1_000_000, help="reports in the data set")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached data set")
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-datasette", action="store_true", help="skip the Datasette peer")
    parser.add_argument(
        "--pg-db", default=PG_PREFIX, help=f"PostgreSQL database for the data set (a {PG_PREFIX}* name)"
    )
    args = parser.parse_args()
    require_wrk()
    global PG_DB
    PG_DB = args.pg_db

    db_file = ensure_sqlite(args.count, args.rebuild and args.backend == "sqlite")
    if args.backend == "postgres":
        url = ensure_postgres(args.count, args.rebuild)
    else:
        url = f"sqlite:///{db_file.as_posix()}"
    lo, hi = time_range(db_file)
    paths = query_paths(db_file.stem, lo, hi)
    results: dict[str, Any] = {}
    rss: dict[str, Any] = {}

    data_dir = RESULTS / "run" / f"query-{args.backend}"
    data_dir.mkdir(parents=True, exist_ok=True)
    with vigie_server(f"query-vigie-{args.backend}", url, data_dir) as srv:
        idle, _ = rss_mb(srv.pid)
        with RssSampler(srv.pid) as sampler:
            for kind in ("native", "open311"):
                results[f"vigie-{kind}"] = _run(f"vigie-{kind}", srv, paths[f"vigie-{kind}"], args)
        after, hwm = rss_mb(srv.pid)
        rss["vigie"] = {
            "idle": idle,
            "max_sampled": sampler.max_rss,
            "after": after,
            "hwm": hwm,
            "max_anon": sampler.max_anon,
            "max_file": sampler.max_file,
            "after_parts": rss_parts(srv.pid),
        }

    with baseline_server(f"query-baseline-{args.backend}", url) as srv:
        with RssSampler(srv.pid) as sampler:
            for kind in ("native", "open311"):
                name = f"baseline-{kind}"
                results[name] = _run(name, srv, paths[name], args)
        rss["baseline"] = {"max_sampled": sampler.max_rss, "hwm": rss_mb(srv.pid)[1]}

    if not args.no_datasette:
        port = free_port()
        cmd = [
            str(BIN / "datasette"),
            "serve",
            "--immutable",
            str(db_file),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--setting",
            "sql_time_limit_ms",
            "5000",
        ]
        ds = Server("query-datasette", cmd, port, dict(os.environ), health="/-/versions.json")
        with ds as srv:
            with RssSampler(srv.pid) as sampler:
                for kind in ("native", "open311"):
                    name = f"datasette-{kind}"
                    results[name] = _run(name, srv, paths[name], args)
            rss["datasette"] = {"max_sampled": sampler.max_rss, "hwm": rss_mb(srv.pid)[1]}

    report(args, results, rss)
    saved = save_result(f"bench_query-{args.backend}", {"results": results, "rss": rss, "args": vars(args)})
    print(f"reproduce: {reproduce('bench_query.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


def report(args: argparse.Namespace, results: dict[str, Any], rss: dict[str, Any]) -> None:
    banner(
        f"Query, {args.count:,} reports, pages of 100, concurrency {args.connections}, "
        f"backend {args.backend} (Datasette: same data, SQLite file)"
    )
    print(f"{'':22}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'CPU ms/req':>12}")
    for name, r in results.items():
        lat = r["latency_ms"]
        print(
            f"{name:22}{r['rps']:8.0f}{lat['p50']:9.1f}{lat['p95']:9.1f}{lat['p99']:9.1f}"
            f"{r['non_2xx'] + r['socket_errors']:8d}{r['cpu_ms_per_request']:12.2f}"
        )
    for kind in ("native", "open311"):
        v = results[f"vigie-{kind}"]["latency_ms"]["p95"]
        b = results[f"baseline-{kind}"]["latency_ms"]["p95"]
        vc = results[f"vigie-{kind}"]["cpu_ms_per_request"]
        bc = results[f"baseline-{kind}"]["cpu_ms_per_request"]
        line = (
            f"{kind}: Vigie p95 {v:.1f} ms; ÷ baseline p95 = {ratio(v, b)}; "
            f"CPU/req ÷ baseline = {ratio(vc, bc)}"
        )
        if f"datasette-{kind}" in results:
            d = results[f"datasette-{kind}"]["latency_ms"]["p95"]
            line += f"; ÷ Datasette p95 = {ratio(v, d)}"
        print(line)
        print(f"  target p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict(v <= TARGET_P95_MS)}")
    vr = rss["vigie"]
    line = (
        f"Vigie RSS: idle {vr['idle']:.0f} MB, max while serving {vr['max_sampled']:.0f} MB, "
        f"after {vr['after']:.0f} MB, peak (VmHWM) {vr['hwm']:.0f} MB"
    )
    for peer in ("baseline", "datasette"):
        if peer in rss:
            m = rss[peer]["max_sampled"]
            line += f"; {peer} max {m:.0f} MB (Vigie {ratio(vr['max_sampled'], m)})"
    print(line)
    if "max_anon" in vr:
        print(
            f"  of which (max sampled) anonymous {vr['max_anon']:.0f} MB, file-backed "
            f"{vr['max_file']:.0f} MB (page cache of the mmap'ed database file, shared)"
        )
    print(
        f"  target RSS ≤ {TARGET_RSS_MB:.0f} MB: {verdict(vr['hwm'] <= TARGET_RSS_MB)} "
        f"(judged on the peak, VmHWM {vr['hwm']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
