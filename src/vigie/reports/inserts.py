"""The rows of new reports and how they reach the database.

One report goes in with statements compiled once (:class:`vigie.db.Prepared`):
on PostgreSQL a single statement (:func:`pg_insert`), on SQLite three. A batch
(imports, the demo, any list of submissions) goes in set-based: its ids drawn
at once, then one multi-row insert of the reports and one of their history
(:func:`insert_many`: COPY on PostgreSQL, multi-row INSERTs on SQLite). Which is used is decided by
:func:`vigie.reports.intake.do_create_reports` alone.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    String,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    insert,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vigie.accounts.domain import Agent
from vigie.db import Prepared, prepared_insert, utcnow
from vigie.events.changes import ReportCreated
from vigie.reports.actions import report_event, resident_lang
from vigie.reports.domain import CLOSED, Channel, Status, default_public_description, expected_datetime
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.sqljson import lit

if TYPE_CHECKING:  # intake imports this module
    from vigie.reports.intake import CheckedSubmission

_REPORTS: Table = ReportRow.__table__  # type: ignore[assignment]
_UPDATES: Table = ReportUpdateRow.__table__  # type: ignore[assignment]
# Compiled once: the intake's statements run on the driver's cursor (vigie.db.Prepared).
INSERT_REPORT = prepared_insert(
    _REPORTS, [c.key for c in _REPORTS.columns if c.key not in ("id", "reference")], returning="id"
)
INSERT_UPDATE = prepared_insert(_UPDATES, [c.key for c in _UPDATES.columns if c.key != "id"])
SET_REFERENCE = Prepared(
    update(_REPORTS).where(_REPORTS.c.id == bindparam("rid")).values(reference=bindparam("ref"))
)


_PG_INSERTS: dict[tuple[int, bool], Prepared] = {}


def pg_insert(entries: int, notify: bool = False) -> Prepared:
    """PostgreSQL: the report, its reference and its first ``entries`` history rows in one statement.

    Each round trip to the server costs the driver more interpreter time than
    the insert costs the server: the id is drawn from the sequence first so that
    the reference can be written with the row, and the history rows are inserted
    from the same statement (data-modifying CTEs). With ``notify`` the statement
    also sends the event's NOTIFY, with the id and reference put in its text.
    """
    found = _PG_INSERTS.get((entries, notify))
    if found is not None:
        return found
    cols = [c for c in _REPORTS.columns if c.key not in ("id", "reference")]
    ucols = [c for c in _UPDATES.columns if c.key not in ("id", "report_id")]
    # Constants are written into the statement: Prepared binds only the named values.
    sequence = func.pg_get_serial_sequence(lit("reports"), lit("id"))
    nid = select(func.nextval(sequence).label("id")).cte("nid")
    number = cast(nid.c.id, Text)
    # f"{id:06d}": at least six digits (lpad alone would cut longer ones).
    digits = case((nid.c.id < lit(1_000_000), func.lpad(number, lit(6), lit("0"))), else_=number)
    reference = cast(bindparam("ref_prefix", type_=String), Text).concat(digits)
    report = select(nid.c.id, reference, *[bindparam(c.key, type_=c.type) for c in cols])
    ins = (
        insert(_REPORTS)
        .from_select(["id", "reference", *[c.key for c in cols]], report)
        .returning(_REPORTS.c.id, _REPORTS.c.reference)
        .cte("ins")
    )
    entry_rows = [
        select(ins.c.id, *[bindparam(f"h{i}_{c.key}", type_=c.type) for c in ucols]) for i in range(entries)
    ]
    rows = entry_rows[0] if entries == 1 else union_all(*entry_rows)
    # Data-modifying CTEs run to completion whether or not the main query reads them.
    history = insert(_UPDATES).from_select(["report_id", *[c.key for c in ucols]], rows).cte("hist")
    out: list[Any] = [ins.c.id]
    if notify:
        # The reference first: its mark contains the id's.
        event = bindparam("notify_event", type_=Text)
        text = func.replace(event, bindparam("notify_ref_mark", type_=Text), ins.c.reference)
        text = func.replace(text, bindparam("notify_id_mark", type_=Text), cast(ins.c.id, Text))
        out.append(func.pg_notify(bindparam("notify_channel", type_=Text), text))
    stmt = select(*out).select_from(ins).add_cte(nid).add_cte(ins).add_cte(history)
    found = _PG_INSERTS[(entries, notify)] = Prepared(stmt)
    return found


def pg_params(prefix: str, values: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    """The bound values of :func:`pg_insert`; ``prefix`` is the reference's part before the id."""
    params = {**values, "ref_prefix": prefix}
    for i, h in enumerate(history):
        params.update({f"h{i}_{k}": val for k, val in h.items()})
    return params


def draw_ids(conn: Connection, count: int) -> list[int]:
    """``count`` new report ids, in order, for rows inserted with their id given.

    PostgreSQL draws them from the column's sequence in one statement. SQLite
    gives a new row the largest id plus one; writers hold the database's write
    lock for their whole transaction (BEGIN IMMEDIATE), so nobody else can take
    these before the insert (and if one did, the insert would fail, not clash).
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = "pg_get_serial_sequence('reports', 'id')"
        q = text(f"SELECT nextval({seq}) FROM generate_series(1, :n) ORDER BY 1")  # noqa: S608 - constant
        return [int(i) for i in conn.execute(q, {"n": count}).scalars()]
    top = conn.execute(text("SELECT coalesce(max(id), 0) FROM reports")).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


def insert_many(
    conn: Connection,
    reports: Sequence[dict[str, Any]],
    histories: Sequence[list[dict[str, Any]]],
    reference: Callable[[int, dict[str, Any]], str],
) -> list[int]:
    """Insert reports (column values without id) and their history entries, set-based.

    ``reference(id, values)`` names a report whose values carry no ``reference``.
    Returns the ids, in the order of ``reports``. Two statements whatever the
    batch's size (the driver sends them as multi-row inserts), plus one to draw
    the ids: per row, the cost is the database's own.
    """
    ids = draw_ids(conn, len(reports))
    rows = []
    for rid, values in zip(ids, reports, strict=True):
        row = {**values, "id": rid}
        if not row.get("reference"):
            row["reference"] = reference(rid, values)
        rows.append(row)
    write_rows(conn, _REPORTS, rows)
    entries = [{**h, "report_id": rid} for rid, history in zip(ids, histories, strict=True) for h in history]
    if entries:
        write_rows(conn, _UPDATES, entries)
    return ids


def write_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows (same keys) into ``table`` in ``conn``'s transaction, the fastest way each driver has.

    PostgreSQL: COPY (a quarter of multi-row INSERTs' cost); SQLite: multi-row
    INSERTs, as few as its parameter limit allows. Values go through their column type's bind
    processor, so what is stored is what ``Connection.execute`` would store, and a
    driver error comes back as SQLAlchemy's exception (IntegrityError…).
    """
    if not rows:
        return
    dialect = conn.dialect
    names = list(rows[0])
    # Column by column: the rows' values taken and turned back into rows by C loops
    # (itemgetter, zip), and a processor called only on a column that has values.
    if len(names) == 1:  # itemgetter of one name gives the value, not a 1-tuple
        by_column: list[Sequence[Any]] = [[row[names[0]] for row in rows]]
    else:
        by_column = list(zip(*map(itemgetter(*names), rows), strict=True))
    for i, name in enumerate(names):
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        column = by_column[i]
        if proc is None or (column.count(None) == len(column) and proc(None) is None):
            continue  # nothing to turn (a column of NULLs stays one)
        by_column[i] = list(map(proc, column))
    values = list(zip(*by_column, strict=True))
    columns = ", ".join(names)
    dbapi_error = dialect.loaded_dbapi.Error
    driver = conn.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    # Table and column names come from the metadata, never from input.
    if dialect.name == "postgresql":
        sql = f"COPY {table.name} ({columns}) FROM STDIN"
    else:
        sql = f"INSERT INTO {table.name} ({columns}) VALUES "  # noqa: S608
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


# --- the rows of a new report -------------------------------------------------


def _new_report(
    v: Vigie, checked: CheckedSubmission, agent: Agent | None, history: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column values of a new report and of its first history entries (without ids).

    In ``history`` no SLA clock runs: no due date. A source's reference number is
    written in the city's scheme (``reference``).
    """
    sub = checked.sub
    requested = sub.requested_at or utcnow()
    proc = checked.procedure
    status = Status(sub.status) if sub.status else Status.NEW
    values: dict[str, Any] = {
        "service_code": checked.service.code,
        "service_group": checked.service.group,
        "status": status.value,
        "public": checked.service.public,
        "description": checked.description,
        "lat": checked.lat,
        "long": checked.long,
        "address": checked.address,
        "address_id": checked.address_id,
        "zone": checked.zone,
        "attributes": checked.attributes,
        "channel": checked.channel.value,
        "priority": (proc.priority or checked.service.default_priority).value,
        "procedure_id": proc.id,
        "team": proc.team,
        "assigned_user_id": None,
        "reject_reason": "",
        "duplicate_of_id": None,
        "reporter_name": (sub.reporter_name or "").strip(),
        "reporter_email": sub.reporter_email or "",
        "reporter_phone": (sub.reporter_phone or "").strip(),
        "reporter_lang": resident_lang(v, sub.reporter_lang),
        "device_id": sub.device_id or "",
        "account_id": sub.account_id or "",
        "token": checked.token,
        "external_id": sub.external_id,
        "requested_at": requested,
        "updated_at": sub.updated_at or sub.closed_at or requested,
        "expected_at": None
        if history
        else expected_datetime(
            requested,
            proc.sla.hours,
            proc.sla.business_hours,
            v.city.business_hours,
            v.city.timezone,
        ),
        "acknowledged_at": None,
        "closed_at": sub.closed_at if status in CLOSED else None,
        "public_description": default_public_description(checked.description),
        "public_checked_at": None,
        "erased_at": None,
        "status_notes": sub.status_notes or "",
    }
    if sub.reference_number:
        values["reference"] = _reference_prefix(v, requested) + sub.reference_number
    entries: list[dict[str, Any]] = [
        {
            "kind": "created",
            "status": Status.NEW.value,
            "previous_status": None,
            "actor_user_id": agent.id if agent else None,
            "actor_label": agent.label if agent else checked.channel.value,
            "public_note": "",
            "internal_note": "",
            "detail": {"media": list(sub.media_urls)} if sub.media_urls else {},
            "at": requested,
        }
    ]
    if status != Status.NEW:
        entries.append(
            {
                "kind": "status",
                "status": status.value,
                "previous_status": Status.NEW.value,
                "actor_user_id": None,
                "actor_label": checked.channel.value,
                "public_note": sub.status_notes or "",
                "internal_note": "",
                "detail": {},
                "at": sub.closed_at or requested,
            }
        )
    return values, entries


def _reference_prefix(v: Vigie, requested: datetime) -> str:
    return f"{v.city.reference_prefix}-{requested.astimezone(v.city.timezone).year}-"


def _reference(v: Vigie, report_id: int, requested: datetime) -> str:
    return f"{_reference_prefix(v, requested)}{report_id:06d}"


# A report's id is drawn by its INSERT, but the NOTIFY that announces it is written
# before: its event carries this number in the id's place (and in the reference's),
# and the statement puts the real ones in. Random per process, never shown: no
# submitted text can be written to contain it.
ID_MARK = 10**15 + secrets.randbelow(9 * 10**15)


def submit_in_one_statement(v: Vigie, checked: CheckedSubmission) -> tuple[ReportRow, bool] | None:
    """PostgreSQL: write a report that needs nothing else in one statement, outside a
    transaction block, its event's NOTIFY included. Returns (row, published), or None
    when the report needs more (a message to queue in the same transaction).

    A resident's plain report was four round trips (BEGIN, INSERT, COMMIT, then the
    NOTIFY on the bus's own connection); the driver's share of each is interpreter
    time that limited a server process to about 870 reports/s.
    """
    values, history = _new_report(v, checked, None)
    requested = values["requested_at"]
    row = ReportRow(id=ID_MARK, reference=_reference(v, ID_MARK, requested), **values)
    set_committed_value(row, "photos", [])
    if v.messages.needs_transaction(ReportCreated(row)):
        return None
    params = pg_params(_reference_prefix(v, requested), values, history)
    notice = None
    if checked.channel != Channel.IMPORT:
        notice = v.bus.notification(report_event(v, "report.created", row))
    if notice is not None:
        params.update(
            notify_channel=notice[0],
            notify_event=notice[1],
            notify_ref_mark=row.reference,
            notify_id_mark=str(ID_MARK),
        )
    with v.db.one_statement_connection() as conn:
        rid = pg_insert(len(history), notify=notice is not None).execute(conn, params)
    set_committed_value(row, "id", rid)
    set_committed_value(row, "reference", _reference(v, rid, requested))
    return row, notice is not None


def _write_report(v: Vigie, s: Session, checked: CheckedSubmission, agent: Agent | None) -> ReportRow:
    """Insert a new report with plain statements in ``s``'s transaction.

    The interactive intake path: no unit of work (the ORM flush costs more than
    the SQL); three statements on SQLite, one on PostgreSQL. Returns the row as a
    detached object.
    """
    values, history = _new_report(v, checked, agent)
    conn = s.connection()
    requested = values["requested_at"]
    if conn.dialect.name == "postgresql" and history:
        rid = pg_insert(len(history)).execute(
            conn, pg_params(_reference_prefix(v, requested), values, history)
        )
        reference = _reference(v, rid, requested)
    else:
        rid = INSERT_REPORT.execute(conn, values)
        reference = _reference(v, rid, requested)
        SET_REFERENCE.execute(conn, {"rid": rid, "ref": reference})
        for h in history:
            INSERT_UPDATE.execute(conn, {"report_id": rid, **h})
    row = ReportRow(id=rid, reference=reference, **values)
    set_committed_value(row, "photos", [])
    return row


def write_reports(
    v: Vigie, s: Session, items: list[CheckedSubmission], agent: Agent | None, history: bool
) -> tuple[list[int], list[ReportRow]]:
    """Insert new reports in ``s``'s transaction: ids, and rows (none in history mode)."""
    if len(items) == 1 and not history and not items[0].sub.reference_number:
        row = _write_report(v, s, items[0], agent)
        return [row.id], [row]
    new = [_new_report(v, checked, agent, history) for checked in items]
    ids = insert_many(
        s.connection(),
        [values for values, _ in new],
        [entries for _, entries in new],
        lambda rid, values: _reference(v, rid, values["requested_at"]),
    )
    if history:
        return ids, []
    rows = []
    for rid, (values, _) in zip(ids, new, strict=True):
        values.setdefault("reference", _reference(v, rid, values["requested_at"]))
        row = ReportRow(id=rid, **values)
        set_committed_value(row, "photos", [])
        rows.append(row)
    return ids, rows


__all__ = [
    "ID_MARK",
    "INSERT_REPORT",
    "INSERT_UPDATE",
    "SET_REFERENCE",
    "draw_ids",
    "insert_many",
    "write_rows",
    "pg_insert",
    "pg_params",
    "submit_in_one_statement",
    "write_reports",
]
