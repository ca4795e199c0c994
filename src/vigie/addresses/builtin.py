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
   largest streets without one) are kept;
3. a house number is looked up in those places (``address_points`` by
   ``(place_id, number)``), and the answers are scored: how much of the name
   the query covers, and closeness to the centre.

Reverse: the nearest address point within 50 m (index on ``(strip, lat)``: the
two or three longitude strips around the point, a latitude range in each), else
the street whose line through its address points passes within 50 m (streets
with points within 300 m are the candidates), else the zone (commune) of the
city profile that holds the point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text

from vigie.addresses.domain import (
    ADDRESS_RADIUS_M,
    EARTH_M_PER_DEG,
    STREET_RADIUS_M,
    Address,
    cells_around,
    label_of,
    metres,
    metres_to_line,
    strip_of,
    zone_address,
)
from vigie.addresses.text import HouseNumber, Term, index_tokens, parse_query
from vigie.city.zones import ZoneIndex
from vigie.db import Database

CANDIDATES = 30  # places read per query, at least: the nearest, before scoring
STREET_SEARCH_M = 300.0  # reverse: streets with an address point this close are candidates
_PLACE_COLUMNS = "p.id, p.ref, p.kind, p.name, p.category, p.postcode, p.citycode, p.city, p.lat, p.lon"
_POINT_COLUMNS = "a.id AS a_id, a.number, a.rep, a.lat AS a_lat, a.lon AS a_lon, " + _PLACE_COLUMNS
# Statements from constant fragments and bound parameters only (hence the noqa: S608).
_PREFIX_COUNT = text(
    "SELECT coalesce(sum(places), 0) FROM address_token_stats WHERE token >= :lo AND token < :hi"
)
_WORD_COUNT = text("SELECT coalesce(max(places), 0) FROM address_token_stats WHERE token = :t")
_NUMBERS = text(
    "SELECT id, place_id, number, rep, lat, lon FROM address_points WHERE place_id IN :ids AND number = :n"
).bindparams(bindparam("ids", expanding=True))
_NEAREST_POINT = text(
    f"SELECT {_POINT_COLUMNS} FROM address_points a JOIN address_places p ON p.id = a.place_id "  # noqa: S608
    "WHERE a.strip IN :strips AND a.lat BETWEEN :lat0 AND :lat1 AND a.lon BETWEEN :lon0 AND :lon1 "
    "ORDER BY (a.lat - :lat) * (a.lat - :lat) + (a.lon - :lon) * (a.lon - :lon) * :k2 LIMIT 1"
).bindparams(bindparam("strips", expanding=True))
_STREETS_NEAR = text(
    f"SELECT {_PLACE_COLUMNS}, p.line FROM address_places p WHERE p.kind = 'street' AND p.id IN "  # noqa: S608
    "(SELECT DISTINCT place_id FROM address_points "
    "WHERE strip IN :strips AND lat BETWEEN :lat0 AND :lat1 AND lon BETWEEN :lon0 AND :lon1)"
).bindparams(bindparam("strips", expanding=True))
_POINT_BY_ID = text(
    f"SELECT {_POINT_COLUMNS} FROM address_points a JOIN address_places p ON p.id = a.place_id "  # noqa: S608
    "WHERE a.id = :id"
)
_PLACE_BY_REF = text(
    f"SELECT {_PLACE_COLUMNS} FROM address_places p WHERE p.ref = :id ORDER BY p.id LIMIT 1"  # noqa: S608
)


def _upper(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix`` (ASCII tokens)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class BuiltinGeocoder:
    """Gazetteer search and reverse geocoding in the platform's database."""

    name = "builtin"

    def __init__(self, db: Database, zones: ZoneIndex) -> None:
        self.db = db
        self.zones = zones

    def close(self) -> None:
        pass

    # --- search -------------------------------------------------------------

    def search(
        self, q: str, lat: float | None = None, lon: float | None = None, limit: int = 5
    ) -> list[Address]:
        parsed = parse_query(q)
        terms = parsed.terms
        if not terms:
            return []
        with self.db.engine.connect() as conn:
            counts = [self._places_with(conn, t) for t in terms]
            if min(counts) == 0:
                return []  # a word no place has: nothing matches every word
            driver = counts.index(min(counts))
            n = max(CANDIDATES, limit * 3)
            rows = []
            if lat is not None and lon is not None:  # around the centre first: a few index entries
                rows = self._candidates(conn, terms, driver, lat, lon, n, cells_around(lat, lon))
            if len(rows) < limit:
                rows = self._candidates(conn, terms, driver, lat, lon, n)
            points = (
                self._numbers(conn, [r.id for r in rows], parsed.housenumber) if parsed.housenumber else {}
            )
        answers = [self._answer(r, terms, parsed.housenumber, points.get(r.id), lat, lon) for r in rows]
        answers.sort(key=lambda a: -a.score)
        return answers[:limit]

    def _places_with(self, conn: Connection, term: Term) -> int:
        """How many places a term leads to (an upper bound for a prefix with alternatives)."""
        if term.prefix:
            n = conn.execute(_PREFIX_COUNT, {"lo": term.text, "hi": _upper(term.text)}).scalar_one()
        else:
            n = conn.execute(_WORD_COUNT, {"t": term.text}).scalar_one()
        for alt in term.alternatives:
            n += conn.execute(_WORD_COUNT, {"t": alt}).scalar_one()
        return int(n)

    def _candidates(
        self,
        conn: Connection,
        terms: Sequence[Term],
        driver: int,
        lat: float | None,
        lon: float | None,
        n: int,
        cells: list[int] | None = None,
    ) -> list[Any]:
        params: dict[str, Any] = {"n": n}
        lead = terms[driver]
        entry = ["token = :d"] if not lead.prefix else ["(token >= :d AND token < :d_hi)"]
        params["d"] = lead.text
        if lead.prefix:
            params["d_hi"] = _upper(lead.text)
        for j, alt in enumerate(lead.alternatives):
            entry.append(f"token = :da{j}")
            params[f"da{j}"] = alt
        near = ""
        if cells:
            near = "cell IN :cells AND "
            params["cells"] = cells
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
            order = "(p.lat - :lat) * (p.lat - :lat) + (p.lon - :lon) * (p.lon - :lon) * :k2"
        else:
            order = "p.points DESC, p.id"
        sql = f"SELECT {_PLACE_COLUMNS} FROM address_places p WHERE {' AND '.join(where)}"  # noqa: S608
        stmt = text(f"{sql} ORDER BY {order} LIMIT :n")
        if cells:
            stmt = stmt.bindparams(bindparam("cells", expanding=True))
        return list(conn.execute(stmt, params))

    def _numbers(self, conn: Connection, place_ids: list[int], hn: HouseNumber) -> dict[int, Any]:
        """The point of the house number in each place that has it (exact repetition first)."""
        if not place_ids:
            return {}
        rows = conn.execute(_NUMBERS, {"ids": place_ids, "n": hn.number})
        best: dict[int, Any] = {}
        for r in rows:
            held = best.get(r.place_id)
            if held is None or (r.rep == hn.rep and held.rep != hn.rep):
                best[r.place_id] = r
        return best

    def _answer(
        self,
        row: Any,
        terms: Sequence[Term],
        hn: HouseNumber | None,
        point: Any,
        lat: float | None,
        lon: float | None,
    ) -> Address:
        name_tokens = index_tokens(row.name)
        covered = sum(1 for t in name_tokens if any(_matches(term, t) for term in terms))
        coverage = covered / len(name_tokens) if name_tokens else 1.0
        where = (point.lat, point.lon) if point is not None else (row.lat, row.lon)
        if lat is not None and lon is not None:
            km = metres(lat, lon, *where) / 1000
            score = 0.5 * coverage + 0.5 / (1 + km)
        else:
            score = 0.9 * coverage
        if hn is not None:
            if point is None:
                score *= 0.8  # the street, but not the number asked for
            elif point.rep != hn.rep:
                score *= 0.95
        base = _place_address(row)
        if point is None:
            return Address(**{**base, "score": score})
        number = HouseNumber(point.number, point.rep).label
        return Address(
            **{
                **base,
                "type": "housenumber",
                "id": point.id,
                "label": label_of(number, row.name, row.postcode, row.city),
                "name": f"{number} {row.name}",
                "housenumber": number,
                "lat": point.lat,
                "lon": point.lon,
                "score": score,
            }
        )

    # --- reverse ------------------------------------------------------------

    def reverse(self, lat: float, lon: float) -> Address | None:
        with self.db.engine.connect() as conn:
            near = self._nearest_point(conn, lat, lon)
            if near is not None:
                d = metres(lat, lon, near.a_lat, near.a_lon)
                if d <= ADDRESS_RADIUS_M:
                    return _point_address(near, 1.0).with_reverse("address", d)
            street = self._street(conn, lat, lon)
        if street is not None:
            return street
        zone = self.zones.locate(lat, lon)
        if zone is None:
            return None
        return zone_address(zone.name, zone.code, lat, lon)

    def _box(self, lat: float, lon: float, radius: float) -> dict[str, Any]:
        dlat = radius / EARTH_M_PER_DEG
        dlon = radius / (EARTH_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
        strips = list(range(strip_of(lon - dlon), strip_of(lon + dlon) + 1))
        return {
            "lat0": lat - dlat,
            "lat1": lat + dlat,
            "lon0": lon - dlon,
            "lon1": lon + dlon,
            "strips": strips,
        }

    def _nearest_point(self, conn: Connection, lat: float, lon: float) -> Any:
        params = {**self._box(lat, lon, ADDRESS_RADIUS_M), "lat": lat, "lon": lon}
        params["k2"] = math.cos(math.radians(lat)) ** 2
        return conn.execute(_NEAREST_POINT, params).first()

    def _street(self, conn: Connection, lat: float, lon: float) -> Address | None:
        rows = conn.execute(_STREETS_NEAR, self._box(lat, lon, STREET_SEARCH_M)).all()
        best: tuple[float, Any] | None = None
        for r in rows:
            d = metres_to_line(lat, lon, json.loads(r.line)) if r.line else metres(lat, lon, r.lat, r.lon)
            if d <= STREET_RADIUS_M and (best is None or d < best[0]):
                best = (d, r)
        if best is None:
            return None
        return Address(**{**_place_address(best[1]), "score": 1.0}).with_reverse("street", best[0])

    # --- by id --------------------------------------------------------------

    def get(self, address_id: str) -> Address | None:
        """An address point by its id, else a street or place by its ref."""
        with self.db.engine.connect() as conn:
            row = conn.execute(_POINT_BY_ID, {"id": address_id}).first()
            if row is not None:
                return _point_address(row, 1.0)
            place = conn.execute(_PLACE_BY_REF, {"id": address_id}).first()
        return Address(**{**_place_address(place), "score": 1.0}) if place is not None else None


def _matches(term: Term, token: str) -> bool:
    if term.prefix and token.startswith(term.text):
        return True
    return token == term.text or token in term.alternatives


def _point_address(row: Any, score: float) -> Address:
    """An address point read with ``_POINT_COLUMNS`` (its place's columns and ``a_…``)."""
    number = HouseNumber(row.number, row.rep).label
    return Address(
        **{
            **_place_address(row),
            "type": "housenumber",
            "id": row.a_id,
            "label": label_of(number, row.name, row.postcode, row.city),
            "name": f"{number} {row.name}",
            "housenumber": number,
            "lat": row.a_lat,
            "lon": row.a_lon,
            "score": score,
        }
    )


def _place_address(row: Any) -> dict[str, Any]:
    street = row.kind == "street"
    return {
        "type": "street" if street else "poi",
        "label": label_of(row.name, row.postcode, row.city),
        "lat": row.lat,
        "lon": row.lon,
        "id": row.ref,
        "name": row.name,
        "street": row.name if street else "",
        "postcode": row.postcode,
        "citycode": row.citycode,
        "city": row.city,
        "category": row.category,
    }


__all__ = ["BuiltinGeocoder"]
