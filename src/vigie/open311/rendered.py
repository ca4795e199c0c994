"""Open311 ``requests.json`` pages written as JSON by the database.

The same ``request`` elements as ``request_view`` without extensions, from the
same field list (``open311/fields.py``; checked
field for field in ``tests/open311/test_open311_rendered.py``, both backends):
dates in the city's time zone, ``media_url`` from the first photo or the
creation entry. The catalogue's texts (service name, responsible team, the
procedure's notice for the status) are put in by Python, memoised per
(service, team, procedure, status). See :mod:`vigie.sqljson` for why.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    select,
)

from vigie.catalogue.domain import Catalogue
from vigie.city.publication import PublicationPolicy
from vigie.db import Prepared
from vigie.reports import publication as pub
from vigie.reports.queries import ReportFilter, page_key, page_params, page_statement
from vigie.reports.rendered import (
    per_catalogue,
    photo_url,
    service_name_pairs,
)
from vigie.reports.storage import PhotoRow, ReportRow, ReportUpdateRow, creation_media
from vigie.runtime import Vigie
from vigie.sqljson import JsonSql, ensure_tz_offsets, lit

from . import fields
from .fields import Open311Field
from .views import Ctx, notice_for

R = ReportRow.__table__.c
P = PhotoRow.__table__
U = ReportUpdateRow.__table__


def _creation_media(j: JsonSql) -> ColumnElement[Any]:
    """``_media`` of the first creation entry that has one (a URL given with an Open311 POST)."""
    if j.sqlite:
        media = case(
            (
                func.json_type(U.c.detail, lit("$.media")) == lit("array"),
                func.json_extract(U.c.detail, lit("$.media[0]")),
            ),
            (
                func.json_type(U.c.detail, lit("$.media")) == lit("text"),
                func.json_extract(U.c.detail, lit("$.media")),
            ),
            else_=None,
        )
    else:
        m = U.c.detail.op("->")(lit("media"))
        media = case(
            (func.json_typeof(m) == lit("array"), m.op("->>")(lit(0))),
            (func.json_typeof(m) == lit("string"), U.c.detail.op("->>")(lit("media"))),
            else_=None,
        )
    text = j.text(media)
    return (
        select(text)
        .where(
            # creation_media is the partial index's own predicate: most reports are
            # looked up in a nearly empty index instead of their whole history.
            and_(U.c.report_id == R.id, creation_media(j.sqlite), func.coalesce(text, lit("")) != lit(""))
        )
        .order_by(U.c.id)
        .limit(lit(1))
        .scalar_subquery()
    )


def media_url_sql(j: JsonSql) -> ColumnElement[Any]:
    """``media_url``: the first photo's URL, else the creation entry's media link (those the
    publication policy shows)."""
    first_photo = (
        select(photo_url(j, P.c.key))
        .where(P.c.report_id == R.id, pub.photo_shown_sql(j.policy, P.c.kind, P.c.moderation))
        .order_by(P.c.id)
        .limit(lit(1))
        .scalar_subquery()
    )
    return func.coalesce(first_photo, case((pub.creation_media_shown_sql(j.policy), _creation_media(j))))


def _item(j: JsonSql, tz: str, request: tuple[Open311Field, ...]) -> tuple[ColumnElement[str], str, str]:
    """The JSON object of ``request``'s fields, with placeholders for the catalogue's texts."""
    name, name_mark = j.mark(1)
    agency, agency_mark = j.mark(2)  # filled with agency_responsible and service_notice together
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    names = [f.name for f in request]
    for i, f in enumerate(request):
        if f.sql is not None:
            pairs.append((f.name, f.sql(j, tz)))
        elif f.name == "service_name":
            pairs.append(name)
        elif f.name == "agency_responsible" and names[i + 1 : i + 2] == ["service_notice"]:
            pairs.append(agency)
        elif f.name != "service_notice":
            raise ValueError(f"Open311 field {f.name!r} has no SQL form")
    return j.obj(pairs), name_mark, agency_mark


_STATEMENTS: dict[tuple[Any, ...], tuple[Prepared, str, str]] = {}


def _statement(
    dialect: str, f: ReportFilter, tz: str, policy: PublicationPolicy
) -> tuple[Prepared, str, str]:
    request = fields.request_fields()
    key = (dialect, tz, page_key(dialect, f), request, policy)
    if key not in _STATEMENTS:
        item, name_mark, agency_mark = _item(JsonSql(dialect, policy), tz, request)
        columns = (R.service_code, R.team, R.procedure_id, R.status, item)
        stmt = page_statement(dialect, f).with_only_columns(*columns)
        _STATEMENTS[key] = (Prepared(stmt), name_mark, agency_mark)
    return _STATEMENTS[key]


_AGENCY: dict[tuple[int, str], tuple[Catalogue, Any]] = {}


def _agency_pairs(ctx: Ctx) -> dict[tuple[str, str, str], str]:
    """Filled as pages meet new (team, procedure, status) triples; see :func:`_agency_pair`."""
    return per_catalogue(_AGENCY, ctx.v.catalogue, ctx.lang, dict)


def _agency_pair(ctx: Ctx, team: str, procedure_id: str, status: str) -> str:
    """``"agency_responsible":…,"service_notice":…`` as ``request_view`` writes them."""
    t = ctx.v.catalogue.teams.get(team)
    agency = t.name.get(ctx.lang) if t else (team or None)
    notice = notice_for(ctx, procedure_id, status)
    return (
        '"agency_responsible":'
        + orjson.dumps(agency).decode()
        + ',"service_notice":'
        + orjson.dumps(notice).decode()
    )


def request_items(ctx: Ctx, f: ReportFilter, page: int, page_size: int) -> tuple[list[str], bool]:
    """One page of ``request`` elements (no extensions) as JSON texts, and whether another follows."""
    v: Vigie = ctx.v
    tz = v.city.timezone.key
    ensure_tz_offsets(v.db, tz)
    params = page_params(f, page, page_size)
    params["base"] = ctx.base
    stmt, name_mark, agency_mark = _statement(v.db.dialect, f, tz, ctx.publication)
    with v.db.one_statement_connection() as conn:
        rows = stmt.rows(conn, params)
    names = service_name_pairs(v.catalogue, ctx.lang)
    agencies = _agency_pairs(ctx)
    items = []
    for code, team, procedure_id, status, item in rows[:page_size]:
        name = names[code]
        agency = agencies.get((team, procedure_id, status))
        if agency is None:
            agency = agencies[(team, procedure_id, status)] = _agency_pair(ctx, team, procedure_id, status)
        items.append(item.replace(name_mark, name, 1).replace(agency_mark, agency, 1))
    return items, len(rows) > page_size


__all__ = ["request_items"]
