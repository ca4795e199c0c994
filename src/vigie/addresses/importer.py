"""``vigie import addresses FILE``: fill the gazetteer from a BAN CSV or a mapped file.

The BAN's CSV (``adresses-21.csv`` for Côte-d'Or: ``id;id_fantoir;numero;rep;
nom_voie;code_postal;code_insee;nom_commune;…;lon;lat;…``) is read as it is;
any other CSV or GeoJSON goes through a declarative mapping
(:mod:`vigie.addresses.mapping`). Records are grouped into places and points
(:mod:`vigie.addresses.gazetteer`), then written set-based in one
transaction that first removes what the same ``source`` brought before:
importing a file again replaces it, never duplicates it.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select, text

from vigie import cacheversions
from vigie.addresses.domain import cell_of, strip_of
from vigie.addresses.gazetteer import AddressRecord, Gazetteer, Place, Point
from vigie.addresses.geocoder import forget_points
from vigie.addresses.mapping import AddressMapping, load_address_mapping
from vigie.addresses.pointgrid import VERSION_NAME
from vigie.addresses.storage import AddressPlaceRow, AddressPointRow, AddressTokenRow, AddressTokenStatRow
from vigie.addresses.text import HouseNumber, parse_housenumber, proper_case
from vigie.city.zones import ZoneIndex
from vigie.errors import ConfigProblem, ConfigurationError
from vigie.runtime import Vigie
from vigie.sources.mapping import Getter, RowError
from vigie.sources.reading import open_source, progress_bar

BAN_COLUMNS = (
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "lon",
    "lat",
)
SHOWN_FAILURES = 20
_CHUNK = 10_000
Advance = Callable[[int], None]


@dataclass
class AddressImportResult:
    file: str
    source: str
    unit: str = "line"
    read: int = 0
    points: int = 0
    places: int = 0
    merged: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    elapsed: float = 0.0

    def where(self, position: int) -> str:
        return f"line {position}" if self.unit == "line" else f"features[{position}]"

    def summary_lines(self, shown: int = SHOWN_FAILURES) -> list[str]:
        lines = [
            f"{self.file}: {self.read} records read in {self.elapsed:.1f} s (source {self.source})",
            f"  addresses: {self.points} (records at an address already seen: {self.merged})",
            f"  streets and places: {self.places}",
            f"  left out: {len(self.skipped)}",
        ]
        lines += [f"  {self.where(p)}: {reason}" for p, reason in self.skipped[:shown]]
        if len(self.skipped) > shown:
            lines.append(f"  … and {len(self.skipped) - shown} more")
        return lines


# --- reading ----------------------------------------------------------------


def _coordinate(raw: str | None, name: str, low: float, high: float) -> float:
    try:
        value = float(raw) if raw is not None else math.nan
    except ValueError:
        raise RowError(name, f"'{raw}' is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise RowError(name, f"'{raw}' is not a {name} between {low:g} and {high:g}")
    return value


def read_ban(path: Path, result: AddressImportResult) -> Iterator[AddressRecord]:
    """The records of a BAN CSV (``;``-separated, UTF-8, header on the first line)."""
    try:
        f = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigurationError(
            [ConfigProblem(str(path), None, "(file)", exc.strerror or str(exc))]
        ) from exc
    with f:
        reader = csv.reader(f, delimiter=";")
        header = next(reader, [])
        missing = [c for c in BAN_COLUMNS if c not in header]
        if missing:
            raise ConfigurationError(
                [
                    ConfigProblem(
                        str(path),
                        1,
                        "(header)",
                        f"not a BAN addresses CSV: no column {', '.join(missing)} "
                        "(give --mapping for another format)",
                    )
                ]
            )
        i = {c: header.index(c) for c in BAN_COLUMNS}
        width = max(i.values()) + 1
        iid, ifa, inum, irep, ivoie, icp, iinsee, icom, ilon, ilat = (i[c] for c in BAN_COLUMNS)
        numbers: dict[tuple[str, str], HouseNumber | None] = {}
        try:
            for row in reader:
                result.read += 1
                line = reader.line_num
                if len(row) < width:
                    result.skipped.append((line, f"{len(row)} columns, expected at least {width}"))
                    continue
                try:
                    lat = _coordinate(row[ilat], "lat", -90, 90)
                    lon = _coordinate(row[ilon], "lon", -180, 180)
                except RowError as exc:
                    result.skipped.append((line, str(exc)))
                    continue
                nk = (row[inum], row[irep])
                if nk in numbers:
                    number = numbers[nk]
                else:
                    number = numbers[nk] = parse_housenumber(f"{row[inum]} {row[irep]}".strip())
                name = row[ivoie].strip()
                if number is None or not name:
                    result.skipped.append((line, f"numero '{row[inum]}' or nom_voie '{name}' is not usable"))
                    continue
                yield AddressRecord(
                    "housenumber",
                    name,
                    lat,
                    lon,
                    number,
                    row[icp],
                    row[iinsee],
                    row[icom],
                    "",
                    row[iid][:128],
                    row[ifa][:128],
                )
        except csv.Error as exc:
            raise ConfigurationError([ConfigProblem(str(path), reader.line_num, "(csv)", str(exc))]) from exc
        except UnicodeDecodeError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(path), reader.line_num, "(file)", f"not UTF-8: {exc.reason}")]
            ) from exc


def read_mapped(
    path: Path, mapping: AddressMapping, zones: ZoneIndex, result: AddressImportResult
) -> Iterator[AddressRecord]:
    source = open_source(path, mapping)
    result.unit = source.unit
    for rec in source.records():
        result.read += 1
        if rec.error:
            result.skipped.append((rec.position, rec.error))
            continue
        try:
            yield _mapped_record(mapping, zones, rec.get, rec.geometry)
        except RowError as exc:
            result.skipped.append((rec.position, str(exc)))


def _mapped_record(mapping: AddressMapping, zones: ZoneIndex, get: Getter, geometry: Any) -> AddressRecord:
    values = mapping.values(get)
    raw_lat, raw_lon = mapping.location(get, geometry)
    lat = _coordinate(None if raw_lat is None else str(raw_lat), "lat", -90, 90)
    lon = _coordinate(None if raw_lon is None else str(raw_lon), "lon", -180, 180)
    citycode, city = values.get("citycode") or "", values.get("city") or ""
    if not citycode or not city:
        zone = zones.locate(lat, lon)
        if zone is None and not citycode:
            raise RowError("citycode", "no commune given and the point is in no zone of the city")
        if zone is not None:
            citycode, city = citycode or zone.code, city or zone.name
    if mapping.kind == "poi":
        name = (values.get("name") or "").strip()
        if not name:
            raise RowError("name", "empty")
        return AddressRecord(
            "poi",
            name,
            lat,
            lon,
            None,
            values.get("postcode") or "",
            citycode,
            city,
            values.get("category") or "",
        )
    street = proper_case((values.get("street") or "").strip())
    if not street:
        raise RowError("street", "empty")
    raw_number = values.get("housenumber")
    number = parse_housenumber(raw_number)
    if number is None:
        raise RowError("housenumber", f"'{raw_number or ''}' is not a house number")
    return AddressRecord(
        "housenumber", street, lat, lon, number, values.get("postcode") or "", citycode, proper_case(city)
    )


# --- writing ----------------------------------------------------------------


def _write(conn: Connection, source: str, gaz: Gazetteer, advance: Advance | None) -> tuple[int, int]:
    pg = conn.dialect.name == "postgresql"
    if pg:  # place ids come from max(id): one import at a time
        conn.execute(text("LOCK TABLE address_places IN EXCLUSIVE MODE"))
    P, A, T = (cast(Table, r.__table__) for r in (AddressPlaceRow, AddressPointRow, AddressTokenRow))
    old = select(P.c.id).where(P.c.source == source).scalar_subquery()
    conn.execute(delete(T).where(T.c.place_id.in_(old)))
    conn.execute(delete(A).where(A.c.source == source))
    conn.execute(delete(P).where(P.c.source == source))
    next_id = (conn.scalar(select(func.max(P.c.id))) or 0) + 1
    places: list[dict[str, object]] = []
    points: list[tuple[Any, ...]] = []
    tokens: list[tuple[Any, ...]] = []
    for place_id, place in enumerate(gaz.places.values(), start=next_id):
        pts: list[Point] = place.points()
        words = place.tokens()
        row = _place_row(place_id, source, place, pts, words)
        places.append(row)
        cell = cell_of(float(row["lat"]), float(row["lon"]))  # type: ignore[arg-type]
        tokens.extend((t[:64], place_id, cell) for t in words)
        points.extend((p.id, source, place_id, p.number, p.rep, p.lat, p.lon, strip_of(p.lon)) for p in pts)
    for start in range(0, len(places), _CHUNK):
        conn.execute(insert(P), places[start : start + _CHUNK])
    point_columns = ("id", "source", "place_id", "number", "rep", "lat", "lon", "strip")
    _bulk(conn, "address_points", point_columns, points, advance)
    _bulk(conn, "address_tokens", ("token", "place_id", "cell"), tokens, None)
    # Counts over every source: a word's rarity is what the search starts from.
    S = cast(Table, AddressTokenStatRow.__table__)
    conn.execute(delete(S))
    conn.execute(
        insert(S).from_select(["token", "places"], select(T.c.token, func.count()).group_by(T.c.token))
    )
    return len(places), len(points)


def _bulk(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    advance: Advance | None,
) -> None:
    """Rows in bulk: COPY on PostgreSQL, one prepared INSERT run over all rows on SQLite."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for n, row in enumerate(rows, 1):
                    copy.write_row(row)
                    if advance and n % _CHUNK == 0:
                        advance(_CHUNK)
        else:
            marks = ", ".join("?" for _ in columns)
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)  # noqa: S608 - our own names
                if advance:
                    advance(len(chunk))
    finally:
        cursor.close()


def _place_row(
    place_id: int, source: str, place: Place, points: list[Point], tokens: list[str]
) -> dict[str, object]:
    return {
        "id": place_id,
        "source": source,
        "ref": place.ref,
        "kind": "poi" if place.kind == "poi" else "street",
        "name": place.name[:200],
        "category": place.category[:64],
        "postcode": place.postcode[:10],
        "citycode": place.citycode[:10],
        "city": place.city[:100],
        "points": len(points),
        "tokens": " " + " ".join(tokens) + " ",
        **place.geometry(points),
    }


def do_import_addresses(
    v: Vigie,
    path: Path,
    mapping: str | Path | None = None,
    source: str | None = None,
    progress: bool = False,
) -> AddressImportResult:
    """Read ``path`` (BAN CSV, or any file with ``mapping``) and replace the source's gazetteer rows."""
    started = time.perf_counter()
    if not path.is_file():
        raise ConfigurationError([ConfigProblem(str(path), None, "(file)", "no such file")])
    name = (source or path.stem).strip()[:64]
    if not name:
        raise ConfigurationError([ConfigProblem(str(path), None, "--source", "a source name is required")])
    result = AddressImportResult(file=path.name, source=name)
    gaz = Gazetteer()
    if mapping is None:
        if path.suffix.lower() in (".geojson", ".json"):
            raise ConfigurationError(
                [
                    ConfigProblem(
                        str(path), None, "--mapping", "a GeoJSON file needs --mapping (see docs/addresses.md)"
                    )
                ]
            )
        gaz.extend(read_ban(path, result))
    else:
        loaded = load_address_mapping(mapping)
        gaz.extend(read_mapped(path, loaded, v.city.zones, result))
    result.merged = gaz.merged
    total = sum(len(p._points) for p in gaz.places.values())
    with progress_bar(progress, total, f"{path.name} ({name})") as advance, v.db.write_engine.begin() as conn:
        result.places, result.points = _write(conn, name, gaz, advance)
        # Every process's reverse geocoding reads the points again (vigie.addresses.pointgrid).
        cacheversions.bump(conn, VERSION_NAME)
    forget_points(v)  # this process's at once
    result.elapsed = time.perf_counter() - started
    return result


__all__ = ["AddressImportResult", "BAN_COLUMNS", "do_import_addresses", "read_ban", "read_mapped"]
