"""The data lab: read-only SQL over the published releases, saved and shared queries.

Every published dataset is a view named after its id (its latest release's
Parquet file), in a DuckDB opened on those files only (``explore_engine``):
no other file, no network, no extension, no ``SET``; one statement, a query
(``SELECT``, ``WITH``, ``VALUES``, ``PIVOT``…), within the time, memory and row
limits of the settings. Nothing unpublished is reachable: blocked releases
have no file, and unpublished datasets no view.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from vigie.db import utcnow
from vigie.errors import BadRequest, NotFound, ValidationFailed
from vigie.opendata.explore_engine import run, sandbox
from vigie.opendata.exports import plain
from vigie.opendata.lab_storage import LabQueryRow
from vigie.opendata.queries import published_datasets, release_store
from vigie.opendata.scanner import EMAIL, PHONE
from vigie.runtime import Vigie

MAX_SQL = 20_000
# Largest answer, in Arrow's bytes: a few rows can be huge (``repeat('x', 10^8)``, a list of
# ``range(10^7)``) and each byte of them costs ten in Python objects and JSON.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
UTC = __import__("zoneinfo").ZoneInfo("UTC")


@dataclass
class LabResult:
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    truncated: bool
    elapsed_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def check_sql(sql: str) -> str:
    """One read-only statement, or a 400 saying why not (parsed by DuckDB, loaded here first)."""
    import duckdb

    sql = (sql or "").strip().rstrip(";").strip()
    if not sql:
        raise ValidationFailed("write a query (SELECT … FROM a dataset)", field="sql")
    if len(sql) > MAX_SQL:
        raise ValidationFailed(f"the query is longer than {MAX_SQL} characters", field="sql")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise BadRequest(f"query refused: {str(exc).splitlines()[0][:300]}", field="sql") from None
    if len(statements) != 1:
        raise BadRequest("one statement at a time", field="sql")
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = statements[0].type.name
        raise BadRequest(f"only queries are run here (SELECT, WITH…), not {kind}", field="sql")
    return sql


def datasets(v: Vigie) -> dict[str, Any]:
    """The views a lab query can read: dataset id -> its latest release's file."""
    store = release_store(v)
    return {p.id: store.local_path(p.release.file_key) for p in published_datasets(v)}


def run_lab_query(v: Vigie, sql: str) -> LabResult:
    sql = check_sql(sql)
    limit = v.settings.lab_rows
    views = datasets(v)
    started = time.perf_counter()
    with sandbox(views, memory_mb=v.settings.lab_memory_mb) as conn:
        table = run(conn, f"SELECT * FROM ({sql}) LIMIT {limit + 1}", seconds=v.settings.lab_seconds)  # noqa: S608 - one checked query, run sandboxed
    elapsed = (time.perf_counter() - started) * 1000
    if table.nbytes > MAX_ANSWER_BYTES:
        raise BadRequest(
            f"the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MB: "
            "select fewer or shorter values",
            field="sql",
        )
    columns = [{"name": f.name, "type": str(f.type)} for f in table.schema]
    rows = [[plain(value, UTC) for value in row.values()] for row in table.slice(0, limit).to_pylist()]
    return LabResult(columns, rows, table.num_rows > limit, elapsed)


def check_no_contact(text: str, field: str) -> None:
    """Saved queries are public (the lab's page lists the latest): none may carry an e-mail
    address or a phone number, the personal data scanner's patterns."""
    for pattern, what in ((EMAIL, "an e-mail address"), (PHONE, "a phone number")):
        if re.search(pattern, text):
            raise ValidationFailed(
                f"{field} holds what looks like {what}: saved queries are public, leave it out",
                field=field,
            )


def do_save_query(v: Vigie, title: str, sql: str) -> LabQueryRow:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed("a title of 1 to 200 characters", field="title")
    sql = check_sql(sql)
    check_no_contact(title, "title")
    check_no_contact(sql, "sql")
    row = LabQueryRow(id=secrets.token_urlsafe(9), title=title, sql=sql, created_at=utcnow())
    with v.db.session(write=True) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        s.expunge(row)
    return row


def saved_query(v: Vigie, query_id: str) -> LabQueryRow:
    with v.db.session() as s:
        row = s.scalar(select(LabQueryRow).where(LabQueryRow.id == query_id))
        if row is None:
            raise NotFound(f"no saved query {query_id!r}")
        s.expunge(row)
        return row


def recent_queries(v: Vigie, limit: int = 20) -> list[LabQueryRow]:
    with v.db.session() as s:
        rows = list(s.scalars(select(LabQueryRow).order_by(LabQueryRow.created_at.desc()).limit(limit)))
        for r in rows:
            s.expunge(r)
        return rows


__all__ = [
    "LabResult",
    "check_no_contact",
    "check_sql",
    "do_save_query",
    "recent_queries",
    "run_lab_query",
    "saved_query",
]
