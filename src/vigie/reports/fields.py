"""What the public sees of a report, declared once: one list of fields.

Each :class:`Field` says how Python renders it (``views.public_view``: the
API's report, public events and live streams, tracking pages) and how the
database writes it (``rendered.public_items``: the public list as JSON written
by SQLite's ``json_object`` / PostgreSQL's ``json_build_object``). Adding a
field to :data:`PUBLIC` is the one change that makes it appear in all of them,
in the same place; ``tests/reports/test_reports_fields.py`` proves it.

Nothing here may read a reporter's data: the public view has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import func

from vigie.catalogue.domain import Catalogue
from vigie.city.publication import PublicationPolicy
from vigie.reports import publication as pub
from vigie.reports.domain import CLOSED, open311_status
from vigie.reports.records import ReportData
from vigie.reports.storage import PhotoRow, ReportRow
from vigie.sqljson import JsonSql, lit

R = ReportRow.__table__.c
P = PhotoRow.__table__
# Inlined: an anonymous parameter would be named after the column ("status_1") and
# clash with the filter's own status parameters.
CLOSED_VALUES = [lit(value) for value in sorted(s.value for s in CLOSED)]


@dataclass(frozen=True)
class Shown:
    """What Python renderings need besides the row."""

    catalogue: Catalogue
    policy: PublicationPolicy  # the city's publication policy (city/publication.py)
    lang: str = "fr"
    base: str = ""  # the public base URL, before photo paths


@dataclass(frozen=True)
class Field:
    """One key of the public view.

    ``value`` renders it from a report record in Python; ``sql`` is the same
    value as a SQL expression for the database's JSON (``None``: a catalogue
    text the database cannot know, put in by Python after the query; only
    ``service_name`` is one).
    """

    name: str
    value: Callable[[ReportData, Shown], Any]
    sql: Callable[[JsonSql], ColumnElement[Any]] | None


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def photo_urls(
    row: ReportData, base: str = "", policy: PublicationPolicy | None = None
) -> list[dict[str, Any]]:
    """The report's photos as URLs; with a ``policy``, only those it lets the public see."""
    return [
        {
            "id": p.key,
            "kind": p.kind,
            "url": f"{base}/api/v1/photos/{p.key}",
            "thumbnail_url": f"{base}/api/v1/photos/{p.key}/thumbnail",
            "width": p.width,
            "height": p.height,
        }
        for p in row.photos
        if policy is None or policy.photo_shown(p.kind, p.moderation)
    ]


def open311_status_sql(column: ColumnElement[str]) -> ColumnElement[str]:
    return case((column.in_(CLOSED_VALUES), lit("closed")), else_=lit("open"))


def photo_url(j: JsonSql, column: ColumnElement[str], suffix: str = "") -> ColumnElement[str]:
    """``{base}/api/v1/photos/{key}{suffix}``, ``base`` a bound parameter."""
    url = j.text(bindparam("base")).concat(lit("/api/v1/photos/")).concat(column)
    return url.concat(lit(suffix)) if suffix else url


def _photo_pairs(j: JsonSql, c: Any) -> list[tuple[str, ColumnElement[Any]]]:
    return [
        ("id", c.key),
        ("kind", c.kind),
        ("url", photo_url(j, c.key)),
        ("thumbnail_url", photo_url(j, c.key, "/thumbnail")),
        ("width", c.width),
        ("height", c.height),
    ]


def photos_array(j: JsonSql) -> ColumnElement[Any]:
    """``photo_urls(row)``: the report's photos in upload order, as a JSON array."""
    if j.sqlite:
        # SQLite 3.40 has no ORDER BY inside aggregates: aggregate an ordered derived
        # table, which SQLAlchemy does not correlate: the outer row's id is named as text.
        outer_id: ColumnElement[int] = literal_column("reports.id")
        shown = pub.photo_shown_sql(j.policy, P.c.kind, P.c.moderation)
        ordered = select(P).where(P.c.report_id == outer_id, shown).order_by(P.c.id).subquery()
        array = select(func.json_group_array(j.obj_value(_photo_pairs(j, ordered.c)))).scalar_subquery()
        return func.json(array)  # the subquery's result is text again: json() makes it JSON
    agg = func.json_agg(aggregate_order_by(j.obj_value(_photo_pairs(j, P.c)), P.c.id))
    return func.coalesce(
        select(agg)
        .where(P.c.report_id == R.id, pub.photo_shown_sql(j.policy, P.c.kind, P.c.moderation))
        .scalar_subquery(),
        literal_column("'[]'::json"),
    )


def _service_name(row: ReportData, shown: Shown) -> str:
    service = shown.catalogue.service(row.service_code)
    return service.name.get(shown.lang) if service else row.service_code


def _checked(r: ReportData) -> bool:
    return r.public_checked_at is not None


def _text(r: ReportData, s: Shown) -> str:
    return s.policy.public_text(r.description, r.public_description, _checked(r))


def _attributes(r: ReportData, s: Shown) -> dict[str, Any]:
    if not s.policy.description_shown(_checked(r)):
        return {}
    return s.catalogue.public_answers(r.service_code, r.attributes)


def _when(column: str) -> Field:
    def value(r: ReportData, s: Shown) -> str | None:
        return iso(s.policy.when(getattr(r, column)))

    def sql(j: JsonSql) -> ColumnElement[Any]:
        return j.utc_iso(pub.when_sql(j, j.policy, R[column]), nullable=column not in NOT_NULL)

    return Field(column, value, sql)


NOT_NULL = ("requested_at", "updated_at")

PUBLIC: tuple[Field, ...] = (
    Field("id", lambda r, _: str(r.id), lambda j: j.text(R.id)),
    Field("reference", lambda r, _: r.reference, lambda j: R.reference),
    Field("service_code", lambda r, _: r.service_code, lambda j: R.service_code),
    Field("service_name", _service_name, None),
    Field("group", lambda r, _: r.service_group, lambda j: R.service_group),
    Field("status", lambda r, _: r.status, lambda j: R.status),
    Field("open311_status", lambda r, _: open311_status(r.status), lambda j: open311_status_sql(R.status)),
    Field("description", _text, lambda j: pub.description_sql(j, j.policy)),
    Field("lat", lambda r, s: s.policy.position(r.lat, r.long)[0], lambda j: pub.lat_sql(j, j.policy)),
    Field("long", lambda r, s: s.policy.position(r.lat, r.long)[1], lambda j: pub.long_sql(j, j.policy)),
    Field(
        "address",
        lambda r, s: r.address if s.policy.exact_position else "",
        lambda j: pub.address_sql(j.policy, R.address),
    ),
    Field(
        "address_id",
        lambda r, s: r.address_id if s.policy.exact_position else "",
        lambda j: pub.address_sql(j.policy, R.address_id),
    ),
    Field("zone", lambda r, _: r.zone, lambda j: R.zone),
    Field("attributes", _attributes, lambda j: pub.attributes_sql(j, j.policy)),
    Field("status_notes", lambda r, _: r.status_notes, lambda j: R.status_notes),
    Field("reject_reason", lambda r, _: r.reject_reason, lambda j: R.reject_reason),
    Field(
        "duplicate_of",
        lambda r, _: str(r.duplicate_of_id) if r.duplicate_of_id else None,
        lambda j: case((R.duplicate_of_id != lit(0), j.text(R.duplicate_of_id)), else_=None),
    ),
    _when("requested_at"),
    _when("updated_at"),
    _when("expected_at"),
    _when("closed_at"),
    Field("photos", lambda r, s: photo_urls(r, s.base, s.policy), photos_array),
)


def public_fields() -> tuple[Field, ...]:
    """The list in force (read at each use, so that a test may extend it)."""
    return PUBLIC


__all__ = [
    "CLOSED_VALUES",
    "Field",
    "PUBLIC",
    "Shown",
    "iso",
    "open311_status_sql",
    "photo_url",
    "photo_urls",
    "photos_array",
    "public_fields",
]
