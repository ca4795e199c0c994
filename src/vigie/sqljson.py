"""JSON written by the database, for the hot public list pages.

Shaped in Python, a page of 100 reports holds the interpreter's global lock
for several milliseconds (dates parsed and formatted, a dict per report, the
encoding); SQLite's ``json_object`` and PostgreSQL's ``json_build_object``
write the same page in C with the lock released, on the other core, and the
interpreter only joins one string per row. The helpers here give the two
dialects one vocabulary. Every field rendered this way is checked against the
Python views (``tests/reports/test_reports_rendered.py``,
``tests/open311/test_open311_rendered.py``), on both backends.

Time zones: PostgreSQL converts with ``AT TIME ZONE`` and names the offset
from the zone's offsets written into the statement. SQLite knows only UTC, so
the offsets of a zone are written once into ``tz_offsets`` (from Python's
zoneinfo, 1900–2100) and each local date looks its offset up there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import BindParameter

from vigie.city.publication import OPEN, PublicationPolicy
from vigie.db import Base, Database

# SQLite only: the UTC offset of a zone from ``since`` (UTC, in the stored date format) on.
TZ_OFFSETS = Table(
    "tz_offsets",
    Base.metadata,
    Column("tz", String(64), primary_key=True),
    Column("since", String(32), primary_key=True),
    Column("seconds", Integer, nullable=False),
    Column("label", String(16), nullable=False),
    sqlite_with_rowid=False,
)
# The earliest ``since``: dates before the first computed change take that offset.
_BEGINNING = "0001-01-01 00:00:00.000000"
_SPAN = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def key(name: str) -> ColumnElement[Any]:
    """A JSON key, inlined (our own constant names, never user text)."""
    if not name.lstrip("@").replace("_", "").isalnum():
        raise ValueError(f"not a plain JSON key: {name!r}")
    return literal_column(f"'{name}'")


def lit(value: str | int) -> ColumnElement[Any]:
    """A constant written into the statement: fewer parameters to bind on every page."""
    if isinstance(value, int):
        return literal_column(str(int(value)))
    return literal_column("'" + value.replace("'", "''") + "'")


def _flat(pairs: list[tuple[str, ColumnElement[Any]]]) -> list[ColumnElement[Any]]:
    """``[key1, value1, key2, value2, …]``: the arguments of json_object / json_build_object."""
    return [part for name, value in pairs for part in (key(name), value)]


class JsonSql:
    """JSON-building expressions for one dialect (``sqlite`` or ``postgresql``)."""

    def __init__(
        self,
        dialect: str,
        policy: PublicationPolicy = OPEN,
        private_answers: tuple[tuple[str, tuple[str, ...]], ...] = (),
    ) -> None:
        self.dialect = dialect
        self.sqlite = dialect == "sqlite"
        # What the public may see of a report (the city's publication policy, and the answers
        # the catalogue keeps for agents, per service): the public fields' SQL forms read them
        # (reports/publication.py).
        self.policy = policy
        self.private_answers = private_answers

    def obj(self, pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[str]:
        """A JSON object as text (the column a page reads)."""
        if self.sqlite:
            return func.json_object(*_flat(pairs), type_=Text)
        return cast(self.obj_value(pairs), Text)

    def mark(self, n: int) -> tuple[tuple[str, ColumnElement[Any]], str]:
        """A placeholder pair for fields the catalogue fills in, and the text it renders as.

        Service names, teams and notices are the catalogue's, per language: the
        rendered row carries ``"@n":0`` where they go, and Python puts in the
        pair(s) memoised per (service, team, procedure, status). Replacing only the
        first occurrence is safe: a placeholder always comes before any user-supplied
        key (attribute codes), and inside a JSON string its quote would be escaped.
        """
        name = f"@{n}"
        sep = ":" if self.sqlite else " : "  # PostgreSQL's json_build_object spaces its pairs
        return (name, literal_column("0")), f'"{name}"{sep}0'

    def obj_value(self, pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        """An object nested in another object (not cast to text on PostgreSQL)."""
        args = _flat(pairs)
        return func.json_object(*args) if self.sqlite else func.json_build_object(*args)

    def text(self, value: BindParameter[Any] | ColumnElement[Any]) -> ColumnElement[str]:
        """A value as text (ids as strings; bound parameters need their type for PostgreSQL)."""
        return cast(value, Text)

    def number(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """A float that reads back as the same double, in as few digits as that takes.

        SQLite's JSON writes 15 significant digits (47.30123456789012 would come
        out as 47.3012345678901); PostgreSQL already writes the shortest exact form.
        """
        if not self.sqlite:
            return column
        # Most coordinates need 15 digits or fewer: then the column goes in as it is.
        fifteen, sixteen = (func.printf(lit(f"%!.{d}g"), column) for d in (15, 16))
        return case(
            (column.is_(None), None),
            (cast(fifteen, _Real()) == column, column),
            (cast(sixteen, _Real()) == column, func.json(sixteen)),
            else_=func.json(func.printf(lit("%!.17g"), column)),
        )

    def raw(self, column: ColumnElement[Any], default: str) -> ColumnElement[Any]:
        """A stored JSON value embedded as JSON; ``default`` for SQL NULL and JSON null."""
        if self.sqlite:
            return func.json(func.coalesce(func.nullif(column, lit("null")), lit(default)))
        return func.coalesce(
            cast(func.nullif(cast(column, Text), lit("null")), _Json()), literal_column(f"'{default}'::json")
        )

    def utc_iso(self, column: ColumnElement[Any], nullable: bool = True) -> ColumnElement[Any]:
        """``datetime.isoformat()`` of the stored UTC time: ``…T10:00:00[.123456]+00:00``."""
        if self.sqlite:
            # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; isoformat() drops a zero fraction.
            frac = func.substr(column, lit(20), lit(7))
            text = (
                func.substr(column, lit(1), lit(10))
                .concat(lit("T"))
                .concat(func.substr(column, lit(12), lit(8)))
                .concat(case((frac.in_([lit(""), lit(".000000")]), lit("")), else_=frac))
                .concat(lit("+00:00"))
            )
            return _null_stays_null(column, text, nullable)
        # One to_char; a zero fraction is dropped as isoformat() drops it.
        text = func.to_char(func.timezone(lit("UTC"), column), lit('YYYY-MM-DD"T"HH24:MI:SS.US'))
        text = func.replace(text, lit(".000000"), lit("")).concat(lit("+00:00"))
        return _null_stays_null(column, text, nullable)

    def local_iso(self, column: ColumnElement[Any], tz: str, nullable: bool = True) -> ColumnElement[Any]:
        """``local_iso``: the local time to the second with its offset, ``…T11:00:00+01:00``.

        SQLite looks the offset of zone ``tz`` up in ``tz_offsets`` (see
        :func:`ensure_tz_offsets`). PostgreSQL converts with ``AT TIME ZONE`` and
        names the offset from the zone's known offsets, written into the statement:
        no session TimeZone to set (one round trip less per page), and as cheap as
        ``to_char``'s own ``TZH:TZM``.
        """
        if self.sqlite:
            o = TZ_OFFSETS.alias()
            offset = (
                select(
                    # To the second first: SQLite's date functions round to the millisecond.
                    func.strftime(
                        lit("%Y-%m-%dT%H:%M:%S"),
                        func.substr(column, lit(1), lit(19)),
                        o.c.seconds.concat(lit(" seconds")),
                    ).concat(o.c.label)
                )
                # The CAST drops the column's NUMERIC (DATETIME) affinity, which would
                # otherwise apply to ``since`` too and keep SQLite off the index (6x slower).
                .where(and_(o.c.tz == lit(tz), o.c.since <= cast(column, Text)))
                .order_by(o.c.since.desc())
                .limit(1)
                .scalar_subquery()
            )
            return _null_stays_null(column, offset, nullable)
        local = func.timezone(lit(tz), column)
        utc_offset = local - func.timezone(lit("UTC"), column)
        # The latest offsets first: the usual match comes early.
        labels = list(dict.fromkeys((seconds, label) for _, seconds, label in reversed(zone_offsets(tz))))
        text = func.to_char(local, lit('YYYY-MM-DD"T"HH24:MI:SS'))
        return _null_stays_null(column, text.concat(_offset_label(utc_offset, labels)), nullable)


def _null_stays_null(
    column: ColumnElement[Any], text: ColumnElement[Any], nullable: bool
) -> ColumnElement[Any]:
    """``text``, or NULL where ``column`` is; a NOT NULL column spares the test on every row."""
    return case((column.is_(None), None), else_=text) if nullable else text


def _offset_label(offset: ColumnElement[Any], labels: list[tuple[int, str]]) -> ColumnElement[str]:
    """PostgreSQL: an interval offset as ``isoformat`` writes it, from the zone's known ``labels``."""
    zero: ColumnElement[Any] = literal_column("interval '0'")
    # An offset PostgreSQL's time zone data has and Python's has not: spelled out.
    hms = func.to_char(func.greatest(offset, -offset), lit("HH24:MI:SS"))
    spelled = case((offset < zero, lit("-")), else_=lit("+")).concat(
        func.regexp_replace(hms, lit(":00$"), lit(""))
    )
    if not labels:
        return spelled
    # The simple CASE form: the offset is computed once, not once per WHEN.
    return case(
        *((literal_column(f"interval '{n} seconds'"), lit(text)) for n, text in labels),
        value=offset,
        else_=spelled,
    )


class _Real(Integer):
    """``CAST(… AS REAL)`` on SQLite (the type name is all that matters here)."""

    __visit_name__ = "REAL"


class _Json(Text):
    __visit_name__ = "JSON"


# --- time zone offsets for SQLite -------------------------------------------------


def _label(offset: timedelta) -> str:
    """The offset as ``isoformat`` writes it: ``+01:00``, ``-03:30``, ``+00:09:21``."""
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).isoformat()[19:]


@lru_cache(maxsize=16)
def zone_offsets(tz: str) -> tuple[tuple[str, int, str], ...]:
    """(since, seconds, label) for every offset change of ``tz`` between 1900 and 2100.

    Walked in 6-hour steps and narrowed to the second; zones change offset at
    most twice a year, never twice within six hours.
    """
    zone = ZoneInfo(tz)

    def offset_at(t: datetime) -> timedelta:
        return t.astimezone(zone).utcoffset() or timedelta(0)

    def row(since: str, off: timedelta) -> tuple[str, int, str]:
        return (since, int(off.total_seconds()), _label(off))

    start, stop = _SPAN
    step = timedelta(hours=6)
    current = offset_at(start)
    out = [row(_BEGINNING, current)]
    t = start
    while t < stop:
        nxt = t + step
        if offset_at(nxt) != current:
            lo, hi = t, nxt  # the change lies in (lo, hi]
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if offset_at(mid) == current:
                    lo = mid
                else:
                    hi = mid
            hi = hi.replace(microsecond=0)
            current = offset_at(hi)
            out.append(row(hi.strftime("%Y-%m-%d %H:%M:%S.%f"), current))
        t = nxt
    return tuple(out)


def ensure_tz_offsets(db: Database, tz: str) -> None:
    """Write the offsets of ``tz`` into ``tz_offsets`` once (SQLite only; idempotent)."""
    if db.dialect != "sqlite" or tz in db.zones_written:
        return
    rows = zone_offsets(tz)
    with db.write_engine.begin() as conn:  # SQLite: the engine whose BEGIN takes the write lock
        have = conn.execute(select(func.count()).where(TZ_OFFSETS.c.tz == tz)).scalar_one()
        if have != len(rows):
            conn.execute(TZ_OFFSETS.delete().where(TZ_OFFSETS.c.tz == tz))
            conn.execute(
                TZ_OFFSETS.insert(),
                [{"tz": tz, "since": s, "seconds": n, "label": label} for s, n, label in rows],
            )
    db.zones_written.add(tz)


__all__ = ["JsonSql", "TZ_OFFSETS", "ensure_tz_offsets", "key", "lit", "zone_offsets"]
