"""The rows of new reports and how they reach the database.

One report goes in with statements compiled once (:class:`vigie.db.Prepared`):
on PostgreSQL a single statement (:func:`pg_insert`), on SQLite three. A batch
(imports, the demo, any list of submissions) goes in set-based: its ids drawn
at once, then one multi-row insert of the reports and one of their history
(:func:`insert_new`: COPY on PostgreSQL, multi-row INSERTs on SQLite). Which is used is decided by
:func:`vigie.reports.intake.do_create_reports` alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
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
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vigie.accounts.domain import Agent
from vigie.db import Prepared, prepared_insert, utcnow
from vigie.events.changes import ReportCreated
from vigie.reports.actions import report_event, resident_lang
from vigie.reports.bulk import write_columns
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
# A new report's first entries have no sender's hash (only a resident's later message does).
_NOT_AT_CREATION = ("id", "sender_hash")
INSERT_UPDATE = prepared_insert(_UPDATES, [c.key for c in _UPDATES.columns if c.key not in _NOT_AT_CREATION])
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
    ucols = [c for c in _UPDATES.columns if c.key not in (*_NOT_AT_CREATION, "report_id")]
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


# --- the rows of a new report -------------------------------------------------

# The columns of a new report that :func:`_report_values` gives, in its order (not the id,
# nor the reference, which a report gets once its id is drawn unless its source kept one).
VALUE_COLUMNS = (
    "service_code",
    "service_group",
    "status",
    "public",
    "description",
    "lat",
    "long",
    "address",
    "address_id",
    "zone",
    "attributes",
    "channel",
    "priority",
    "procedure_id",
    "team",
    "assigned_user_id",
    "reject_reason",
    "duplicate_of_id",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "reporter_lang",
    "device_id",
    "account_id",
    "token",
    "external_id",
    "requested_at",
    "updated_at",
    "expected_at",
    "acknowledged_at",
    "closed_at",
    "public_description",
    "public_checked_at",
    "erased_at",
    "status_notes",
)
_REQUESTED = VALUE_COLUMNS.index("requested_at")
# The columns of a history entry that :func:`_report_values` gives (not its id nor report_id).
ENTRY_COLUMNS = (
    "kind",
    "status",
    "previous_status",
    "actor_user_id",
    "actor_label",
    "public_note",
    "internal_note",
    "detail",
    "at",
)
_STATUSES = {s.value: s for s in Status}

NewReport = tuple[tuple[Any, ...], str | None, list[tuple[Any, ...]]]


def _report_values(
    v: Vigie, checked: CheckedSubmission, agent: Agent | None, history: bool, now: datetime
) -> NewReport:
    """A new report's values (in :data:`VALUE_COLUMNS` order), its reference when the source
    kept its number (else None), and its first history entries (:data:`ENTRY_COLUMNS`).

    The one definition of a new report's row, for one report (:func:`_new_report`) or a
    batch (:func:`insert_new`: tuples, which a batch turns into columns without a
    dictionary a row). In ``history`` no SLA clock runs: no due date.
    """
    sub = checked.sub
    requested = sub.requested_at or now
    proc = checked.procedure
    service = checked.service
    # Status(...) for a value it does not know: its own error, as before.
    status = _STATUSES.get(sub.status) or Status(sub.status) if sub.status else Status.NEW
    # A closed report always has its closing date (retention, resolution times count from
    # it): one a source left out is its last change, else its request (docs/import.md).
    closed = (sub.closed_at or sub.updated_at or requested) if status in CLOSED else None
    channel = checked.channel.value
    values = (
        service.code,
        service.group,
        status.value,
        service.public,
        checked.description,
        checked.lat,
        checked.long,
        checked.address,
        checked.address_id,
        checked.zone,
        checked.attributes,
        channel,
        (proc.priority or service.default_priority).value,
        proc.id,
        proc.team,
        None,
        "",
        None,
        (sub.reporter_name or "").strip(),
        sub.reporter_email or "",
        (sub.reporter_phone or "").strip(),
        resident_lang(v, sub.reporter_lang),
        sub.device_id or "",
        sub.account_id or "",
        checked.token,
        sub.external_id,
        requested,
        sub.updated_at or closed or requested,
        None
        if history
        else expected_datetime(
            requested,
            proc.sla.hours,
            proc.sla.business_hours,
            v.city.business_hours,
            v.city.timezone,
        ),
        None,
        closed,
        default_public_description(checked.description),
        None,
        None,
        sub.status_notes or "",
    )
    reference = _reference_prefix(v, requested) + sub.reference_number if sub.reference_number else None
    media = {"media": list(sub.media_urls)} if sub.media_urls else {}
    entries: list[tuple[Any, ...]] = [
        (
            "created",
            "new",
            None,
            agent.id if agent else None,
            agent.label if agent else channel,
            "",
            "",
            media,
            requested,
        )
    ]
    if status != Status.NEW:
        notes = sub.status_notes or ""
        at = closed or sub.updated_at or requested  # an open status: its last change
        entries.append(("status", status.value, "new", None, channel, notes, "", {}, at))
    return values, reference, entries


def _new_report(
    v: Vigie, checked: CheckedSubmission, agent: Agent | None, history: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column values of a new report (with ``reference`` when its source kept its number)
    and of its first history entries, by name (without ids): :func:`_report_values`."""
    row, reference, entries = _report_values(v, checked, agent, history, utcnow())
    values = dict(zip(VALUE_COLUMNS, row, strict=True))
    if reference is not None:
        values["reference"] = reference
    return values, [dict(zip(ENTRY_COLUMNS, e, strict=True)) for e in entries]


def insert_new(conn: Connection, v: Vigie, new: Sequence[NewReport]) -> list[int]:
    """Insert new reports (:func:`_report_values`) and their history entries, set-based:
    ids drawn in one statement, then the reports and the entries each written column by
    column (:func:`write_columns`). Returns the ids, in order."""
    ids = draw_ids(conn, len(new))
    if not ids:
        return ids
    references = [
        ref if ref is not None else _reference(v, rid, values[_REQUESTED])
        for rid, (values, ref, _) in zip(ids, new, strict=True)
    ]
    columns: list[Sequence[Any]] = [ids, references]
    columns.extend(zip(*[values for values, _, _ in new], strict=True))
    write_columns(conn, _REPORTS, ("id", "reference", *VALUE_COLUMNS), columns)
    entries = [(rid, *e) for rid, (_, _, history) in zip(ids, new, strict=True) for e in history]
    write_columns(conn, _UPDATES, ("report_id", *ENTRY_COLUMNS), list(zip(*entries, strict=True)))
    return ids


def _reference_prefix(v: Vigie, requested: datetime) -> str:
    # The city's year of the request. No two time zones are two days apart: from February
    # to November a date's year is the same in all of them, and the conversion (1.1 of
    # this function's 1.5 us, for every report of an import) is needed in December and
    # January only.
    year = requested.year if 1 < requested.month < 12 else requested.astimezone(v.city.timezone).year
    return f"{v.city.reference_prefix}-{year}-"


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
    now = utcnow()
    new = [_report_values(v, checked, agent, history, now) for checked in items]
    ids = insert_new(s.connection(), v, new)
    if history:
        return ids, []
    rows = []
    for rid, (values, reference, _) in zip(ids, new, strict=True):
        requested = values[_REQUESTED]
        reference = reference or _reference(v, rid, requested)
        row = ReportRow(id=rid, reference=reference, **dict(zip(VALUE_COLUMNS, values, strict=True)))
        set_committed_value(row, "photos", [])
        rows.append(row)
    return ids, rows


__all__ = [
    "ID_MARK",
    "INSERT_REPORT",
    "INSERT_UPDATE",
    "SET_REFERENCE",
    "draw_ids",
    "insert_new",
    "VALUE_COLUMNS",
    "ENTRY_COLUMNS",
    "pg_insert",
    "pg_params",
    "submit_in_one_statement",
    "write_reports",
]
