"""The gazetteer as addok documents, to load a city's own addok with the same data.

One JSON document per line, as the BAN publishes for addok: a street with
its ``housenumbers`` (``{"12 bis": {"id", "lat", "lon"}}``), or a named place
(``type: poi``). ``vigie addresses export-addok FILE`` writes them;
``addok batch FILE`` loads them (docs/addresses.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import text

from vigie.addresses.text import HouseNumber
from vigie.db import Database

_PLACES = text(
    "SELECT id, ref, kind, name, category, postcode, citycode, city, lat, lon, points "
    "FROM address_places ORDER BY id"
)
_POINTS = text(
    "SELECT id, place_id, number, rep, lat, lon FROM address_points ORDER BY place_id, number, rep"
)


def addok_documents(db: Database) -> Iterator[dict[str, Any]]:
    with db.engine.connect() as conn:
        points = conn.execute(_POINTS)
        pending = next(points, None)
        for place in conn.execute(_PLACES):
            numbers: dict[str, dict[str, Any]] = {}
            while pending is not None and pending.place_id <= place.id:
                if pending.place_id == place.id:
                    label = HouseNumber(pending.number, pending.rep).label
                    numbers[label] = {"id": pending.id, "lat": pending.lat, "lon": pending.lon}
                pending = next(points, None)
            doc: dict[str, Any] = {
                "_id": place.ref,
                "id": place.ref,
                "type": place.kind,
                "name": place.name,
                "postcode": place.postcode,
                "citycode": place.citycode,
                "city": place.city,
                "lat": place.lat,
                "lon": place.lon,
                # addok ranks bigger streets first, as the built-in search does without a centre.
                "importance": round(min(1.0, math.log1p(place.points) / 7), 4),
            }
            if place.category:
                doc["category"] = place.category
            if numbers:
                doc["housenumbers"] = numbers
            yield doc


def write_addok(db: Database, out: TextIO) -> int:
    n = 0
    for doc in addok_documents(db):
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        n += 1
    return n


__all__ = ["addok_documents", "write_addok"]
