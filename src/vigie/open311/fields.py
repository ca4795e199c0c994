"""What Open311 clients see of a request, declared once: one list of fields.

Each :class:`Open311Field` says how Python writes it (``views.request_view``:
XML, single requests, ``extensions=true``) and how the database writes it
(``rendered.request_items``: the ``requests.json`` pages). Adding a field to
:data:`REQUEST` is the one change that makes it appear in both, in the same
place (``tests/open311/test_open311_fields.py``).

The catalogue's texts (service name, responsible team and the procedure's
notice) have no SQL form: the database leaves a placeholder that Python fills,
memoised per (service, team, procedure, status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column

from vigie.reports import publication as pub
from vigie.reports.domain import CLOSED, open311_status
from vigie.reports.fields import CLOSED_VALUES, open311_status_sql
from vigie.reports.publication import creation_media_shown
from vigie.reports.records import ReportData, UpdateData
from vigie.reports.storage import ReportRow
from vigie.sqljson import JsonSql, lit

from .params import local_iso

if TYPE_CHECKING:  # views imports this module
    from .views import Ctx

R = ReportRow.__table__.c

# The catalogue's texts, filled by Python into the database's JSON (see rendered.py).
CATALOGUE_TEXTS = ("service_name", "agency_responsible", "service_notice")


@dataclass
class Seen:
    """What a request's Python rendering needs besides the row."""

    ctx: Ctx
    updates: list[UpdateData]
    photos: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tz(self) -> Any:
        return self.ctx.v.city.timezone


@dataclass(frozen=True)
class Open311Field:
    """One element of a ``request``: its Python form and its SQL form (``None``: a catalogue text)."""

    name: str
    value: Callable[[ReportData, Seen], Any]
    sql: Callable[[JsonSql, str], ColumnElement[Any]] | None


def media(u: UpdateData) -> str | None:
    found = (u.detail or {}).get("media")
    if isinstance(found, list) and found:
        return str(found[0])
    return str(found) if isinstance(found, str) and found else None


def _media_url(row: ReportData, seen: Seen) -> str | None:
    if seen.photos:
        return str(seen.photos[0]["url"])
    if not creation_media_shown(seen.ctx.publication, row.public_checked_at is not None):
        return None
    return next((m for m in (media(u) for u in seen.updates if u.kind == "created") if m), None)


def _service_name(row: ReportData, seen: Seen) -> str:
    service = seen.ctx.v.catalogue.service(row.service_code)
    return service.name.get(seen.ctx.lang) if service else row.service_code


def _agency(row: ReportData, seen: Seen) -> str | None:
    team = seen.ctx.v.catalogue.teams.get(row.team)
    return team.name.get(seen.ctx.lang) if team else (row.team or None)


def _notice(row: ReportData, seen: Seen) -> str | None:
    from .views import service_notice

    return service_notice(seen.ctx, row)


def _updated(row: ReportData, seen: Seen) -> str | None:
    closed = row.status in CLOSED
    when = seen.ctx.publication.when
    return local_iso(when((row.closed_at if closed else None) or row.updated_at), seen.tz)


def _updated_sql(j: JsonSql, tz: str) -> ColumnElement[Any]:
    closed = and_(R.status.in_(CLOSED_VALUES), R.closed_at.is_not(None))
    # Never NULL: updated_at is NOT NULL, and closed_at is only taken when set.
    moment = case(
        (closed, pub.when_sql(j, j.policy, R.closed_at)), else_=pub.when_sql(j, j.policy, R.updated_at)
    )
    return j.local_iso(moment, tz, nullable=False)


def _text(row: ReportData, seen: Seen) -> str | None:
    checked = row.public_checked_at is not None
    return seen.ctx.publication.public_text(row.description, row.public_description, checked) or None


def _local(column: str, nullable: bool) -> Open311Field:
    name = column.replace("_at", "_datetime")

    def value(r: ReportData, s: Seen) -> str | None:
        return local_iso(s.ctx.publication.when(getattr(r, column)), s.tz)

    def sql(j: JsonSql, tz: str) -> ColumnElement[Any]:
        return j.local_iso(pub.when_sql(j, j.policy, R[column]), tz, nullable=nullable)

    return Open311Field(name, value, sql)


def _exact_only(name: str) -> Open311Field:
    """The address and its gazetteer id name a house: only where positions are exact."""

    def value(r: ReportData, s: Seen) -> str | None:
        return (getattr(r, name) or None) if s.ctx.publication.exact_position else None

    def sql(j: JsonSql, tz: str) -> ColumnElement[Any]:
        return func.nullif(pub.address_sql(j.policy, R[name]), lit(""))

    return Open311Field(name, value, sql)


def _media_sql(j: JsonSql, tz: str) -> ColumnElement[Any]:
    from .rendered import media_url_sql

    return media_url_sql(j)


REQUEST: tuple[Open311Field, ...] = (
    Open311Field("service_request_id", lambda r, _: str(r.id), lambda j, tz: j.text(R.id)),
    Open311Field("status", lambda r, _: open311_status(r.status), lambda j, tz: open311_status_sql(R.status)),
    Open311Field(
        "status_notes",
        lambda r, _: r.status_notes or None,
        lambda j, tz: func.nullif(R.status_notes, lit("")),
    ),
    Open311Field("service_name", _service_name, None),
    Open311Field("service_code", lambda r, _: r.service_code, lambda j, tz: R.service_code),
    Open311Field("description", _text, lambda j, tz: func.nullif(pub.description_sql(j, j.policy), lit(""))),
    Open311Field("agency_responsible", _agency, None),
    Open311Field("service_notice", _notice, None),
    _local("requested_at", nullable=False),
    Open311Field("updated_datetime", _updated, _updated_sql),
    _local("expected_at", nullable=True),
    _exact_only("address"),
    _exact_only("address_id"),
    Open311Field("zipcode", lambda r, _: None, lambda j, tz: literal_column("NULL")),
    Open311Field(
        "lat",
        lambda r, s: s.ctx.publication.position(r.lat, r.long)[0],
        lambda j, tz: pub.lat_sql(j, j.policy),
    ),
    Open311Field(
        "long",
        lambda r, s: s.ctx.publication.position(r.lat, r.long)[1],
        lambda j, tz: pub.long_sql(j, j.policy),
    ),
    Open311Field("media_url", _media_url, _media_sql),
)


def request_fields() -> tuple[Open311Field, ...]:
    """The list in force (read at each use, so that a test may extend it)."""
    return REQUEST


__all__ = ["CATALOGUE_TEXTS", "Open311Field", "REQUEST", "Seen", "media", "request_fields"]
