"""Rows written in bulk, the fastest way each driver has: COPY on PostgreSQL, multi-row
INSERTs on SQLite, the values converted column by column.

What :func:`vigie.reports.inserts.insert_new` writes a batch of new reports with (and the
import benchmark's floor, ``bench/bench_import.py``, the same rows with no check). A
column's values go through its type's bind processor, so what is stored is what
``Connection.execute`` would store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.exc import DBAPIError


def write_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows (dicts with the same keys) into ``table``: :func:`write_columns` of their columns."""
    if not rows:
        return
    names = list(rows[0])
    # The rows' values taken and turned into columns by C loops (itemgetter, zip).
    if len(names) == 1:  # itemgetter of one name gives the value, not a 1-tuple
        columns: list[Sequence[Any]] = [[row[names[0]] for row in rows]]
    else:
        columns = list(zip(*map(itemgetter(*names), rows), strict=True))
    write_columns(conn, table, names, columns)


def write_columns(conn: Connection, table: Table, names: Sequence[str], columns: list[Sequence[Any]]) -> None:
    """Rows given column by column (``columns[i]`` holds every row's value of ``names[i]``) into
    ``table`` in ``conn``'s transaction, the fastest way each driver has.

    PostgreSQL: COPY (a quarter of multi-row INSERTs' cost); SQLite: multi-row
    INSERTs, as few as its parameter limit allows. Values go through their column type's bind
    processor, so what is stored is what ``Connection.execute`` would store, and a
    driver error comes back as SQLAlchemy's exception (IntegrityError…).

    A batch is converted column by column: a processor runs over a column with a C loop
    (``map``), once for a column holding one value in every row (NULLs, the constants of
    an import), and once per distinct value of a JSON column (most reports of a batch
    share their attributes). Equal values of another type convert to the same stored value.
    """
    if not columns or not columns[0]:
        return
    dialect = conn.dialect
    count = len(columns[0])
    columns = list(columns)
    for i, name in enumerate(names):
        type_ = table.c[name].type
        proc = type_.dialect_impl(dialect).bind_processor(dialect)
        if proc is None:
            continue
        column = columns[i]
        first = column[0]
        if isinstance(type_, JSON):
            text_of = _json_text(conn, proc) if dialect.name == "postgresql" else proc
            columns[i] = _json_column(text_of, column)
        elif column.count(first) == count:  # one value in every row: converted once
            columns[i] = [proc(first)] * count
        else:
            columns[i] = list(map(proc, column))
    values = list(zip(*columns, strict=True))
    sql_columns = ", ".join(names)
    dbapi_error = dialect.loaded_dbapi.Error
    driver = conn.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    # Table and column names come from the metadata, never from input.
    if dialect.name == "postgresql":
        sql = f"COPY {table.name} ({sql_columns}) FROM STDIN"
    else:
        sql = f"INSERT INTO {table.name} ({sql_columns}) VALUES "  # noqa: S608
    try:
        if dialect.name == "postgresql":
            with cursor.copy(sql) as copy:
                for row_values in values:
                    copy.write_row(row_values)
        else:
            # Multi-row INSERTs, as many rows each as SQLite takes parameters, not
            # executemany's statement a row: the word search's FTS5 index (filled by a
            # trigger on reports) writes its pending terms out at the end of every
            # statement, a new segment each, to be merged later. A statement a row made a
            # report's insert cost about 140 us of CPU, one statement a batch about 50
            # (docs/benchmarks.md, issue 14).
            marks = "(" + ", ".join("?" * len(names)) + ")"
            start = 0
            limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
            for size in _chunks(len(values), limit // len(names)):
                part = values[start : start + size]
                cursor.execute(sql + ", ".join([marks] * size), list(chain.from_iterable(part)))
                start += size
    except dbapi_error as exc:
        raise DBAPIError.instance(sql, {}, exc, dbapi_error) from exc
    finally:
        cursor.close()


def _json_text(conn: Connection, proc: Callable[[Any], Any]) -> Callable[[Any], str]:
    """PostgreSQL: a JSON value's text, as the driver would write it (its JSON dumper and
    ``dumps``), so that COPY is given the text once per distinct value (:func:`_json_column`)
    instead of the driver serialising every row's."""
    from psycopg.adapt import PyFormat

    adapters = conn.connection.driver_connection.adapters  # type: ignore[union-attr]

    def text(value: Any) -> str:
        wrapped = proc(value)
        if wrapped is None:
            return None  # type: ignore[return-value]  # NULL stays NULL
        dumper = adapters.get_dumper(type(wrapped), PyFormat.TEXT)(type(wrapped), adapters)
        return bytes(dumper.dump(wrapped)).decode()

    return text


def _json_column(proc: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    """``proc`` over a JSON column, once per distinct value. Told apart by their ``repr``,
    which keeps what equality merges and the JSON text does not (``1``, ``1.0``, ``True``)."""
    done: dict[str, Any] = {}
    out = []
    for value in column:
        key = repr(value)
        found = done.get(key, done)
        if found is done:
            found = done[key] = proc(value)
        out.append(found)
    return out


MAX_ROWS_A_STATEMENT = 256


def _chunks(count: int, limit: int) -> list[int]:
    """Rows a statement for ``count`` rows: as many as fit (``limit``), at most 256, then
    the rest in powers of two. The driver keeps each statement it compiled, and a batch's
    size varies (its history entries): a few sizes keep that cache small (flat memory)."""
    top = 1
    while top * 2 <= min(limit, MAX_ROWS_A_STATEMENT):
        top *= 2
    sizes = [top] * (count // top)
    rest = count % top
    sizes += [bit for bit in (1 << i for i in range(top.bit_length() - 1, -1, -1)) if rest & bit]
    return sizes


__all__ = ["MAX_ROWS_A_STATEMENT", "write_columns", "write_rows"]
