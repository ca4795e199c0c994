"""The public list of reports, written as JSON by the database.

The same items as ``public_view`` (field for field; checked against it in
``tests/reports/test_reports_rendered.py`` on both backends), for the native
list when no agent is logged in: the interpreter only fetches one string per
report and puts in the service's name. See :mod:`vigie.sqljson` for why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, bindparam, case, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import func

from vigie.catalogue.domain import Catalogue
from vigie.reports.domain import CLOSED
from vigie.reports.queries import ReportFilter, page_key, page_params, page_statement
from vigie.reports.storage import PhotoRow, ReportRow
from vigie.runtime import Vigie
from vigie.sqljson import JsonSql, lit

R = ReportRow.__table__.c
P = PhotoRow.__table__
T = TypeVar("T")
# Inlined: an anonymous parameter would be named after the column ("status_1") and
# clash with the filter's own status parameters.
CLOSED_VALUES = [lit(value) for value in sorted(s.value for s in CLOSED)]


def open311_status(column: ColumnElement[str]) -> ColumnElement[str]:
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
        ordered = select(P).where(P.c.report_id == outer_id).order_by(P.c.id).subquery()
        array = select(func.json_group_array(j.obj_value(_photo_pairs(j, ordered.c)))).scalar_subquery()
        return func.json(array)  # the subquery's result is text again: json() makes it JSON
    agg = func.json_agg(aggregate_order_by(j.obj_value(_photo_pairs(j, P.c)), P.c.id))
    return func.coalesce(
        select(agg).where(P.c.report_id == R.id).scalar_subquery(), literal_column("'[]'::json")
    )


def _item(j: JsonSql) -> tuple[ColumnElement[str], str]:
    name, mark = j.mark(1)
    pairs: list[tuple[str, ColumnElement[Any]]] = [
        ("id", j.text(R.id)),
        ("reference", R.reference),
        ("service_code", R.service_code),
        name,
        ("group", R.service_group),
        ("status", R.status),
        ("open311_status", open311_status(R.status)),
        ("description", R.description),
        ("lat", j.number(R.lat)),
        ("long", j.number(R.long)),
        ("address", R.address),
        ("address_id", R.address_id),
        ("zone", R.zone),
        ("attributes", j.raw(R.attributes, "{}")),
        ("status_notes", R.status_notes),
        ("reject_reason", R.reject_reason),
        ("duplicate_of", case((R.duplicate_of_id != lit(0), j.text(R.duplicate_of_id)), else_=None)),
        ("requested_at", j.utc_iso(R.requested_at, nullable=False)),
        ("updated_at", j.utc_iso(R.updated_at, nullable=False)),
        ("expected_at", j.utc_iso(R.expected_at)),
        ("closed_at", j.utc_iso(R.closed_at)),
        ("photos", photos_array(j)),
    ]
    return j.obj(pairs), mark


_STATEMENTS: dict[tuple[Any, ...], tuple[Select[Any], str]] = {}


def _statement(dialect: str, f: ReportFilter) -> tuple[Select[Any], str]:
    key = (dialect, page_key(dialect, f))
    if key not in _STATEMENTS:
        item, mark = _item(JsonSql(dialect))
        _STATEMENTS[key] = (page_statement(dialect, f).with_only_columns(R.service_code, item), mark)
    return _STATEMENTS[key]


_Memo = dict[tuple[int, str], tuple[Catalogue, Any]]
_NAMES: _Memo = {}


def per_catalogue(cache: _Memo, catalogue: Catalogue, lang: str, build: Callable[[], T]) -> T:
    """``build()`` memoised per catalogue and language (a reloaded catalogue starts afresh)."""
    found = cache.get((id(catalogue), lang))
    if found is None or found[0] is not catalogue:
        if len(cache) > 16:
            cache.clear()
        found = cache[(id(catalogue), lang)] = (catalogue, build())
    result: T = found[1]
    return result


class NamePairs(dict[str, str]):
    """``"service_name":"…"`` per service code; a code no longer in the catalogue names itself."""

    def __missing__(self, code: str) -> str:
        return '"service_name":' + orjson.dumps(code).decode()


def service_name_pairs(catalogue: Catalogue, lang: str) -> NamePairs:
    """The service names as ``public_view`` and ``request_view`` write them, per language."""

    def build() -> NamePairs:
        return NamePairs(
            (code, '"service_name":' + orjson.dumps(s.name.get(lang)).decode())
            for code, s in catalogue.services.items()
        )

    return per_catalogue(_NAMES, catalogue, lang, build)


def public_items(v: Vigie, f: ReportFilter, page: int, page_size: int, lang: str) -> tuple[list[str], bool]:
    """One page of ``public_view`` items as JSON texts, and whether another page follows."""
    params = page_params(f, page, page_size)
    params["base"] = v.settings.public_base_url.rstrip("/")
    stmt, mark = _statement(v.db.dialect, f)
    with v.db.one_statement_connection() as conn:
        rows = conn.execute(stmt, params).all()
    names = service_name_pairs(v.catalogue, lang)
    items = [item.replace(mark, names[code], 1) for code, item in rows[:page_size]]
    return items, len(rows) > page_size


__all__ = [
    "CLOSED_VALUES",
    "NamePairs",
    "open311_status",
    "per_catalogue",
    "photo_url",
    "photos_array",
    "public_items",
    "service_name_pairs",
]
