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

from vigie.reports.domain import CLOSED, open311_status
from vigie.reports.fields import CLOSED_VALUES, open311_status_sql
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
    return local_iso((row.closed_at if closed else None) or row.updated_at, seen.tz)


def _updated_sql(j: JsonSql, tz: str) -> ColumnElement[Any]:
    closed = and_(R.status.in_(CLOSED_VALUES), R.closed_at.is_not(None))
    # Never NULL: updated_at is NOT NULL, and closed_at is only taken when set.
    return j.local_iso(case((closed, R.closed_at), else_=R.updated_at), tz, nullable=False)


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
    Open311Field(
        "description", lambda r, _: r.description or None, lambda j, tz: func.nullif(R.description, lit(""))
    ),
    Open311Field("agency_responsible", _agency, None),
    Open311Field("service_notice", _notice, None),
    Open311Field(
        "requested_datetime",
        lambda r, s: local_iso(r.requested_at, s.tz),
        lambda j, tz: j.local_iso(R.requested_at, tz, nullable=False),
    ),
    Open311Field("updated_datetime", _updated, _updated_sql),
    Open311Field(
        "expected_datetime",
        lambda r, s: local_iso(r.expected_at, s.tz),
        lambda j, tz: j.local_iso(R.expected_at, tz),
    ),
    Open311Field("address", lambda r, _: r.address or None, lambda j, tz: func.nullif(R.address, lit(""))),
    Open311Field(
        "address_id", lambda r, _: r.address_id or None, lambda j, tz: func.nullif(R.address_id, lit(""))
    ),
    Open311Field("zipcode", lambda r, _: None, lambda j, tz: literal_column("NULL")),
    Open311Field("lat", lambda r, _: r.lat, lambda j, tz: j.number(R.lat)),
    Open311Field("long", lambda r, _: r.long, lambda j, tz: j.number(R.long)),
    Open311Field("media_url", _media_url, _media_sql),
)


def request_fields() -> tuple[Open311Field, ...]:
    """The list in force (read at each use, so that a test may extend it)."""
    return REQUEST


__all__ = ["CATALOGUE_TEXTS", "Open311Field", "REQUEST", "Seen", "media", "request_fields"]
