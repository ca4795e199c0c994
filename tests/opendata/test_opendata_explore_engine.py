"""The locked DuckDB of the records API and exports: statements stopped past their time."""

from __future__ import annotations

import time

import duckdb
import pytest

from vigie.opendata.explore_engine import QueryTimeout, run, time_limit

ENDLESS = "SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b"  # 10**10 rows


def test_opendata_explore_engine_a_statement_past_its_time_is_stopped_and_the_next_runs() -> None:
    conn = duckdb.connect(config={"threads": 1})
    with pytest.raises(QueryTimeout, match="longer than 0.2 s"):
        run(conn, ENDLESS, seconds=0.2)
    # The deadline went with its statement: the next ones, quick, are not interrupted.
    for n in range(200):
        assert run(conn, "SELECT ? + 1 AS n", [n], seconds=5.0).column("n").to_pylist() == [n + 1]
    with pytest.raises(QueryTimeout):
        run(conn, ENDLESS, seconds=0.1)
    conn.close()


def test_opendata_explore_engine_a_deadline_passed_before_the_statement_starts_still_stops_it() -> None:
    conn = duckdb.connect(config={"threads": 1})
    with pytest.raises(QueryTimeout), time_limit(conn, 0.0):
        time.sleep(0.3)  # the first interrupt comes while nothing runs: DuckDB forgets it
        conn.sql(ENDLESS).fetchall()
    conn.close()
