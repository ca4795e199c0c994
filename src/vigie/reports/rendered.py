"""The public list of reports, written as JSON by the database.

The same items as ``public_view``, built from the same field list
(``reports/fields.py``; checked against it in
``tests/reports/test_reports_rendered.py`` on both backends), for the native
list when no agent is logged in: the interpreter only fetches one string per
report and puts in the service's name. See :mod:`vigie.sqljson` for why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from sqlalchemy import ColumnElement

from vigie.catalogue.domain import Catalogue, PrivateAnswers
from vigie.city.publication import PublicationPolicy, TimePrecision
from vigie.db import Prepared
from vigie.reports import fields
from vigie.reports.fields import CLOSED_VALUES, Field, open311_status_sql, photo_url, photos_array
from vigie.reports.queries import ReportFilter, page_key, page_params, page_statement
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie
from vigie.sqljson import JsonSql, ensure_tz_offsets

R = ReportRow.__table__.c
T = TypeVar("T")
open311_status = open311_status_sql  # the name the Open311 renderer imports


def _item(j: JsonSql, public: tuple[Field, ...]) -> tuple[ColumnElement[str], str]:
    """The JSON object of ``public``'s fields; ``service_name`` is a placeholder Python fills."""
    name, mark = j.mark(1)
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    for f in public:
        if f.sql is not None:
            pairs.append((f.name, f.sql(j)))
        elif f.name == "service_name":
            pairs.append(name)
        else:
            raise ValueError(f"public field {f.name!r} has no SQL form")
    return j.obj(pairs), mark


_STATEMENTS: dict[tuple[Any, ...], tuple[Prepared, str]] = {}


def _statement(
    dialect: str, f: ReportFilter, policy: PublicationPolicy, private: PrivateAnswers
) -> tuple[Prepared, str]:
    public = fields.public_fields()
    key = (dialect, page_key(dialect, f), public, policy, private)
    if key not in _STATEMENTS:
        item, mark = _item(JsonSql(dialect, policy, private), public)
        stmt = page_statement(dialect, f).with_only_columns(R.service_code, item)
        _STATEMENTS[key] = (Prepared(stmt), mark)
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
    policy = v.city.publication
    if policy.time is TimePrecision.DAY:
        ensure_tz_offsets(v.db, policy.timezone)
    stmt, mark = _statement(v.db.dialect, f, policy, v.catalogue.private_answers)
    with v.db.one_statement_connection() as conn:
        rows = stmt.rows(conn, params)
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
