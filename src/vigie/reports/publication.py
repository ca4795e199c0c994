"""The city's publication policy (``city/publication.py``) in the reports' public renderings.

Python forms (``views.public_view``, Open311's ``request_view``) call the
policy's own methods; this module gives the same rules as SQL expressions for
the lists the database writes (``reports/rendered.py``, ``open311/rendered.py``),
(``tests/reports/test_reports_publication.py`` checks both, on both backends);
``queries.public_filter`` widens public filters so that a filter never says more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB

from vigie.city.publication import (
    PHOTO_BLURRED,
    PHOTO_HIDDEN,
    PHOTO_SHOWN,
    PublicationPolicy,
    Shown,
    TimePrecision,
)
from vigie.reports.storage import ReportRow
from vigie.sqljson import TZ_OFFSETS, JsonSql, lit

R = ReportRow.__table__.c


def _checked() -> ColumnElement[bool]:
    return R.public_checked_at.is_not(None)


def text_shown_sql(policy: PublicationPolicy) -> ColumnElement[bool]:
    """Whether the resident's text (description, answers) is public, row by row."""
    if policy.description is Shown.ALWAYS:
        return true()
    if policy.description is Shown.NEVER:
        return false()
    return _checked()


def description_sql(j: JsonSql, policy: PublicationPolicy) -> ColumnElement[Any]:
    """``policy.public_text``: the operator's public text, else the resident's, when shown."""
    text = func.coalesce(R.public_description, R.description)
    if policy.description is Shown.ALWAYS:
        return text
    if policy.description is Shown.NEVER:
        return lit("")
    return case((_checked(), text), else_=lit(""))


def attributes_sql(j: JsonSql, policy: PublicationPolicy) -> ColumnElement[Any]:
    raw = _public_answers(j, j.raw(R.attributes, "{}"))
    if policy.description is Shown.ALWAYS:
        return raw
    empty = func.json(lit("{}")) if j.sqlite else literal_column("'{}'::json")
    if policy.description is Shown.NEVER:
        return empty
    return case((_checked(), raw), else_=empty)


def _public_answers(j: JsonSql, raw: ColumnElement[Any]) -> ColumnElement[Any]:
    """``raw`` without the answers the catalogue keeps for agents (``Catalogue.public_answers``)."""
    if not j.private_answers:
        return raw
    whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = []
    for service, codes in j.private_answers:
        removed: ColumnElement[Any]
        if j.sqlite:
            removed = func.json_remove(raw, *(lit(f'$."{code}"') for code in codes))
        else:
            # Codes are catalogue codes ([a-z0-9_.-]): written into the statement as constants.
            quoted = ", ".join(f"'{code}'" for code in codes)
            keys: ColumnElement[Any] = literal_column(f"ARRAY[{quoted}]::text[]")
            removed = cast(cast(raw, JSONB).op("-")(keys), JSON)
        whens.append((R.service_code == lit(service), removed))
    return case(*whens, else_=raw)


def _floor(j: JsonSql, x: ColumnElement[Any]) -> ColumnElement[Any]:
    if not j.sqlite:
        return func.floor(x)
    # SQLAlchemy replaces SQLite's floor() by Python's math.floor, which fails on NULL:
    # truncation, one less below zero when it rounded up.
    truncated = cast(x, Integer)
    return truncated - cast(x < truncated, Integer)


def _centre(j: JsonSql, column: ColumnElement[Any], step: float) -> ColumnElement[Any]:
    s = cast(literal_column(repr(step)), Float)
    return (_floor(j, column / s) + literal_column("0.5")) * s


def lat_sql(j: JsonSql, policy: PublicationPolicy) -> ColumnElement[Any]:
    grid = policy.grid
    return j.number(R.lat if grid is None else _centre(j, R.lat, grid.lat_step))


def long_sql(j: JsonSql, policy: PublicationPolicy) -> ColumnElement[Any]:
    grid = policy.grid
    return j.number(R.long if grid is None else _centre(j, R.long, grid.long_step))


def position_sql(j: JsonSql, policy: PublicationPolicy) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """A report's public position as two numbers: its cell's centre, or where it is when exact."""
    grid = policy.grid
    if grid is None:
        return R.lat, R.long
    return _centre(j, R.lat, grid.lat_step), _centre(j, R.long, grid.long_step)


def address_sql(policy: PublicationPolicy, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The address (or its gazetteer id), only where positions are exact: it names a house."""
    return column if policy.exact_position else lit("")


def _offset_at(moment: ColumnElement[Any], tz: str) -> ColumnElement[Any]:
    """SQLite: the zone's UTC offset in seconds at ``moment`` (stored text form)."""
    o = TZ_OFFSETS.alias()
    return (
        select(o.c.seconds)
        .where(and_(o.c.tz == lit(tz), o.c.since <= cast(moment, Text)))
        .order_by(o.c.since.desc())
        .limit(1)
        # Nested in another lookup (Open311's local dates): the report row is the outer query's.
        .correlate_except(o)
        .scalar_subquery()
    )


def when_sql(j: JsonSql, policy: PublicationPolicy, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``policy.when``: a date column truncated, in the column's own stored form."""
    unit = policy.time
    if unit is TimePrecision.EXACT:
        return column
    if not j.sqlite:
        if unit is TimePrecision.DAY:
            return func.date_trunc(lit("day"), column, lit(policy.timezone))
        return func.date_trunc(lit(unit.value), column, lit("UTC"))
    if unit is TimePrecision.MINUTE:
        # The stored form to the microsecond: tz_offsets' "since" compares as text with it.
        return func.substr(column, lit(1), lit(16)).concat(lit(":00.000000"))
    if unit is TimePrecision.HOUR:
        return func.substr(column, lit(1), lit(13)).concat(lit(":00:00.000000"))
    # The local day: its date at the moment's offset, then its midnight at midnight's offset
    # (the two differ on the days clocks change).
    tz = policy.timezone
    seconds: ColumnElement[str] = literal_column("' seconds'")
    offset = _offset_at(column, tz)
    day = func.date(func.substr(column, lit(1), lit(19)), offset.concat(seconds))
    fraction = lit(".000000")
    guess = func.datetime(day, (-offset).concat(seconds)).concat(fraction)
    return func.datetime(day, (-_offset_at(guess, tz)).concat(seconds)).concat(fraction)


def photo_shown_sql(policy: PublicationPolicy, kind: Any, moderation: Any) -> ColumnElement[bool]:
    """``policy.photo_shown`` over a photo table's ``kind`` and ``moderation`` columns."""
    not_hidden = moderation != lit(PHOTO_HIDDEN)
    if policy.photos is Shown.ALWAYS:
        return not_hidden
    agents = and_(kind != lit("report"), not_hidden)
    if policy.photos is Shown.NEVER:
        return agents
    return or_(agents, moderation.in_([lit(PHOTO_SHOWN), lit(PHOTO_BLURRED)]))


def creation_media_shown_sql(policy: PublicationPolicy) -> ColumnElement[bool]:
    """Media links given with an Open311 POST are residents' pictures: shown like their photos,
    after the report's check (a link cannot be moderated one by one)."""
    if policy.photos is Shown.ALWAYS:
        return true()
    if policy.photos is Shown.NEVER:
        return false()
    return _checked()


def creation_media_shown(policy: PublicationPolicy, checked: bool) -> bool:
    return policy.photos is Shown.ALWAYS or (policy.photos is Shown.AFTER_CHECK and checked)


__all__ = [
    "address_sql",
    "attributes_sql",
    "creation_media_shown",
    "creation_media_shown_sql",
    "description_sql",
    "lat_sql",
    "long_sql",
    "photo_shown_sql",
    "position_sql",
    "text_shown_sql",
    "when_sql",
]
