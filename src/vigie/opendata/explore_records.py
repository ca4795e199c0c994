"""A records answer of the Explore API: computed on the loaded release, encoded once, kept.

A published release never changes, so a records answer is a pure function of the
release and of the normalised query — the parsed ODSQL statement with its typed
values (the page is in it) and the time zone its moments are written in — however
the URL spelt it (parameters' order, spaces, ``apikey``, ``lang``). Its encoded
bytes are kept with the loaded release (``release_tables.Answers``, bounded in
bytes, gone with the release) and its ETag is a hash of the same key, so a
conditional request is answered without the release.

The first answer runs the page on the release's cursor and, when the page is full,
the total (kept on its own: the other pages of the same query skip that scan; for one
equality on a field — ``where f = v``, ``refine f:v`` — read in the field's counts by
value, one scan per field and release, so a ``where`` on a value nobody asked before
costs its page only). A page of rows in the stored order (ordered by the column the rows
are stored by, or not ordered) is read off a scan that stops after it; for one equality, the
scan starts near the page instead of at the table's first row, at a position read in the
field's checkpoints (the place of every ``STEP``-th row of each value, one scan per field and
release), so a deep page or an ``asc`` one (the last rows of the scan) reads a few thousand
rows instead of most of the table. Its
rows go from Arrow to JSON with no per-value Python step: moments are converted to
the asked zone by Arrow (in UTC, made by NumPy), the objects are made once and orjson
writes them.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from vigie import metrics
from vigie.opendata.explore_cube import Cube, cube_of, ready
from vigie.opendata.explore_engine import quote, run
from vigie.opendata.explore_odsql import Facet, Query
from vigie.opendata.exports import json_default
from vigie.opendata.queries import Release
from vigie.opendata.release_tables import FID, TABLE, Reading

if TYPE_CHECKING:
    import pyarrow as pa

# Most distinct values a field's counts hold (above, the field is not a facet: totals are counted).
FACET_VALUES = 10_000
# A field's checkpoints hold the position of every STEP-th row of each value: a page's scan
# starts fewer than STEP matching rows before it, and they take 8 bytes per STEP rows.
STEP = 100


def typed(params: list[Any]) -> tuple[str, ...]:
    """Bound values with their types, so that the text "1" and the number 1 are two queries."""
    return tuple(f"{type(x).__name__}:{x!r}" for x in params)


def answer_key(q: Query, tz: ZoneInfo) -> tuple[Hashable, ...]:
    """What a records answer depends on besides its release."""
    return ("answer", q.sql, typed(q.params), tz.key)


def etag(release: Release, key: tuple[Hashable, ...]) -> str:
    """A strong validator of the answer: its release and its normalised query."""
    text = repr((release.dataset_id, release.version, release.sha256, key))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def answer(
    reading: Reading,
    q: Query,
    key: tuple[Hashable, ...],
    limit: int,
    offset: int,
    tz: ZoneInfo,
    seconds: float,
) -> bytes:
    """The encoded answer: kept from an earlier request on this release, or computed and kept."""
    found, body = reading.answers.find(key)
    metrics.OPENDATA_ANSWERS.labels("answer", "kept" if found else "computed").inc()
    if found:
        kept: bytes = body
        return kept
    total: int | None = None
    cube: Cube | None = None
    if q.order is not None and q.order[0] == reading.stored_by:
        table, total = _in_stored_order(reading, q, q.order[1], limit, offset, seconds)
    elif q.unordered:
        table = _scanned(reading, q, offset, limit, seconds)
    elif (cube := cube_of(q, limit, offset)) is not None and ready(reading, q, cube, seconds):
        # A group_by count: the same statement on the release's rows counted by its fields.
        table = run(reading.cursor, cube.sql, q.params, seconds=seconds)
    else:
        cube = None
        table = run(reading.cursor, q.sql, q.params, seconds=seconds)
    if total is None:
        # A page that is not full is the last one (an empty page past the end is not): the total
        # needs no second query.
        last = table.num_rows < limit and (table.num_rows > 0 or offset == 0)
        if last:
            total = offset + table.num_rows
        elif cube is not None:
            total = int(run(reading.cursor, cube.count_sql, q.params, seconds=seconds).column(0)[0].as_py())
        else:
            total = _total(reading, q, seconds)
    encoded = encode(table, total, tz)
    reading.answers.keep(key, encoded)
    return encoded


def _in_stored_order(
    reading: Reading, q: Query, descending: bool, limit: int, offset: int, seconds: float
) -> tuple[pa.Table, int | None]:
    """A page ordered by the column the release's rows are stored by (newest first), read off a
    filtered scan that stops after the page instead of sorting every matching row (a sort past
    ``offset + limit`` = 5,000 rows cost 10–20 ms: docs/benchmarks.md).

    Newest first, the page is the scan's rows from ``offset``; oldest first, it is the scan's
    rows counted back from the end, reversed, which the total (needed anyway) places. So ties
    come in the stored order one way and reversed the other: each page of a query, at any
    offset, is a slice of one order. Returns the page and the total when it was counted.
    """
    import pyarrow as pa

    if descending:
        return _scanned(reading, q, offset, limit, seconds), None
    total = _total(reading, q, seconds)
    start = max(0, total - offset - limit)
    rows = _scanned(reading, q, start, max(0, total - offset - start), seconds)
    return rows.take(pa.array(range(rows.num_rows - 1, -1, -1), pa.int64())), total


def _scanned(reading: Reading, q: Query, start: int, count: int, seconds: float) -> pa.Table:
    """The ``count`` rows of ``q`` from its ``start``-th in the stored order: a scan from the table's
    first row, or for one equality from the checkpoint at or before ``start`` (its rows up to
    there are skipped by position, not read)."""
    at = _checkpoint(reading, q, start, seconds)
    if at is None:
        return run(reading.cursor, f"{q.rows_sql} LIMIT {count} OFFSET {start}", q.params, seconds=seconds)
    row, skip = at
    # The release's own columns: the table has the rows' ids besides (the view leaves them out).
    columns = ", ".join(f"* EXCLUDE ({quote(FID)})" if c == "*" else c for c in q.columns)
    sql = (
        f"SELECT {columns} FROM {TABLE} WHERE rowid >= {row} AND {q.condition} "  # noqa: S608 - parsed parts, a number
        f"LIMIT {count} OFFSET {skip}"
    )
    return run(reading.cursor, sql, q.params, seconds=seconds)


def _checkpoint(reading: Reading, q: Query, start: int, seconds: float) -> tuple[int, int] | None:
    """(position, matching rows to skip from it) of the ``start``-th row of ``q``'s one equality,
    from its field's checkpoints; ``None`` when it is not one equality on a loaded table, its
    field has too many values, or its value holds no row."""
    facet = q.facet
    if facet is None or not reading.positioned:
        return None
    # Checkpoints for a facet only (its counts hold at most FACET_VALUES values), of a value with rows.
    counts = _counts(reading, q, facet, seconds)[1]
    if counts is None or not counts.get(facet.value):
        return None
    key: tuple[Hashable, ...] = ("positions", facet.field, isinstance(facet.value, str))
    found, checkpoints = reading.answers.shared(key, lambda: positions(reading, facet, seconds))
    metrics.OPENDATA_ANSWERS.labels("positions", "kept" if found else "computed").inc()
    at = checkpoints.get(facet.value)
    if not at:
        return None
    # Past the value's last checkpoint, the last one: the scan then finds the page's end, or nothing.
    n = min(start // STEP, len(at) - 1)
    return at[n], start - n * STEP


def positions(reading: Reading, facet: Facet, seconds: float) -> dict[Any, array[int]]:
    """Each value of the facet's field (keyed as ``value_counts`` keys it): the positions
    (``rowid``) of its rows 0, STEP, 2 × STEP, … in the stored order."""
    column = quote(facet.field) if isinstance(facet.value, str) else f"CAST({quote(facet.field)} AS DOUBLE)"
    # Every STEP-th of each value's positions in order (a row_number() window took up to twice the CPU).
    sql = (
        f"SELECT {column} AS v, list_slice(list(rowid ORDER BY rowid), 1, -1, {STEP}) AS r "  # noqa: S608 - quoted names
        f"FROM {TABLE} WHERE {quote(facet.field)} IS NOT NULL GROUP BY 1"
    )
    rows = run(reading.cursor, sql, seconds=seconds)
    return {
        v: array("q", r)
        for v, r in zip(rows.column("v").to_pylist(), rows.column("r").to_pylist(), strict=True)
    }


def _total(reading: Reading, q: Query, seconds: float) -> int:
    """The number of rows ``q`` matches: from its field's counts for one equality, else counted."""
    if q.facet is not None:
        found, counts = _counts(reading, q, q.facet, seconds)
        if counts is not None:
            metrics.OPENDATA_ANSWERS.labels("total", "kept" if found else "computed").inc()
            return int(counts.get(q.facet.value, 0))
    key: tuple[Hashable, ...] = ("count", q.count_sql, typed(q.count_params))
    found, total = reading.answers.find(key)
    metrics.OPENDATA_ANSWERS.labels("total", "kept" if found else "computed").inc()
    if not found:
        total = int(run(reading.cursor, q.count_sql, q.count_params, seconds=seconds).column(0)[0].as_py())
        reading.answers.keep(key, total)
    return int(total)


def _counts(reading: Reading, q: Query, facet: Facet, seconds: float) -> tuple[bool, dict[Any, int] | None]:
    """(kept, the facet's field's counts by value, or ``None`` for a field of too many values)."""
    key = ("counts", facet.field, isinstance(facet.value, str))
    found, counts = reading.answers.shared(key, lambda: value_counts(reading, q.table, facet, seconds))
    return found, counts


def value_counts(reading: Reading, table: str, facet: Facet, seconds: float) -> dict[Any, int] | None:
    """How many rows hold each value of the facet's field (numbers as doubles, as ``facet`` has
    them), one scan per field and release; ``None`` past ``FACET_VALUES`` values (an identifier:
    its totals are counted per query)."""
    column = quote(facet.field) if isinstance(facet.value, str) else f"CAST({quote(facet.field)} AS DOUBLE)"
    sql = (
        f"SELECT {column} AS v, count(*) AS n FROM {quote(table)} "  # noqa: S608 - quoted names
        f"WHERE {quote(facet.field)} IS NOT NULL GROUP BY 1 LIMIT {FACET_VALUES + 1}"
    )
    rows = run(reading.cursor, sql, seconds=seconds)
    if rows.num_rows > FACET_VALUES:
        return None
    return dict(zip(rows.column("v").to_pylist(), rows.column("n").to_pylist(), strict=True))


def encode(table: pa.Table, total: int, tz: ZoneInfo) -> bytes:
    """``{"total_count", "results"}`` in JSON, moments in ``tz`` (ISO 8601 with their offset)."""
    utc = tz.key in ("UTC", "Etc/UTC")
    columns = [_values(f, column, tz, utc) for f, column in zip(table.schema, table.columns, strict=True)]
    names = table.column_names
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return orjson.dumps(
        {"total_count": total, "results": rows}, default=json_default, option=orjson.OPT_NAIVE_UTC
    )


def _values(f: pa.Field, column: pa.ChunkedArray, tz: ZoneInfo, utc: bool) -> list[Any]:
    """A column's values as Python objects for orjson."""
    import pyarrow as pa  # loaded already: the table comes from DuckDB's Arrow result

    if pa.types.is_dictionary(f.type):  # an ENUM column (release_tables): its texts
        return column.cast(f.type.value_type).to_pylist()  # type: ignore[no-any-return]
    if not pa.types.is_timestamp(f.type):
        return column.to_pylist()  # type: ignore[no-any-return]
    # Arrow keeps the instant (a moment without a zone is UTC, the release's convention). In UTC,
    # plain values that orjson writes with +00:00, made by NumPy: Arrow's own to_pylist of
    # moments took half a page's encoding (docs/benchmarks.md, records API, 2026-12-07 night).
    # Where NumPy gives numbers (nanoseconds, years beyond datetime's), Arrow's way (which refuses
    # those years, as before).
    if utc:
        values: list[Any] = column.to_numpy().tolist()
        if not any(type(v) is int for v in values):
            return values
    # Elsewhere converted to ``tz`` (making zone-aware datetimes costs more than the rest).
    return column.cast(pa.timestamp(f.type.unit, tz=None if utc else tz.key)).to_pylist()  # type: ignore[no-any-return]


__all__ = ["answer", "answer_key", "encode", "etag", "typed"]
