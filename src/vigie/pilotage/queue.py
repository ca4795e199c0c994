"""The control room's queue, read on the server over every report.

The queue filters (status, group, zone, priority, SLA state, text), sorts,
counts and pages in SQL, so a city with 100,000 open reports sees all of them
(the page used to load 2,000 and filter those in the browser). The open
reports have partial indexes of their own (``ix_reports_open_requested``,
``ix_reports_open_expected``): the default views (open, newest or most urgent
first) walk one of them and stop after a page, and their count reads only
that index. The open-status condition is written exactly as the indexes'
predicate so that both planners can use them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, text, union_all

from vigie import csvsafe
from vigie.digits import is_digits
from vigie.errors import ValidationFailed
from vigie.reports.domain import CLOSED, Status
from vigie.reports.records import ReportRecord, read_records, report_columns
from vigie.reports.search import bounded_scan_first, words_condition
from vigie.reports.storage import OPEN_PREDICATE, ReportRow
from vigie.reports.versioned import COUNTS
from vigie.runtime import Vigie
from vigie.web.i18n import translate

R = ReportRow
SORTS = ("received", "due", "priority", "status")
SLA_STATES = ("overdue", "due_soon", "on_time", "none")
PRIORITIES = ("urgent", "high", "normal", "low")
STATUS_ORDER = [
    "new",
    "reopened",
    "acknowledged",
    "assigned",
    "in_progress",
    "resolved",
    "rejected",
    "duplicate",
]
MAX_PAGE_SIZE = 200
DUE_SOON = timedelta(hours=24)  # the same horizon as reports.domain.sla_state


@dataclass
class QueueQuery:
    """What the queue shows: ``status`` is "open", "all" or one status."""

    status: str = "open"
    groups: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    priority: str = ""
    sla: str = ""
    text: str = ""
    sort: str = "received"
    page: int = 1
    page_size: int = 50

    def check(self) -> QueueQuery:
        if self.status not in ("open", "all") and self.status not in {s.value for s in Status}:
            raise ValidationFailed(f"unknown status '{self.status}'", field="status")
        if self.sort not in SORTS:
            raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}", field="sort")
        if self.sla and self.sla not in SLA_STATES:
            raise ValidationFailed(f"sla must be one of {', '.join(SLA_STATES)}", field="sla")
        if self.priority and self.priority not in PRIORITIES:
            raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
        if not 1 <= self.page <= 100_000:
            raise ValidationFailed("page must be between 1 and 100000", field="page")
        if len(self.text) > 200:
            raise ValidationFailed("the search text is longer than 200 characters", field="q")
        return self


def open_condition() -> Any:
    """The open reports, written as the partial indexes' predicate (constants, not parameters)."""
    return text(OPEN_PREDICATE.replace("status", "reports.status", 1))


REFERENCE = re.compile(r"^[A-Za-z]{2,5}-\d{4}-\d{1,10}$")


def _conditions(q: QueueQuery, now: datetime, scan: bool = False) -> list[Any]:
    conds: list[Any] = []
    is_open = q.status == "open"
    if is_open:
        conds.append(open_condition())
    elif q.status != "all":
        conds.append(R.status == q.status)

    def col(c: Any) -> Any:
        # Over the open reports, read group, zone and priority from the partial index that
        # holds them (an index of one of these columns alone would visit every closed report
        # of the zone too): "|| ''" keeps the planners off those indexes.
        return c.concat("") if is_open else c

    if q.groups:
        conds.append(col(R.service_group).in_(q.groups))
    if q.zones:
        conds.append(col(R.zone).in_(q.zones))
    if q.priority:
        conds.append(col(R.priority) == q.priority)
    if q.sla:
        closed = [s.value for s in CLOSED]
        if q.sla == "none":
            none = R.expected_at.is_(None)
            conds.append(none if is_open else or_(none, R.status.in_(closed)))
        else:
            if not is_open:
                conds.append(R.status.not_in(closed))
            if q.sla == "overdue":
                conds.append(R.expected_at < now)
            elif q.sla == "due_soon":
                conds.append(and_(R.expected_at >= now, R.expected_at <= now + DUE_SOON))
            else:
                conds.append(R.expected_at > now + DUE_SOON)
    text = q.text.strip()
    if REFERENCE.match(text):
        # A reference finds its report through the unique index.
        conds.append(R.reference == text.upper())
    elif text:
        # Other words, anywhere in the description or the address, through the backend's
        # text index (reports/search.py).
        conds.append(words_condition(text, scan))
    return conds


def _order(sort: str) -> list[Any]:
    if sort == "due":
        # A report without a due time (no SLA) comes last, on both backends.
        return [R.expected_at.is_(None), R.expected_at.asc(), R.id.asc()]
    if sort == "priority":
        rank = case({p: i for i, p in enumerate(PRIORITIES)}, value=R.priority, else_=len(PRIORITIES))
        return [rank, R.expected_at.is_(None), R.expected_at.asc(), R.id.asc()]
    if sort == "status":
        rank = case({s: i for i, s in enumerate(STATUS_ORDER)}, value=R.status, else_=len(STATUS_ORDER))
        return [rank, R.requested_at.desc(), R.id.desc()]
    return [R.requested_at.desc(), R.id.desc()]


# Sorted by due time, priority or status, a page is read rank by rank: one walk of an
# index per rank (reports with a due time, soonest first, then those without; each
# priority, urgent first and soonest due first; each status, newest first), each stopped
# after the page's end, then the few rows kept are ordered. Sorting by a CASE over every
# matching report would sort 100,000 rows for a page of 50, and the backends put NULLs at
# opposite ends of an index.
def _soonest() -> list[Any]:
    return [R.expected_at.asc(), R.id.asc()]


def _newest() -> list[Any]:
    return [R.requested_at.desc(), R.id.desc()]


def _ranks(q: QueueQuery) -> tuple[list[Any], Callable[[], list[Any]], bool]:
    """(one condition per rank, the order within a rank, whether it is soonest due first)."""
    if q.sort == "due":
        return [R.expected_at.is_not(None), R.expected_at.is_(None)], _soonest, True
    if q.sort == "priority":
        return [R.priority == p for p in PRIORITIES], _soonest, True
    if q.status == "open":
        statuses = [s for s in STATUS_ORDER if s in OPEN_PREDICATE]
    else:
        statuses = STATUS_ORDER if q.status == "all" else [q.status]
    return [R.status == s for s in statuses], _newest, False


def queue_statement(q: QueueQuery, now: datetime, scan: bool = False) -> Select[Any]:
    """Every column of the page's reports (``scan``: see ``reports.search.bounded_scan_first``)."""
    conds = _conditions(q, now, scan)
    offset = (q.page - 1) * q.page_size
    if q.sort == "received":
        return report_columns().where(*conds).order_by(*_order(q.sort)).limit(q.page_size).offset(offset)
    ranks, within, soonest = _ranks(q)
    arms = []
    for i, rank in enumerate(ranks):
        arm = (
            select(R.id, literal(i).label("rank"), R.requested_at, R.expected_at)
            .where(*conds, rank)
            .order_by(*within())
            .limit(offset + q.page_size)
            .subquery()
        )
        arms.append(select(arm))
    merged = union_all(*arms).subquery() if len(arms) > 1 else arms[0].subquery()

    def ordered(key: Any, id_: Any) -> tuple[Any, Any]:
        return (key.asc(), id_.asc()) if soonest else (key.desc(), id_.desc())

    key = merged.c.expected_at if soonest else merged.c.requested_at
    ids = (
        select(merged.c.id, merged.c.rank, key.label("k"))
        .order_by(merged.c.rank, *ordered(key, merged.c.id))
        .limit(q.page_size)
        .offset(offset)
        .subquery()
    )
    return (
        report_columns()
        .join_from(R.__table__, ids, R.id == ids.c.id)
        .order_by(ids.c.rank, *ordered(ids.c.k, ids.c.id))
    )


# A search by words counts at most this many matches ("1,000 or more"): counting every
# match of a common word would read every open report's text.
TEXT_COUNT_CAP = 1000


def count_statement(q: QueueQuery, now: datetime, scan: bool = False) -> Select[Any]:
    base = select(R.id).where(*_conditions(q, now, scan))
    if q.text.strip() and not REFERENCE.match(q.text.strip()):
        base = base.limit(TEXT_COUNT_CAP + 1)
    return select(func.count()).select_from(base.subquery())


def _count(conn: Any, q: QueueQuery, now: datetime, scan: bool = False) -> int:
    if conn.dialect.name != "sqlite" or q.status != "open" or not (q.groups or q.zones or q.priority):
        return int(conn.execute(count_statement(q, now, scan)).scalar_one())
    # SQLite counts the open reports of a zone, group or priority through the status index
    # and a visit of the table per row (its statistics know nothing of the partial index);
    # the partial index holds every column those filters read, so the count reads it alone.
    where = and_(*_conditions(q, now, scan)).compile(
        dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
    )
    limit = f" LIMIT {TEXT_COUNT_CAP + 1}" if q.text.strip() and not REFERENCE.match(q.text.strip()) else ""
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM reports INDEXED BY ix_reports_open_requested "  # noqa: S608
        f"WHERE {where}{limit})"
    )
    params = tuple(where.params[name] for name in where.positiontup or ())
    return int(conn.exec_driver_sql(sql, params).scalar_one())


def queue_page(v: Vigie, q: QueueQuery, now: datetime) -> tuple[list[ReportRecord], int]:
    """One page of the queue and how many reports match in all (a word search stops at 1,001)."""
    q.check()
    with v.db.engine.connect() as conn:
        key, stale = cache_key(q, now), stale_key(q, now)
        words = q.text.strip() if not REFERENCE.match(q.text.strip()) else ""
        if not words:
            total = COUNTS.get(conn, key, lambda: _count(conn, q, now), stale)
            return (read_records(conn, queue_statement(q, now)) if total else []), total
        total = COUNTS.get(
            conn, key, lambda: bounded_scan_first(conn, words, lambda s: _count(conn, q, now, s)), stale
        )
        if not total:
            return [], 0
        rows = bounded_scan_first(conn, words, lambda s: read_records(conn, queue_statement(q, now, s)))
    return rows, total


def place_text(address: str | None, zone_name: str, lat: float | None, long: float | None, lang: str) -> str:
    """Where a report is, as the control room writes it (queue, report page, work order, CSV):
    its address, else that it has none, its zone and its coordinates, which an operator can
    place on a map (the zone's name alone, where a resident's report had no address, read as
    an address it was not)."""
    if address:
        return address
    where = f"{lat:.5f}, {long:.5f}" if lat is not None and long is not None else "—"
    return translate(lang, "pilotage.address_unknown", area=zone_name, coordinates=where)


CSV_COLUMNS = (
    "reference",
    "service",
    "group",
    "zone",
    "address",
    "status",
    "priority",
    "team",
    "channel",
    "requested_at",
    "expected_at",
    "description",
)
CSV_BATCH = 2000
CSV_MAX_ROWS = 1_000_000


def queue_csv(v: Vigie, q: QueueQuery, now: datetime, lang: str) -> Iterator[str]:
    """The whole current filter as CSV, in the queue's order, read in batches (memory stays flat).

    Reporters' contact data are left out: an export travels further than the screen.
    """
    q.check()
    services = {code: s.name.get(lang) for code, s in v.catalogue.services.items()}
    groups = {code: g.name.get(lang) for code, g in v.catalogue.groups.items()}
    zones = {z.code: z.name for z in v.city.zones.zones}
    tz = v.city.timezone  # the city's clock with its offset, as Open311 writes times
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + out.getvalue()  # a byte-order mark: spreadsheet programs then read UTF-8
    stmt = report_columns().where(*_conditions(q, now)).order_by(*_order(q.sort)).limit(CSV_MAX_ROWS)
    with v.db.engine.connect() as conn:
        # Streamed (a server-side cursor on PostgreSQL): memory holds one batch, not the export.
        result = conn.execution_options(stream_results=True, yield_per=CSV_BATCH).execute(stmt)
        for batch in result.partitions(CSV_BATCH):
            out.seek(0)
            out.truncate()
            for values in batch:
                r = ReportRecord(values)
                writer.writerow(
                    (
                        r.reference,
                        services.get(r.service_code, r.service_code),
                        groups.get(r.service_group, r.service_group),
                        zones.get(r.zone, r.zone),
                        place_text(r.address, zones.get(r.zone, r.zone), r.lat, r.long, lang),
                        r.status,
                        r.priority,
                        r.team,
                        r.channel,
                        r.requested_at.astimezone(tz).isoformat() if r.requested_at else "",
                        r.expected_at.astimezone(tz).isoformat() if r.expected_at else "",
                        r.description,
                    )
                )
            yield out.getvalue()


def references_and_statuses(v: Vigie, ids: list[str]) -> dict[str, tuple[str | None, str]]:
    """Reference and status by id (as given, a string) of the reports among ``ids`` that exist."""
    numbers = [int(i) for i in ids if is_digits(i) and len(i) <= 18]
    if not numbers:
        return {}
    with v.db.session() as s:
        rows = s.execute(select(R.id, R.reference, R.status).where(R.id.in_(numbers)))
        return {str(i): (ref, status) for i, ref, status in rows}


def cache_key(q: QueueQuery, now: datetime) -> tuple[Any, ...]:
    """What the queue's map view and count depend on besides the view (never the page or the sort).

    A filter by SLA state holds for the current minute only (the states move with the clock).
    """
    minute = now.replace(second=0, microsecond=0) if q.sla else None
    return ("queue", q.status, q.groups, q.zones, q.priority, q.sla, q.text.strip(), minute)


def stale_key(q: QueueQuery, now: datetime) -> tuple[Any, ...] | None:
    """The previous minute's key of a filter by SLA state: its answer may stand in while the
    current minute's is computed (reports.versioned); None for other filters."""
    return cache_key(q, now - timedelta(minutes=1)) if q.sla else None


def restrict(q: QueueQuery, now: datetime) -> Callable[[Select[Any]], Select[Any]]:
    """The queue's filter as a function on a statement (its map shares it)."""
    conds = _conditions(q.check(), now)
    return lambda stmt: stmt.where(*conds)


__all__ = ["QueueQuery", "place_text", "queue_page", "queue_csv", "restrict", "cache_key", "stale_key"]
