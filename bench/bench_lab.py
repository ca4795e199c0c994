"""The data lab's query process: what one simple lab query costs through it, against the same
query run in the web process as the lab did before (a locked DuckDB opened per query,
``explore_engine.sandbox`` and ``run``), interleaved in the same run.

    .venv/bin/python bench/bench_lab.py [--queries 200] [--rows 200000]

Prints, per path, the median and p95 wall time of one query and the CPU it took (the web
process's, and the query process's read from /proc), and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from vigie.opendata.explore_engine import run, sandbox
from vigie.opendata.exports import plain
from vigie.opendata.lab import MAX_ANSWER_BYTES
from vigie.opendata.lab_worker import LabProcess, Limits

QUERIES = ("SELECT count(*) AS n FROM parkings", "SELECT * FROM parkings LIMIT 20")
UTC = ZoneInfo("UTC")


def in_process(views: dict[str, Path], sql: str, rows: int) -> int:
    """The lab's query as it ran before: in the calling process."""
    with sandbox(views, memory_mb=512) as conn:
        table = run(conn, f"SELECT * FROM ({sql}) LIMIT {rows + 1}", seconds=10.0)  # noqa: S608 - our own queries
    out = [[plain(v, UTC) for v in row.values()] for row in table.slice(0, rows).to_pylist()]
    return len(out)


def child_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200, help="queries per path and per SQL")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the release")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parkings.parquet"
        duckdb.sql(
            f"COPY (SELECT range AS id, 'P' || (range % 40) AS parking, (range % 100) / 1.0 AS pourcentage, "  # noqa: S608 - our own numbers
            f"TIMESTAMP '2026-01-01' + INTERVAL (range) MINUTE AS datetime FROM range({args.rows})) "
            f"TO '{path}' (FORMAT parquet)"
        )
        views = {"parkings": path}
        limits = Limits(seconds=10.0, memory_mb=512, rows=5000, max_bytes=MAX_ANSWER_BYTES)
        process = LabProcess(limits.memory_mb)
        request = {"views": {"parkings": str(path)}, "rows": limits.rows, "max_bytes": limits.max_bytes}
        started = time.perf_counter()
        process.ask({**request, "sql": "SELECT 1"}, limits)
        start_s = time.perf_counter() - started
        for sql in QUERIES:
            in_process(views, sql, limits.rows)  # warm both paths
            process.ask({**request, "sql": sql}, limits)
            walls: dict[str, list[float]] = {"in-process": [], "query process": []}
            cpu = {"in-process": 0.0, "query process": 0.0}
            for _ in range(args.queries):
                for name in walls:
                    pid = process.pid
                    c0, k0, t0 = time.process_time(), child_cpu(pid), time.perf_counter()
                    if name == "in-process":
                        in_process(views, sql, limits.rows)
                    else:
                        process.ask({**request, "sql": sql}, limits)
                    walls[name].append(time.perf_counter() - t0)
                    cpu[name] += time.process_time() - c0 + child_cpu(pid) - k0
            print(f"\n{sql!r}, {args.queries} queries each, interleaved:")
            for name, times in walls.items():
                ordered = sorted(times)
                print(
                    f"  {name:14} median {statistics.median(times) * 1000:6.2f} ms  "
                    f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:6.2f} ms  "
                    f"CPU {cpu[name] / len(times) * 1000:6.2f} ms/query"
                )
            ratio = statistics.median(walls["query process"]) / statistics.median(walls["in-process"])
            cpu_ratio = cpu["query process"] / cpu["in-process"]
            print(f"  query process / in-process: median wall ×{ratio:.2f}, CPU ×{cpu_ratio:.2f}")
        print(f"\nstarting the query process (its imports, first query): {start_s:.2f} s")
        print(f"load average: {os.getloadavg()}")
        process.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
