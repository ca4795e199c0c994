"""The PostgreSQL test database's reset before each test: TRUNCATE of the tables holding rows
(the baseline, as tests/conftest.py did) against tests/conftest.py's ``_empty_pg`` (DELETE,
children first; TRUNCATE only for large or trigger-guarded tables).

Each round writes what an ordinary test leaves behind (two agents, a report through the intake
with its history and outbox rows, an operations log entry), then empties the database with one
of the two, alternately, so that both see the same load. Prints the median and p90 of each and
their ratio.

Usage: ``python bench/bench_test_reset.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/vigie_bench_NAME``
(create the database first with ``createdb``; its schema is replaced).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    # tests.conftest reads its backend from the environment when imported.
    os.environ["VIGIE_TEST_BACKEND"] = "postgres"
    os.environ["VIGIE_TEST_DATABASE_URL"] = args.pg_url
    from sqlalchemy import create_engine, text

    from tests import conftest
    from tests.reports.helpers import submit_report
    from vigie.accounts.actions import do_add_user
    from vigie.bootstrap import build_vigie
    from vigie.models import metadata
    from vigie.oplog.actions import do_write

    conftest.fresh_pg_schema(args.pg_url)
    engine = create_engine(args.pg_url)

    def truncate_used(url: str) -> None:
        """The baseline: tests/conftest.py's reset before this change."""
        holding_rows = " UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in metadata.sorted_tables
        )
        with engine.begin() as conn:
            used = list(conn.execute(text(holding_rows)).scalars())
            if used:
                conn.execute(text(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE"))
            conn.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), min_value, false)"
                    " FROM pg_sequences WHERE last_value IS NOT NULL"
                )
            )

    v = build_vigie(conftest.settings_for(Path(tempfile.mkdtemp()), args.pg_url))
    n = 0

    def footprint() -> None:
        nonlocal n
        n += 1
        do_add_user(v.db, f"op{n}@agents.example", "operator", conftest.PASSWORD, name="op")
        supervisor = do_add_user(v.db, f"sup{n}@agents.example", "supervisor", conftest.PASSWORD, name="sup")
        submit_report(v)
        do_write(v, supervisor, "lighting", "Armoire 12 contrôlée")

    timings: dict[str, list[float]] = {"truncate (baseline)": [], "_empty_pg": []}
    resets = {"truncate (baseline)": truncate_used, "_empty_pg": conftest._empty_pg}
    for _ in range(args.rounds):
        for name, reset in resets.items():
            footprint()
            started = time.perf_counter()
            reset(args.pg_url)
            timings[name].append(time.perf_counter() - started)
    v.db.dispose()
    base = statistics.median(timings["truncate (baseline)"])
    print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds")
    for name, values in timings.items():
        values.sort()
        median = statistics.median(values)
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"{name:22} median {median * 1000:7.1f} ms  p90 {p90 * 1000:7.1f} ms  {median / base:.2f}x")


if __name__ == "__main__":
    main()
