"""The source side of a declarative import mapping, shared by every importer.

A mapping is a YAML file that says how the records of a CSV or GeoJSON export
become Vigie objects: reports (:mod:`vigie.importer.mapping`) or assets
(:mod:`vigie.assets.mapping`). Both read their source the same way:

- :class:`SourceMapping`: the sections ``format``, ``csv``, ``external_id``,
  ``null_values``, ``dates`` and ``location``, and the columns they read;
- :class:`FieldSpec`: a field that takes its value from one ``column``, several
  ``columns`` joined with ``join``, or a constant ``value``, translated by
  ``value_map`` (:func:`lookup`) with ``default``;
- points from a ``lat``/``long`` pair of columns, a ``point`` column holding
  "(lat, long)", WKT, a GeoJSON geometry or a JSON / Python-literal object, or
  a GeoJSON feature's Point (:func:`parse_point`, :func:`point_of_geometry`).

A record that cannot be mapped raises :class:`RowError` naming the field.
Loading and checking a mapping file is in :mod:`vigie.sources.loader`.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vigie.errors import ConfigProblem
from vigie.yamlfile import LocatedDocument, Path_

MAX_EXTERNAL_ID = 128  # reports.external_id and assets.external_id are VARCHAR(128)

Getter = Callable[[str], "str | None"]

# "(37.79, -122.44)" as in DataSF exports, or WKT "POINT (-122.44 37.79)".
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_LAT_LONG = re.compile(rf"^\(?\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)?$")
_WKT_POINT = re.compile(rf"^POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)$", re.IGNORECASE)


# Formats whose strptime reading is datetime.fromisoformat's, for values of exactly that shape.
_ISO_FORMATS = {
    "%Y-%m-%d %H:%M:%S": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"),
    "%Y-%m-%dT%H:%M:%S": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$"),
    "%Y-%m-%d %H:%M": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"),
    "%Y-%m-%d": re.compile(r"^\d{4}-\d\d-\d\d$"),
}


class RowError(Exception):
    """A record that cannot be imported; ``field`` is the Vigie field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class FieldSpec:
    target: str
    columns: tuple[str, ...] = ()
    join: str = " "
    value: str | None = None
    value_map: dict[str, str] | None = None
    default: str | None = None
    single_column: bool = False  # written `column:` rather than `columns:`

    @property
    def separator(self) -> str:
        return self.join if len(self.columns) > 1 and self.join else "/"

    def sources(self, where: Path_) -> list[tuple[str, Path_]]:
        """The columns this field reads, with where each is named (``where`` is the field's path)."""
        if self.single_column:
            return [(self.columns[0], where + ("column",))]
        return [(c, where + ("columns", i)) for i, c in enumerate(self.columns)]

    def raw(self, get: Getter) -> str | None:
        if self.value is not None:
            return self.value
        parts: list[str] = []
        for column in self.columns:
            part = get(column)
            if part is not None and part not in parts:
                parts.append(part)
        return self.join.join(parts) if parts else None

    def extractor(self) -> Callable[[Getter], str | None]:
        """:meth:`extract` for this spec, specialised once: one column without joining, and
        without ``value_map`` if it has none (what most fields are)."""
        if self.value is not None or len(self.columns) != 1:
            return self.extract
        column, default = self.columns[0], self.default
        if self.value_map is None:

            def plain(get: Getter) -> str | None:
                value = get(column)
                return default if value is None else value

            return plain
        translate = self.translate

        def mapped(get: Getter) -> str | None:
            value = get(column)
            return default if value is None else translate(value)

        return mapped

    def extract(self, get: Getter) -> str | None:
        raw = self.raw(get)
        if raw is None:
            return self.default
        return self.translate(raw)

    def translate(self, raw: str) -> str | None:
        """``raw`` through ``value_map``, else ``default``; :class:`RowError` when neither has it."""
        if self.value_map is None:
            return raw
        mapped = lookup(self.value_map, raw, self.separator)
        if mapped is not None:
            return mapped
        if self.default is not None:
            return self.default
        raise RowError(self.target, f"'{raw}' is not in the value_map of {self.target} and it has no default")


def lookup(value_map: dict[str, str], key: str, separator: str = "/") -> str | None:
    """The exact key, then shorter and shorter prefixes cut at ``separator``."""
    while True:
        if key in value_map:
            return value_map[key]
        cut = key.rfind(separator)
        if cut <= 0:
            return None
        key = key[:cut].rstrip()


LAT_KEYS = ("lat", "latitude", "y")
LONG_KEYS = ("lon", "long", "lng", "longitude", "x")


def parse_point(raw: str, column: str, keys: tuple[str, str] | None = None) -> tuple[Any, Any]:
    """``(lat, long)`` from any of the point shapes exports use, told apart by their text.

    - "(37.79, -122.44)" or "37.79, -122.44": latitude first (DataSF);
    - WKT "POINT (-122.44 37.79)": longitude first;
    - a GeoJSON geometry ``{"type": "Point", "coordinates": [-122.44, 37.79]}``;
    - a JSON object or a Python dict literal ``{'lon': 2.33, 'lat': 48.88}`` (what
      pandas writes for a dict column): its keys are ``keys`` (lat, long) when
      given, else the usual names (lat/latitude/y and lon/long/lng/longitude/x).
    """
    text = raw.strip()
    if text.startswith("{"):
        return _point_of_object(text, column, keys)
    m = _LAT_LONG.match(text)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = _WKT_POINT.match(text)
    if m:
        return float(m.group(2)), float(m.group(1))
    raise RowError(
        "lat",
        f"{column} '{raw}' is not a point: '(lat, long)', 'POINT (long lat)', "
        "a GeoJSON geometry or a {lat, long} object",
    )


# A flat object of numbers, quoted either way: {'lon': 2.33, 'lat': 48.88} or {"lat": 48.88, ...}.
# Read with a regular expression: literal_eval parses and compiles, ten times the cost.
_FLAT_OBJECT = re.compile(rf"^\{{\s*(?:(['\"])\w+\1\s*:\s*{_NUMBER}\s*(?:,\s*|(?=\}})))+\}}$")
_PAIR = re.compile(rf"(['\"])(\w+)\1\s*:\s*({_NUMBER})")


# The common case of those, two numbers, in one match (finditer and a dict cost twice this).
_KEY_NUMBER = r"""(['"])(\w+)\{}\s*:\s*(""" + _NUMBER + ")"
_TWO_NUMBERS = re.compile(r"^\{\s*" + _KEY_NUMBER.format(1) + r"\s*,\s*" + _KEY_NUMBER.format(4) + r"\s*\}$")


def _point_of_object(text: str, column: str, keys: tuple[str, str] | None) -> tuple[Any, Any]:
    two = _TWO_NUMBERS.match(text)
    if two is not None:
        first, second = two.group(2), two.group(5)
        if first != second:  # {'lat': 1, 'lat': 2}: the dict below keeps the last
            value: Any = {first: float(two.group(3)), second: float(two.group(6))}
            return _point_of_keys(value, text, column, keys)
    if _FLAT_OBJECT.match(text):
        value = {m.group(2): float(m.group(3)) for m in _PAIR.finditer(text)}
        return _point_of_keys(value, text, column, keys)
    try:
        value = json.loads(text)
    except ValueError:
        try:  # a Python literal: single quotes, True/None; never evaluated as code
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise RowError("lat", f"{column} '{text[:80]}' is neither JSON nor a Python dict") from None
    if not isinstance(value, dict):
        raise RowError("lat", f"{column} '{text[:80]}' is not an object")
    if "coordinates" in value or "type" in value:
        return point_of_geometry(value, column)
    return _point_of_keys(value, text, column, keys)


def _point_of_keys(
    value: dict[Any, Any], text: str, column: str, keys: tuple[str, str] | None
) -> tuple[Any, Any]:
    lat_keys, long_keys = ((keys[0],), (keys[1],)) if keys else (LAT_KEYS, LONG_KEYS)
    lower = {str(k).lower(): v for k, v in value.items()} if keys is None else value
    lat, long = _first(lower, lat_keys), _first(lower, long_keys)
    if lat is None or long is None:
        wanted = f"'{keys[0]}' and '{keys[1]}'" if keys else "latitude (lat) and longitude (lon)"
        raise RowError("lat", f"{column} '{text[:80]}' has no {wanted}")
    return lat, long


def _first(values: dict[Any, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` present (a loop: a generator cost more than the rest
    of reading the point)."""
    for key in keys:
        if key in values:
            return values[key]
    return None


def point_of_geometry(geometry: Any, where: str = "the feature's geometry") -> tuple[Any, Any]:
    if not isinstance(geometry, dict):
        raise RowError("lat", f"{where} is not a GeoJSON object")
    kind = geometry.get("type")
    if kind != "Point":
        raise RowError("lat", f"{where} is a {kind}; only Point features can be imported")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list | tuple) or len(coords) < 2:
        raise RowError("lat", f"{where}: the Point has no [long, lat] coordinates")
    long, lat = coords[0], coords[1]
    for v in (lat, long):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise RowError("lat", f"{where}: the coordinates {coords!r} are not numbers")
    return lat, long


@dataclass
class SourceMapping:
    """How to read a source file: format, external id, fields, dates, location."""

    source: str
    external_id_column: str
    fields: dict[str, FieldSpec]
    format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    external_id_prefix: str = ""
    null_values: frozenset[str] = frozenset({""})
    date_formats: tuple[str, ...] = ()
    timezone: ZoneInfo | None = None
    lat_column: str | None = None
    long_column: str | None = None
    point_column: str | None = None
    point_keys: tuple[str, str] | None = None  # the lat and long keys of an object point
    doc: LocatedDocument | None = field(default=None, repr=False)

    def line_of(self, path: Path_) -> int | None:
        return self.doc.line_of(path) if self.doc else None

    def problem(self, path: Path_, message: str) -> ConfigProblem:
        if self.doc is not None:
            return self.doc.problem(path, message)
        return ConfigProblem(self.source, None, ".".join(str(p) for p in path), message)

    def columns(self) -> list[tuple[str, Path_]]:
        """Every source column the mapping reads, with where it is named."""
        used: list[tuple[str, Path_]] = [(self.external_id_column, ("external_id", "column"))]
        for target, spec in self.fields.items():
            used.extend(spec.sources(("fields", target)))
        for key in ("lat", "long", "point"):
            column = getattr(self, f"{key}_column")
            if column:
                used.append((column, ("location", key)))
        return used

    @property
    def has_location_columns(self) -> bool:
        return bool(self.point_column or self.lat_column)

    def external_id(self, get: Getter) -> str:
        """The record's prefixed external id; raises :class:`RowError` if it has none."""
        raw_id = get(self.external_id_column)
        if raw_id is None:
            raise RowError("external_id", f"{self.external_id_column} is empty")
        external_id = self.external_id_prefix + raw_id
        if len(external_id) > MAX_EXTERNAL_ID:
            raise RowError("external_id", f"longer than {MAX_EXTERNAL_ID} characters")
        return external_id

    def strptime(self, value: str) -> datetime | None:
        """``value`` read with the first of ``dates.formats`` that fits (naive), else None."""
        for fmt in self.date_formats:
            if fmt in _ISO_FORMATS and _ISO_FORMATS[fmt].match(value):
                # The same reading as strptime's for these formats, at a tenth of its cost.
                try:
                    return datetime.fromisoformat(value)
                except ValueError:
                    continue  # "2019-13-02": not a date in this format either
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
        return None

    def not_a_date(self, target: str, value: str) -> RowError:
        formats = " or ".join([f"'{f}'" for f in self.date_formats] + ["ISO 8601"])
        return RowError(target, f"'{value}' is not a date ({formats})")

    def location_source(self) -> str:
        """Where a record's point is read, in words: for the problem of a record without one."""
        if self.point_column:
            return f"column '{self.point_column}'"
        if self.lat_column and self.long_column:
            return f"columns '{self.lat_column}' and '{self.long_column}'"
        return "the feature's geometry"

    def location(self, get: Getter, geometry: Any) -> tuple[Any, Any]:
        if self.point_column:
            raw = get(self.point_column)
            if raw is None:
                return None, None
            return parse_point(raw, self.point_column, self.point_keys)
        if self.lat_column and self.long_column:
            return get(self.lat_column), get(self.long_column)
        if geometry is None:
            return None, None
        return point_of_geometry(geometry)


__all__ = [
    "MAX_EXTERNAL_ID",
    "Getter",
    "RowError",
    "FieldSpec",
    "SourceMapping",
    "lookup",
    "parse_point",
    "point_of_geometry",
]
