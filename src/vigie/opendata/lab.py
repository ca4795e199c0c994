"""The data lab: read-only SQL over the published releases, saved and shared queries.

Every published dataset is a view named after its id (its latest release's
Parquet file), in a DuckDB opened on those files only: no other file, no
network, no extension, no ``SET``; one statement, a query (``SELECT``, ``WITH``,
``VALUES``, ``PIVOT``…), within the time, memory, row and size limits of the
settings. Nothing unpublished is reachable: blocked releases have no file, and
unpublished datasets no view. The query runs in the lab's query process
(``lab_worker``, ``lab_child``), never in the web process: its time and memory
limits are that process's, enforced by a kill, and no server path reaches it.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from vigie.db import utcnow
from vigie.errors import BadRequest, NotFound, ValidationFailed
from vigie.opendata.lab_storage import LabQueryRow
from vigie.opendata.lab_worker import Limits, lab_process
from vigie.opendata.queries import published_datasets, release_store
from vigie.opendata.scanner import EMAIL, PHONE
from vigie.runtime import Vigie

MAX_SQL = 20_000
# Largest answer, in Arrow's bytes as read and in JSON as sent: a few rows can be huge
# (``repeat('x', 10^8)``, a list of ``range(10^7)``).
MAX_ANSWER_BYTES = 8 * 1024 * 1024


@dataclass
class LabResult:
    """An answer as the query process wrote it (``{"columns", "rows", "truncated"}``'s JSON),
    kept as bytes: parsed, 8 MB of small values would take ten times that in the web process."""

    body: bytes
    elapsed_ms: float

    def to_bytes(self) -> bytes:
        """The API's answer: the query process's JSON with ``elapsed_ms`` added."""
        return b'{"elapsed_ms":' + orjson.dumps(round(self.elapsed_ms, 1)) + b"," + self.body[1:]


def check_sql(sql: str) -> str:
    """One read-only statement, or a 400 saying why not (parsed by DuckDB, loaded here first)."""
    import duckdb

    sql = (sql or "").strip().rstrip(";").strip()
    if not sql:
        raise ValidationFailed("write a query (SELECT … FROM a dataset)", field="sql", reason="lab.empty")
    if len(sql) > MAX_SQL:
        raise ValidationFailed(
            f"the query is longer than {MAX_SQL} characters",
            field="sql",
            reason="lab.too_long",
            params={"max": MAX_SQL},
        )
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        detail = str(exc).splitlines()[0][:300]
        raise BadRequest(
            f"query refused: {detail}", field="sql", reason="lab.syntax_error", params={"detail": detail}
        ) from None
    if len(statements) != 1:
        raise BadRequest(
            "one statement at a time", field="sql", reason="lab.statements", params={"found": len(statements)}
        )
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = statements[0].type.name
        raise BadRequest(
            f"only queries are run here (SELECT, WITH…), not {kind}",
            field="sql",
            reason="lab.not_a_query",
            params={"kind": kind},
        )
    return sql


def datasets(v: Vigie) -> dict[str, Any]:
    """The views a lab query can read: dataset id -> its latest release's file."""
    store = release_store(v)
    return {p.id: store.local_path(p.release.file_key) for p in published_datasets(v)}


def run_lab_query(v: Vigie, sql: str) -> LabResult:
    """Run one checked query in the lab's query process, within the settings' limits."""
    sql = check_sql(sql)
    s = v.settings
    limits = Limits(
        seconds=s.lab_seconds, memory_mb=s.lab_memory_mb, rows=s.lab_rows, max_bytes=MAX_ANSWER_BYTES
    )
    views = {name: str(path) for name, path in datasets(v).items()}
    request = {"sql": sql, "views": views, "rows": limits.rows, "max_bytes": limits.max_bytes}
    started = time.perf_counter()
    body = lab_process(v).ask(request, limits)
    return LabResult(body, (time.perf_counter() - started) * 1000)


def check_no_contact(text: str, field: str) -> None:
    """Saved queries are public (the lab's page lists the latest): none may carry an e-mail
    address or a phone number, the personal data scanner's patterns."""
    for pattern, what, code in ((EMAIL, "an e-mail address", "email"), (PHONE, "a phone number", "phone")):
        if re.search(pattern, text):
            raise ValidationFailed(
                f"{field} holds what looks like {what}: saved queries are public, leave it out",
                field=field,
                reason=f"lab.saved_{code}",
                params={"field": field},
            )


def do_save_query(v: Vigie, title: str, sql: str) -> LabQueryRow:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed("a title of 1 to 200 characters", field="title", reason="lab.title")
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
