"""The built-in geocoder: search and reverse over the gazetteer in Vigie's own database.

Search (same SQL on SQLite and PostgreSQL):

1. the query is folded and split (:func:`vigie.addresses.text.parse_query`):
   a leading house number, whole words, and the word being typed as a prefix;
2. the rarest word (``address_token_stats``) picks the candidate places
   through ``address_tokens`` (a prefix is a range ``lib <= token < lic``),
   first in the nine grid cells around the given centre (index
   ``(cell, token)``), then everywhere if that found too few (primary key
   ``(token, place_id)``); every other word is checked with ``LIKE`` on the
   candidate's ``tokens``; the nearest candidates to the centre (or the
   largest streets without one) are kept, and the house number asked for is
   looked up in those places (``address_points`` by ``(place_id, number)``)
   in the same statement;
3. the answers are scored: how much of the name the query covers, and
   closeness to the centre.

A search is two statements (the words' counts, then the candidates with their
number; a third only when a common word found too few around the centre). The
statements run on the driver's cursor of a connection outside any transaction
(PostgreSQL's one-statement pool, in autocommit; SQLite's connections, which
begin nothing by themselves): no BEGIN and ROLLBACK round trips on PostgreSQL,
and on SQLite fewer hand-overs of Python's global lock, which every statement
and every row stepped releases and takes back (under concurrency, that wait is
most of a request's time: docs/benchmarks.md).

Reverse: the nearest address point within 50 m, else the street whose line through its
address points passes within 50 m (streets with points within 300 m are the candidates),
else the zone (commune) of the city profile that holds the point. Which points are near
is answered from memory (:mod:`vigie.addresses.pointgrid`); the database is read only for
the rows of an answer: the point found, or the candidate streets' lines.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy.exc import DBAPIError

from vigie.addresses.domain import (
    ADDRESS_RADIUS_M,
    EARTH_M_PER_DEG,
    STREET_RADIUS_M,
    Address,
    cells_around,
    label_of,
    metres,
    metres_to_line,
    zone_address,
)
from vigie.addresses.pointgrid import GridHolder, PointGrid
from vigie.addresses.text import HouseNumber, Term, index_tokens, parse_query
from vigie.city.zones import ZoneIndex
from vigie.db import Database

CANDIDATES = 30  # places read per query, at least: the nearest, before scoring
# A search whose rarest word leads to more places than this reads the nine grid cells around
# the centre first; a rarer word's entries are read everywhere at once (as cheap as the cells,
# and one statement fewer when the cells would hold fewer answers than asked).
NEAR_FIRST = 500
STREET_SEARCH_M = 300.0  # reverse: streets with an address point this close are candidates

# Statements are written with named binds (:name), from constant fragments and bound
# parameters only (hence the noqa: S608); a list is one bind per item (:s0, :s1…).
_PLACE_COLUMNS = "p.id, p.ref, p.kind, p.name, p.category, p.postcode, p.citycode, p.city, p.lat, p.lon"
_POINT_COLUMNS = "a.id, a.number, a.rep, a.lat, a.lon"
_PREFIX_COUNT = (
    "(SELECT coalesce(sum(places), 0) FROM address_token_stats WHERE token >= :{lo} AND token < :{hi})"
)
_WORD_COUNT = "(SELECT coalesce(max(places), 0) FROM address_token_stats WHERE token = :{t})"
_POINT_AT = (
    f"SELECT {_PLACE_COLUMNS}, {_POINT_COLUMNS} FROM address_points a "  # noqa: S608
    "JOIN address_places p ON p.id = a.place_id "
    "WHERE a.place_id = :place AND a.lat = :lat AND a.lon = :lon ORDER BY a.id LIMIT 1"
)
# Only streets whose extent comes within reach: a line never leaves its points' box, so the
# others cannot be within STREET_RADIUS_M, and their lines are not read or measured.
_STREETS_IN = (
    f"SELECT {_PLACE_COLUMNS}, p.line FROM address_places p WHERE p.kind = 'street' AND p.id IN ({{ids}}) "  # noqa: S608
    "AND p.min_lat <= :lat1 AND p.max_lat >= :lat0 AND p.min_lon <= :lon1 AND p.max_lon >= :lon0"
)
_POINT_BY_ID = (
    f"SELECT {_PLACE_COLUMNS}, {_POINT_COLUMNS} FROM address_points a "  # noqa: S608
    "JOIN address_places p ON p.id = a.place_id WHERE a.id = :id"
)
_PLACE_BY_REF = f"SELECT {_PLACE_COLUMNS} FROM address_places p WHERE p.ref = :id ORDER BY p.id LIMIT 1"  # noqa: S608
_BIND = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=1024)
def _pyformat(sql: str) -> str:
    """``:name`` binds as ``%(name)s``, for drivers that take that style (psycopg)."""
    return _BIND.sub(r"%(\1)s", sql)


def _binds(name: str, values: Sequence[object], params: dict[str, Any]) -> str:
    """One bind per item of a list (``:name0, :name1…``), added to ``params``."""
    for i, value in enumerate(values):
        params[f"{name}{i}"] = value
    return ", ".join(f":{name}{i}" for i in range(len(values)))


class _Place(NamedTuple):
    """A street or named place, as ``_PLACE_COLUMNS`` reads it."""

    id: int
    ref: str
    kind: str
    name: str
    category: str
    postcode: str
    citycode: str
    city: str
    lat: float
    lon: float


class _Point(NamedTuple):
    """An address point, as ``_POINT_COLUMNS`` reads it."""

    id: str
    number: int
    rep: str
    lat: float
    lon: float


_P = len(_Place._fields)
_A = _P + len(_Point._fields)


def _upper(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix`` (ASCII tokens)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class _Reader:
    """Rows of the geocoder's statements, straight from the driver's cursor.

    SQLAlchemy's per-statement work (cache key, execution context, result rows)
    costs more than these indexed reads themselves; the values are plain numbers
    and strings, so nothing is lost by reading the driver's tuples.
    """

    def __init__(self, cursor: Any, pyformat: bool, dbapi_error: type[Exception]) -> None:
        self.cursor = cursor
        self.pyformat = pyformat
        self.dbapi_error = dbapi_error

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        statement = _pyformat(sql) if self.pyformat else sql
        try:
            self.cursor.execute(statement, params)
            return list(self.cursor.fetchall())
        except self.dbapi_error as exc:
            # The same exception classes callers get from Connection.execute.
            raise DBAPIError.instance(statement, params, exc, self.dbapi_error) from exc

    def first(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(sql, params)
        return found[0] if found else None


class BuiltinGeocoder:
    """Gazetteer search and reverse geocoding in the platform's database."""

    name = "builtin"

    def __init__(self, db: Database, zones: ZoneIndex) -> None:
        self.db = db
        self.zones = zones
        self._points = GridHolder()

    def close(self) -> None:
        pass

    @contextmanager
    def _reader(self) -> Iterator[_Reader]:
        """A connection outside any transaction: PostgreSQL's one-statement pool (autocommit),
        SQLite's own (which begins nothing by itself)."""
        engine = self.db.one_statement_engine
        dbapi = engine.dialect.loaded_dbapi
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                yield _Reader(cursor, dbapi.paramstyle == "pyformat", dbapi.Error)
            finally:
                cursor.close()
        finally:
            raw.close()

    # --- search -------------------------------------------------------------

    def search(
        self, q: str, lat: float | None = None, lon: float | None = None, limit: int = 5
    ) -> list[Address]:
        parsed = parse_query(q)
        terms = parsed.terms
        if not terms:
            return []
        hn = parsed.housenumber
        with self._reader() as db:
            counts = self._counts(db, terms)
            if min(counts) == 0:
                return []  # a word no place has: nothing matches every word
            driver = counts.index(min(counts))
            n = max(CANDIDATES, limit * 3)
            found: list[tuple[_Place, _Point | None]] = []
            if lat is not None and lon is not None and counts[driver] > NEAR_FIRST:
                # A common word: around the centre first, a few index entries.
                found = self._candidates(db, terms, driver, hn, lat, lon, n, cells_around(lat, lon))
            if len(found) < limit:
                found = self._candidates(db, terms, driver, hn, lat, lon, n)
        # Scored first, and only the answers kept made into Addresses (stable: ties keep
        # the candidates' order, nearest first).
        scored = sorted(
            ((self._score(place, point, terms, hn, lat, lon), place, point) for place, point in found),
            key=lambda x: -x[0],
        )
        return [_answer(place, point, score) for score, place, point in scored[:limit]]

    def _counts(self, db: _Reader, terms: Sequence[Term]) -> list[int]:
        """How many places each term leads to (an upper bound for a prefix with
        alternatives), in one statement: one scalar subquery per word."""
        params: dict[str, Any] = {}
        columns = []
        for i, term in enumerate(terms):
            params[f"t{i}"] = term.text
            if term.prefix:
                params[f"t{i}_hi"] = _upper(term.text)
                parts = [_PREFIX_COUNT.format(lo=f"t{i}", hi=f"t{i}_hi")]
            else:
                parts = [_WORD_COUNT.format(t=f"t{i}")]
            for j, alt in enumerate(term.alternatives):
                params[f"t{i}a{j}"] = alt
                parts.append(_WORD_COUNT.format(t=f"t{i}a{j}"))
            columns.append(" + ".join(parts))
        return [int(n) for n in db.rows("SELECT " + ", ".join(columns), params)[0]]

    def _candidates(
        self,
        db: _Reader,
        terms: Sequence[Term],
        driver: int,
        hn: HouseNumber | None,
        lat: float | None,
        lon: float | None,
        n: int,
        cells: list[int] | None = None,
    ) -> list[tuple[_Place, _Point | None]]:
        """The ``n`` places matching every term nearest the centre (largest first without
        one), each with the point of the house number asked for when it has it (exact
        repetition first), else None: one statement."""
        params: dict[str, Any] = {"n": n}
        lead = terms[driver]
        entry = ["token = :d"] if not lead.prefix else ["(token >= :d AND token < :d_hi)"]
        params["d"] = lead.text
        if lead.prefix:
            params["d_hi"] = _upper(lead.text)
        for j, alt in enumerate(lead.alternatives):
            entry.append(f"token = :da{j}")
            params[f"da{j}"] = alt
        near = f"cell IN ({_binds('c', cells, params)}) AND " if cells else ""
        where = [f"p.id IN (SELECT place_id FROM address_tokens WHERE {near}({' OR '.join(entry)}))"]  # noqa: S608
        for i, term in enumerate(terms):
            if i == driver:
                continue
            likes = [f"p.tokens LIKE :f{i}"]
            params[f"f{i}"] = f"% {term.text}%" if term.prefix else f"% {term.text} %"
            for j, alt in enumerate(term.alternatives):
                likes.append(f"p.tokens LIKE :f{i}a{j}")
                params[f"f{i}a{j}"] = f"% {alt} %"
            where.append("(" + " OR ".join(likes) + ")")
        if lat is not None and lon is not None:
            params.update(lat=lat, lon=lon, k2=math.cos(math.radians(lat)) ** 2)
            key = "(p.lat - :lat) * (p.lat - :lat) + (p.lon - :lon) * (p.lon - :lon) * :k2"
        else:
            key = "-p.points"
        sql = (
            f"SELECT {_PLACE_COLUMNS}, {key} AS sort_key FROM address_places p "  # noqa: S608
            f"WHERE {' AND '.join(where)} ORDER BY sort_key, p.id LIMIT :n"
        )
        if hn is None:
            return [(_Place._make(r[:_P]), None) for r in db.rows(sql, params)]
        # The number's points in those places only (index (place_id, number)), same statement.
        sql = (
            f"WITH c AS ({sql}) SELECT c.id, c.ref, c.kind, c.name, c.category, c.postcode, "  # noqa: S608
            f"c.citycode, c.city, c.lat, c.lon, {_POINT_COLUMNS} FROM c "
            "LEFT JOIN address_points a ON a.place_id = c.id AND a.number = :hn "
            "ORDER BY c.sort_key, c.id, a.rep"
        )
        params["hn"] = hn.number
        found: list[tuple[_Place, _Point | None]] = []
        for r in db.rows(sql, params):
            point = _Point._make(r[_P:_A]) if r[_P] is not None else None
            if not found or found[-1][0].id != r[0]:
                found.append((_Place._make(r[:_P]), point))
            elif point is not None and point.rep == hn.rep:
                found[-1] = (found[-1][0], point)  # one more point of that place: the repetition asked for
        return found

    @staticmethod
    def _score(
        place: _Place,
        point: _Point | None,
        terms: Sequence[Term],
        hn: HouseNumber | None,
        lat: float | None,
        lon: float | None,
    ) -> float:
        """How much of the name the query covers, and closeness to the centre."""
        name_tokens = index_tokens(place.name)
        covered = sum(1 for t in name_tokens if any(_matches(term, t) for term in terms))
        coverage = covered / len(name_tokens) if name_tokens else 1.0
        if lat is not None and lon is not None:
            where = (point.lat, point.lon) if point is not None else (place.lat, place.lon)
            km = metres(lat, lon, *where) / 1000
            score = 0.5 * coverage + 0.5 / (1 + km)
        else:
            score = 0.9 * coverage
        if hn is not None:
            if point is None:
                score *= 0.8  # the street, but not the number asked for
            elif point.rep != hn.rep:
                score *= 0.95
        return score

    # --- reverse ------------------------------------------------------------

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self._reader() as db:
            yield db.cursor

    def reverse(self, lat: float, lon: float) -> Address | None:
        grid = self._points.get(self._cursor)
        near = grid.within(*_box(lat, lon, ADDRESS_RADIUS_M))
        if len(near):
            # The nearest by the same plane distance as the streets' (cos² of the latitude).
            k2 = math.cos(math.radians(lat)) ** 2
            i = int(near[np.argmin((grid.lat[near] - lat) ** 2 + (grid.lon[near] - lon) ** 2 * k2)])
            at = {"place": int(grid.place[i]), "lat": float(grid.lat[i]), "lon": float(grid.lon[i])}
            d = metres(lat, lon, at["lat"], at["lon"])
            if d <= ADDRESS_RADIUS_M:
                with self._reader() as db:
                    row = db.first(_POINT_AT, at)
                # None: imported over since the grid was read (within CHECK_EVERY_S); on to the streets.
                if row is not None:
                    return _answer(_Place._make(row[:_P]), _Point._make(row[_P:_A]), 1.0).with_reverse(
                        "address", d
                    )
        street = self._street(grid, lat, lon)
        if street is not None:
            return street
        zone = self.zones.locate(lat, lon)
        if zone is None:
            return None
        return zone_address(zone.name, zone.code, lat, lon)

    def _street(self, grid: PointGrid, lat: float, lon: float) -> Address | None:
        """The street whose line passes nearest within reach, among those with an address
        point within :data:`STREET_SEARCH_M`."""
        places = np.unique(grid.place[grid.within(*_box(lat, lon, STREET_SEARCH_M))])
        if not len(places):
            return None
        # The reach, and 1e-5° more: a line's vertices are rounded to 1e-6°.
        lat0, lat1, lon0, lon1 = _box(lat, lon, STREET_RADIUS_M)
        params: dict[str, Any] = {
            "lat0": lat0 - 1e-5,
            "lat1": lat1 + 1e-5,
            "lon0": lon0 - 1e-5,
            "lon1": lon1 + 1e-5,
        }
        sql = _STREETS_IN.format(ids=_binds("s", places.tolist(), params))
        with self._reader() as db:
            rows = db.rows(sql, params)
        best: tuple[float, _Place] | None = None
        for r in rows:
            place, line = _Place._make(r[:_P]), r[_P]
            d = metres_to_line(lat, lon, json.loads(line)) if line else metres(lat, lon, place.lat, place.lon)
            if d <= STREET_RADIUS_M and (best is None or d < best[0]):
                best = (d, place)
        if best is None:
            return None
        return _answer(best[1], None, 1.0).with_reverse("street", best[0])

    def forget(self) -> None:
        """Forget the address points read for reverse geocoding (the gazetteer was imported)."""
        self._points.forget()

    # --- by id --------------------------------------------------------------

    def get(self, address_id: str) -> Address | None:
        """An address point by its id, else a street or place by its ref."""
        with self._reader() as db:
            row = db.first(_POINT_BY_ID, {"id": address_id})
            if row is not None:
                return _answer(_Place._make(row[:_P]), _Point._make(row[_P:_A]), 1.0)
            place = db.first(_PLACE_BY_REF, {"id": address_id})
        return _answer(_Place._make(place), None, 1.0) if place is not None else None


def _box(lat: float, lon: float, radius: float) -> tuple[float, float, float, float]:
    """(lat0, lat1, lon0, lon1): the box of ``radius`` metres around the point."""
    dlat = radius / EARTH_M_PER_DEG
    dlon = radius / (EARTH_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _matches(term: Term, token: str) -> bool:
    if term.prefix and token.startswith(term.text):
        return True
    return token == term.text or token in term.alternatives


def _answer(place: _Place, point: _Point | None, score: float) -> Address:
    """A place, or one of its address points, as an answer."""
    street = place.name if place.kind == "street" else ""
    if point is None:
        return Address(
            type="street" if street else "poi",
            label=label_of(place.name, place.postcode, place.city),
            lat=place.lat,
            lon=place.lon,
            id=place.ref,
            name=place.name,
            street=street,
            postcode=place.postcode,
            citycode=place.citycode,
            city=place.city,
            category=place.category,
            score=score,
        )
    number = HouseNumber(point.number, point.rep).label
    return Address(
        type="housenumber",
        label=label_of(number, place.name, place.postcode, place.city),
        lat=point.lat,
        lon=point.lon,
        id=point.id,
        name=f"{number} {place.name}",
        housenumber=number,
        street=street,
        postcode=place.postcode,
        citycode=place.citycode,
        city=place.city,
        category=place.category,
        score=score,
    )


__all__ = ["BuiltinGeocoder"]
