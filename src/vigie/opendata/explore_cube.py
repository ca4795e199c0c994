"""A ``group_by`` count answered from the release's rows counted by the few fields it reads.

A ``group_by`` filtered by a ``where`` scanned every row of the release: the filter over
1,000,000 rows (3.5–6 ms of CPU), then its date parts (``month``/``year`` of a moment
with a zone: DuckDB's ICU calendar, ~0.7 µs a row, 25–35 ms for a value of 300,000 rows)
— 7.5 ms a cold ``group_by`` on average, the costliest shape of the records API
(docs/benchmarks.md). A published release never changes, so its rows counted by the
fields such a query reads — the equality's field and the fields its groups are made of —
are a pure function of the release: computed once (``CREATE TABLE … AS SELECT f, g,
count(*) … GROUP BY ALL``, one scan), kept in the release's DuckDB, and the query runs on
that table instead, the same statement with ``count(*)`` as the sum of the counted rows.
On generalised data (categories, positions snapped to a grid, dates to the month) such a
table has a few thousand rows for 1,000,000.

Only a query it answers exactly: groups on fields or date parts of fields, counts
(``count(*)``) as its only aggregate, no condition or one equality (``where f = v``,
``refine f:v``), an order on those; and only while the table stays small (``MAX_ROWS``:
a field of many values, an identifier or an exact moment, is left to the plain scan).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from vigie.opendata.explore_engine import quote, run
from vigie.opendata.explore_odsql import Query
from vigie.opendata.release_tables import Reading

# Most rows a counted table may have (past it, it is dropped and the query scans the release).
MAX_ROWS = 100_000
# The column holding each combination's number of rows.
ROWS = "__rows"
COUNT = "count(*)"
# A group item's field: ``"f"`` or a date part ``year("f")`` (explore_odsql's quoting).
_FIELD = re.compile(r'^(?:[a-z]+\()?"((?:[^"]|"")*)"\)?$')


@dataclass(frozen=True)
class Cube:
    """The counted table a query reads (its name, the fields it is counted by), its statement on it."""

    table: str
    fields: tuple[str, ...]
    sql: str
    count_sql: str


def _field(sql: str) -> str | None:
    found = _FIELD.match(sql)
    return found.group(1).replace('""', '"') if found else None


def cube_of(q: Query, limit: int, offset: int) -> Cube | None:
    """The counted table and statement answering ``q``'s page exactly, or ``None`` if it cannot."""
    if not q.groups or (q.condition and q.equality is None):
        return None
    if any(sql != COUNT for sql, _ in q.measures):
        return None
    raw = [_field(sql) for sql, _ in q.groups]
    if any(f is None for f in raw):
        return None
    fields = tuple(sorted({f for f in raw if f is not None} | ({q.equality.field} if q.equality else set())))
    if ROWS in fields:
        return None
    # The items of the ORDER BY the counted table has: the answer's columns (aliases), the groups, counts.
    known = {quote(label) for _, label in q.groups + q.measures} | {sql for sql, _ in q.groups}
    orders = []
    for item in q.orders:
        sql, _, direction = item.rpartition(" ")
        if sql == COUNT:
            sql = f"CAST(sum({ROWS}) AS BIGINT)"
        elif sql not in known:
            return None
        orders.append(f"{sql} {direction}")
    table = "__cube_" + hashlib.sha256("\0".join(fields).encode()).hexdigest()[:16]
    # The same statement as ``q.sql`` (explore_odsql.build), on the counted table.
    columns = [f"{sql} AS {quote(label)}" for sql, label in q.groups]
    columns += [f"CAST(sum({ROWS}) AS BIGINT) AS {quote(label)}" for _, label in q.measures]
    base = f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - parsed parts, our own name
    if q.condition:
        base += f" WHERE {q.condition}"
    base += " GROUP BY " + ", ".join(sql for sql, _ in q.groups)
    sql = base + (" ORDER BY " + ", ".join(orders) if orders else "")
    sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return Cube(table, fields, sql, f"SELECT count(*) FROM ({base})")  # noqa: S608 - built above


def ready(reading: Reading, q: Query, cube: Cube, seconds: float) -> bool:
    """Whether the release's counted table for ``cube`` exists (made now, once per release and
    fields, while the other requests that need it wait), ``False`` when it would be too large."""
    key = ("cube", cube.fields)
    return bool(reading.answers.shared(key, lambda: _make(reading, q.table, cube, seconds))[1])


def _make(reading: Reading, source: str, cube: Cube, seconds: float) -> bool:
    fields = ", ".join(quote(f) for f in cube.fields)
    # IF NOT EXISTS: the table outlives its entry in the release's answers (an LRU), and has the same name.
    run(
        reading.cursor,
        f"CREATE TABLE IF NOT EXISTS {cube.table} AS SELECT {fields}, count(*) AS {ROWS} "  # noqa: S608 - quoted names
        f"FROM {quote(source)} GROUP BY ALL",
        seconds=seconds,
    )
    counted = run(reading.cursor, f"SELECT count(*) FROM {cube.table}", seconds=seconds)  # noqa: S608 - our own name
    rows = int(counted.column(0)[0].as_py())
    if rows > MAX_ROWS:
        run(reading.cursor, f"DROP TABLE {cube.table}", seconds=seconds)
        return False
    return True


__all__ = ["MAX_ROWS", "Cube", "cube_of", "ready"]
