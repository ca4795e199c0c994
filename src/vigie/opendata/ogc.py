"""OGC API – Features over published releases: collections, their extent and their items.

Every published dataset with a position (a latitude and a longitude column in
its release) is a collection; its features are the rows of its latest
published release, read by DuckDB — never the live tables, so what the charter
let through is all there is. A feature's id is its row's position in the
release (1, 2, …): stable for that release, renumbered by the next one.

Each release's rows are loaded once into a read-only, locked DuckDB
(``release_tables``): a page is then two statements on memory (the count and
the page) instead of decoding the Parquet file again. Only statements written
here run on it, every value bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigie.digits import is_digits, whole_number
from vigie.errors import BadRequest, NotFound
from vigie.opendata.domain import ColumnKind
from vigie.opendata.explore_engine import quote, time_limit
from vigie.opendata.explore_web import fields_of
from vigie.opendata.queries import Published
from vigie.opendata.release_tables import FID, TABLE, ReleaseTables

if TYPE_CHECKING:  # DuckDB and Arrow come with the release tables' first query
    import duckdb
    import pyarrow as pa

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
TRS_GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000  # the limits of the standard's own example (OGC 17-069r4, 7.15.3)
# The parameters of /items that are not property filters.
ITEM_PARAMS = frozenset({"f", "lang", "bbox", "limit", "offset", "datetime", "apikey", "api_key"})
QUERY_SECONDS = 10.0


class InvalidParameter(BadRequest):
    """A query parameter the API definition does not allow, or with a value it does not accept."""

    error_code = "InvalidParameterValue"


@dataclass(frozen=True)
class Collection:
    """A geographic dataset as OGC API – Features sees it."""

    published: Published
    lat: str
    lon: str
    time: str | None  # the column ``datetime`` filters on, if the release has one
    properties: dict[str, str]  # every other column: name → family (text, number, bool, time)

    @property
    def id(self) -> str:
        return self.published.id


def collection_of(p: Published) -> Collection | None:
    """The collection of a published dataset, or None if its release has no position."""
    fields = fields_of(p)
    kinds = {f.kind: f.name for f in fields}
    position = None
    for lat, lon in (
        (ColumnKind.LATITUDE, ColumnKind.LONGITUDE),
        (ColumnKind.PERSONAL_LATITUDE, ColumnKind.PERSONAL_LONGITUDE),
    ):
        if lat.value in kinds and lon.value in kinds:
            position = (kinds[lat.value], kinds[lon.value])
            break
    if position is None:
        return None
    others = {f.name: f.family for f in fields if f.name not in position}
    time = next((f.name for f in fields if f.kind == ColumnKind.TIME.value and f.family == "time"), None)
    return Collection(p, position[0], position[1], time, others)


# -- the query parameters of /items ------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A closed interval of time; ``end_open`` when the end itself is excluded (a whole day)."""

    start: datetime | None
    end: datetime | None
    end_open: bool = False


@dataclass(frozen=True)
class ItemsQuery:
    bbox: tuple[float, float, float, float] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    interval: Interval | None = None
    equals: tuple[tuple[str, Any], ...] = field(default_factory=tuple)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minx,miny,maxx,maxy`` (or the six numbers of a 3D box) in degrees, WGS 84 longitude first."""
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameter(
            "bbox must be 4 numbers (min longitude, min latitude, max longitude, max latitude), "
            f"got {len(parts)} value(s)"
        )
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameter(f"bbox must be numbers separated by commas, got {text[:80]!r}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter("bbox must be finite numbers")
    minx, miny, maxx, maxy = (
        numbers if len(numbers) == 4 else (numbers[0], numbers[1], numbers[3], numbers[4])
    )
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise InvalidParameter("bbox: longitudes must be between -180 and 180")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidParameter("bbox: latitudes must be between -90 and 90")
    if miny > maxy:
        raise InvalidParameter("bbox: the minimum latitude (2nd value) is above the maximum (4th)")
    return minx, miny, maxx, maxy


def _moment(text: str, *, end: bool) -> tuple[datetime, bool]:
    """An RFC 3339 date-time (UTC if it names no offset), or a date standing for its whole day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return (start + timedelta(days=1), True) if end else (start, False)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidParameter(
            f"datetime: {text[:60]!r} is not an RFC 3339 date-time (2026-03-01T08:00:00Z) or date"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC), False


def parse_datetime(text: str) -> Interval:
    """An instant, or an interval ``start/end`` whose ends may be open (``..`` or empty)."""
    if "/" not in text:
        instant, _ = _moment(text, end=False)
        until, whole_day = _moment(text, end=True)
        return Interval(instant, until, whole_day)
    if text.count("/") > 1:
        raise InvalidParameter("datetime: an interval has one '/'")
    left, right = (x.strip() for x in text.split("/"))
    start: datetime | None = None if left in ("", "..") else _moment(left, end=False)[0]
    stop: datetime | None = None
    open_ = False
    if right not in ("", ".."):
        stop, open_ = _moment(right, end=True)
    if start is None and stop is None:
        raise InvalidParameter("datetime: an interval needs at least one end")
    if start is not None and stop is not None and (stop < start or (open_ and stop == start)):
        raise InvalidParameter("datetime: the interval ends before it starts")
    return Interval(start, stop, open_)


def _int(text: str, name: str) -> int:
    number = whole_number(text)
    if number is None:
        raise InvalidParameter(f"{name} must be a whole number, got {text[:40]!r}")
    return number


def _typed(c: Collection, name: str, text: str) -> Any:
    family = c.properties[name]
    if family == "number":
        try:
            number = float(text)
        except ValueError:
            raise InvalidParameter(f"{name} is a number: {text[:40]!r} is not one") from None
        # A whole number DuckDB's BIGINT holds is compared as one; past it (1e300), as a double.
        return int(number) if number.is_integer() and abs(number) < 2**63 else number
    if family == "bool":
        if text.lower() not in ("true", "false"):
            raise InvalidParameter(f"{name} is true or false, got {text[:40]!r}")
        return text.lower() == "true"
    if family == "time":
        raise InvalidParameter(f"{name} is a moment: filter it with datetime (when it is the time column)")
    return text


def parse_items(c: Collection, params: Mapping[str, list[str]]) -> ItemsQuery:
    """The parameters of a request for items, each checked (a 400 names the one at fault)."""
    allowed = ITEM_PARAMS | set(c.properties)
    for key, values in params.items():
        if key not in allowed:
            names = ", ".join(sorted((ITEM_PARAMS - {"apikey", "api_key"}) | set(c.properties)))
            raise InvalidParameter(f"unknown parameter {key[:40]!r} (accepted here: {names})")
        if len(values) > 1:
            raise InvalidParameter(f"{key} is given more than once")
    one = {k: v[0] for k, v in params.items()}
    limit = _int(one["limit"], "limit") if "limit" in one else DEFAULT_LIMIT
    if limit < 1:
        raise InvalidParameter(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    # Above the maximum is no error: the maximum is used (OGC 17-069r4, /req/core/fc-limit-response-1).
    limit = min(limit, MAX_LIMIT)
    offset = _int(one["offset"], "offset") if "offset" in one else 0
    if not 0 <= offset < 2**63:  # DuckDB's OFFSET is a BIGINT
        raise InvalidParameter(f"offset must be from 0 to {2**63 - 1}, got {offset}")
    interval = None
    if "datetime" in one:
        if c.time is None:
            raise InvalidParameter(f"collection {c.id!r} has no time column: datetime cannot filter it")
        interval = parse_datetime(one["datetime"])
    equals = tuple((k, _typed(c, k, v)) for k, v in one.items() if k not in ITEM_PARAMS and k in c.properties)
    return ItemsQuery(
        bbox=parse_bbox(one["bbox"]) if "bbox" in one else None,
        limit=limit,
        offset=offset,
        interval=interval,
        equals=equals,
    )


def _where(c: Collection, q: ItemsQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if q.bbox is not None:
        minx, miny, maxx, maxy = q.bbox
        lat, lon = quote(c.lat), quote(c.lon)
        if minx <= maxx:
            clauses.append(f"{lon} BETWEEN ? AND ?")
        else:  # the box crosses the antimeridian
            clauses.append(f"({lon} >= ? OR {lon} <= ?)")
        clauses.append(f"{lat} BETWEEN ? AND ?")
        params += [minx, maxx, miny, maxy]
    if q.interval is not None and c.time is not None:
        # Compared as UTC moments: the releases store UTC (naive timestamps, or dates).
        column = f"CAST({quote(c.time)} AS TIMESTAMP)"
        if q.interval.start is not None:
            clauses.append(f"{column} >= ?")
            params.append(q.interval.start.replace(tzinfo=None))
        if q.interval.end is not None:
            clauses.append(f"{column} {'<' if q.interval.end_open else '<='} ?")
            params.append(q.interval.end.replace(tzinfo=None))
    for name, value in q.equals:
        clauses.append(f"{quote(name)} = ?")
        params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


# -- the releases' rows (loaded once by release_tables) ----------------------------------------


@dataclass(frozen=True)
class Extent:
    bbox: tuple[float, float, float, float] | None
    start: datetime | None
    end: datetime | None


def extent(tables: ReleaseTables, c: Collection, path: Path) -> Extent:
    """The box of the release's points and the span of its time column (computed once per release)."""

    def compute(cur: duckdb.DuckDBPyConnection) -> Extent:
        lat, lon = quote(c.lat), quote(c.lon)
        time = f"min({quote(c.time)}), max({quote(c.time)})" if c.time else "NULL, NULL"
        sql = f"SELECT min({lon}), min({lat}), max({lon}), max({lat}), {time} FROM {TABLE}"  # noqa: S608 - quoted names of the release
        row = cur.sql(sql).fetchall()[0]
        bbox = (float(row[0]), float(row[1]), float(row[2]), float(row[3])) if row[0] is not None else None
        return Extent(bbox, _as_datetime(row[4]), _as_datetime(row[5]))

    found: Extent = tables.memo(c.published.release, path, f"ogc-extent:{c.lat}:{c.lon}:{c.time}", compute)
    return found


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


@dataclass(frozen=True)
class Page:
    matched: int
    rows: pa.Table


def items(tables: ReleaseTables, c: Collection, path: Path, q: ItemsQuery) -> Page:
    """The features matching ``q``, in the release's order, one page of them."""
    where, params = _where(c, q)
    with tables.cursor(c.published.release, path) as cur, time_limit(cur, QUERY_SECONDS):
        count = cur.sql(f"SELECT count(*) FROM {TABLE}{where}", params=params or None).fetchall()[0]  # noqa: S608 - parsed parameters, bound values
        page = cur.sql(
            f"SELECT * FROM {TABLE}{where} ORDER BY {FID} LIMIT ? OFFSET ?",  # noqa: S608 - as above
            params=[*params, q.limit, q.offset],
        ).to_arrow_table()
    return Page(int(count[0]), page)


def item(tables: ReleaseTables, c: Collection, path: Path, feature_id: str) -> dict[str, Any]:
    """One feature by its id (its row's position in the release)."""
    if not is_digits(feature_id) or len(feature_id) > 12:
        raise NotFound(f"no feature {feature_id[:40]!r} in collection {c.id!r} (ids are row numbers)")
    with tables.cursor(c.published.release, path) as cur:
        table = cur.sql(f"SELECT * FROM {TABLE} WHERE {FID} = ?", params=[int(feature_id)]).to_arrow_table()  # noqa: S608 - bound id
    found = features(c, table)
    if not found:
        raise NotFound(f"no feature {feature_id!r} in collection {c.id!r}")
    return found[0]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def features(c: Collection, table: pa.Table) -> list[dict[str, Any]]:
    """GeoJSON features of rows (longitude first, as GeoJSON and CRS84 have it)."""
    out = []
    for row in table.to_pylist():
        fid = row.pop(FID)
        lat, lon = row.pop(c.lat), row.pop(c.lon)
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        )
        out.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": geometry,
                "properties": {k: _plain(v) for k, v in row.items()},
            }
        )
    return out


__all__ = [
    "CRS84",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Collection",
    "Extent",
    "InvalidParameter",
    "ItemsQuery",
    "Page",
    "collection_of",
    "extent",
    "features",
    "item",
    "items",
    "parse_bbox",
    "parse_datetime",
    "parse_items",
]
