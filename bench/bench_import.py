"""History import speed: `vigie import requests` against a floor measured in the same run.

For each backend it writes one CSV of N Dijon reports (coordinates in a
Python-literal dict column, the shape of issue 14: ``{'lon': 5.04, 'lat': 47.32}``,
half of them closed with a public answer), then:

1. **floor**: the same rows read with the csv module and written with no check
   at all (the rows' derived values alike for every row) by the same writer as
   the import's, in batches of the same size, one transaction each: multi-row INSERTs on
   SQLite, COPY on PostgreSQL (reports, then their history entries);
2. **import**: ``run_import`` in history mode (mapping, the submission checks,
   zone lookup, procedure, the one creation function in batches).

It prints rows/s of each, the ratio import/floor (target: >= 0.3, and >= 5,000
rows/s), and the resident memory sampled during the import (flat: the file is
streamed).

    .venv/bin/python bench/bench_import.py --rows 1000000 --backend sqlite
    .venv/bin/python bench/bench_import.py --rows 1000000 --backend postgres \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_intake

The PostgreSQL database given is emptied (its reports tables truncated) before
each; on SQLite each gets a new file. The CPU time of the process (all its
threads) per row is printed beside each rate: on a shared machine it moves less
than the wall-clock rates do.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

MAPPING = """\
external_id: {column: numero, prefix: "bench:"}
dates: {formats: ["%Y-%m-%d %H:%M:%S"]}
location: {point: coordonnees}
reference: {keep_source_number: true}
fields:
  service_code: {column: type, value_map: {Trou: nid-de-poule, Tag: tag-domaine-public, Banc: banc-degrade}}
  description: {column: texte}
  address: {column: adresse}
  requested_at: {column: ouvert}
  closed_at: {column: ferme}
  status: {column: etat, value_map: {Ouvert: acknowledged, Clos: resolved}}
  status_notes: {column: reponse}
attributes:
  danger_immediat: {value: non}
  injurieux: {value: non}
"""
BATCH = 2000  # the floor's batches are the import's (run.BATCH_SIZE)
HEADER = ["numero", "type", "texte", "adresse", "ouvert", "ferme", "etat", "reponse", "coordonnees"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def write_csv(path: Path, rows: int, v: Any) -> None:
    """N rows inside Dijon's zones, types the catalogue knows, half closed."""
    rng = random.Random(14)
    zones = v.city.zones
    points: list[tuple[float, float]] = []
    while len(points) < 2000:  # a pool of points known to be inside a zone
        lat, lon = 47.28 + rng.random() * 0.08, 4.98 + rng.random() * 0.12
        if zones.locate(lat, lon) is not None:
            points.append((round(lat, 6), round(lon, 6)))
    start = datetime(2018, 1, 1)
    types = [t for t in ("Trou", "Tag", "Banc") if True]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(rows):
            lat, lon = points[i % len(points)]
            opened = start + timedelta(minutes=7 * i)
            closed = i % 2 == 0
            w.writerow(
                [
                    100000 + i,
                    types[i % 3],
                    f"Signalement ancien numéro {i}",
                    f"{i % 120} rue de la République",
                    opened.strftime("%Y-%m-%d %H:%M:%S"),
                    (opened + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S") if closed else "",
                    "Clos" if closed else "Ouvert",
                    "Réparé" if closed else "",
                    f"{{'lon': {lon}, 'lat': {lat}}}",
                ]
            )


def floor(v: Any, path: Path) -> float:
    """Rows/s of writing the same rows with no check (multi-row INSERTs / COPY)."""
    from vigie.reports.storage import ReportRow, ReportUpdateRow

    reports = ReportRow.__table__
    updates = ReportUpdateRow.__table__
    rcols = [c.key for c in reports.columns]
    ucols = [c.key for c in updates.columns if c.key != "id"]
    now = datetime.now(UTC)
    started = time.perf_counter()
    n = 0
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        report_rows: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        rid = 10_000_000
        for rec in reader:
            rid += 1
            n += 1
            geo = rec[8]
            lat = float(geo.split("'lat': ")[1].rstrip("}"))
            lon = float(geo.split("'lon': ")[1].split(",")[0])
            closed = rec[6] == "Clos"
            row = {
                "id": rid,
                "reference": f"DIJ-F-{rec[0]}",
                "service_code": "nid-de-poule",
                "service_group": "voirie",
                "status": "resolved" if closed else "acknowledged",
                "public": True,
                "description": rec[2],
                "lat": lat,
                "long": lon,
                "address": rec[3],
                "address_id": "",
                "zone": "21231",
                "attributes": {"danger_immediat": "non"},
                "channel": "import",
                "priority": "normal",
                "procedure_id": "p",
                "team": "voirie",
                "assigned_user_id": None,
                "reject_reason": "",
                "duplicate_of_id": None,
                "reporter_name": "",
                "reporter_email": "",
                "reporter_phone": "",
                "reporter_lang": "fr",
                "device_id": "",
                "account_id": "",
                "token": secrets.token_urlsafe(18),
                "external_id": "floor:" + rec[0],
                "requested_at": now,
                "updated_at": now,
                "expected_at": None,
                "acknowledged_at": None,
                "closed_at": now if closed else None,
                "status_notes": rec[7],
            }
            report_rows.append({k: row.get(k) for k in rcols})
            entry = {
                "report_id": rid,
                "kind": "created",
                "status": "new",
                "previous_status": None,
                "actor_user_id": None,
                "actor_label": "import",
                "public_note": "",
                "internal_note": "",
                "detail": {},
                "at": now,
            }
            history.append({k: entry.get(k) for k in ucols})
            if closed:
                history.append(
                    {
                        **history[-1],
                        "kind": "status",
                        "status": "resolved",
                        "previous_status": "new",
                        "public_note": rec[7],
                    }
                )
            if len(report_rows) >= BATCH:
                _flush(v, report_rows, history)
                report_rows, history = [], []
        _flush(v, report_rows, history)
    return n / (time.perf_counter() - started)


def _flush(v: Any, report_rows: list[dict[str, Any]], history: list[dict[str, Any]]) -> None:
    """The same writer the import's batches use (COPY / multi-row INSERTs), with nothing before it,
    one transaction a batch as the import's. (One transaction for the whole file grew
    SQLite's WAL past a gigabyte at 1,000,000 rows, every page then read back through it:
    a floor far slower than any import.)"""
    from vigie.reports.bulk import write_rows
    from vigie.reports.storage import ReportRow, ReportUpdateRow

    with v.db.engine.begin() as conn:
        write_rows(conn, ReportRow.__table__, report_rows)  # type: ignore[arg-type]
        write_rows(conn, ReportUpdateRow.__table__, history)  # type: ignore[arg-type]


def clean(v: Any) -> None:
    from sqlalchemy import text

    with v.db.engine.begin() as conn:
        if v.db.dialect == "postgresql":
            conn.execute(text("TRUNCATE reports, report_updates RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("DELETE FROM report_updates"))
            conn.execute(text("DELETE FROM reports"))


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_intake")
    args = parser.parse_args()

    from vigie.bootstrap import build_vigie
    from vigie.importer.run import run_import
    from vigie.migrate import upgrade
    from vigie.settings import Settings

    with tempfile.TemporaryDirectory(prefix="vigie-bench-import-") as tmp:
        work = Path(tmp)

        def platform(name: str) -> Any:
            """Vigie on an empty database: on SQLite a new file each (the floor's rows deleted
            would leave the import an FTS index full of deletion markers), else truncated."""
            url = args.database_url if args.backend == "postgres" else f"sqlite:///{work / name}"
            upgrade(url)
            settings = Settings(
                environment="test",
                data_dir=work / "data",
                database_url=url,
                background_services=False,
                notify_transport="none",
                event_bus="memory",
            )
            v = build_vigie(settings)
            clean(v)
            return v

        print(f"load average at the start: {loadavg()}")
        v = platform("floor.db")
        data = work / "historique.csv"
        mapping = work / "bench.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
        t0 = time.perf_counter()
        write_csv(data, args.rows, v)
        print(
            f"{args.backend}: {args.rows:,} rows written to CSV in {time.perf_counter() - t0:.1f} s "
            f"({data.stat().st_size / 1e6:.0f} MB)"
        )

        cpu = time.process_time()
        floor_rate = floor(v, data)
        floor_cpu = time.process_time() - cpu
        v.db.dispose()
        print(
            f"  floor (no checks, {'COPY' if args.backend == 'postgres' else 'multi-row INSERTs'}): "
            f"{floor_rate:,.0f} rows/s, this process's CPU {floor_cpu / args.rows * 1e6:.0f} µs a row"
        )
        v = platform("import.db")

        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            start = time.perf_counter()
            while not stop.wait(0.5):
                samples.append((time.perf_counter() - start, rss_mb()))

        sampler = threading.Thread(target=sample, daemon=True)
        rss_before = rss_mb()
        sampler.start()
        cpu = time.process_time()
        result = run_import(v, data, mapping, mode="history")
        import_cpu = time.process_time() - cpu
        stop.set()
        sampler.join()
        rate = result.total / result.elapsed
        print(
            f"  import (history mode): {result.created:,} created, {len(result.failed)} failed, "
            f"{result.elapsed:.1f} s, {rate:,.0f} rows/s, "
            f"this process's CPU {import_cpu / args.rows * 1e6:.0f} µs a row"
        )
        print(
            f"  ratio import/floor: {rate / floor_rate:.2f} (target >= 0.30); "
            f"rows/s target 5,000: {'met' if rate >= 5000 else 'missed'}"
        )
        if samples:
            tenth = samples[max(0, len(samples) // 10 - 1)][1]
            print(
                f"  resident memory: {rss_before:.0f} MB before, {tenth:.0f} MB at 10 % of the run, "
                f"{max(s[1] for s in samples):.0f} MB peak, {samples[-1][1]:.0f} MB at the end"
            )
        if result.failed:
            print("  first failures:", result.failed[:3])
        print(f"load average at the end: {loadavg()}")
        v.db.dispose()


if __name__ == "__main__":
    main()
