"""Declarative column mappings for ``vigie import requests``.

A mapping is a YAML file that says how the records of a CSV or GeoJSON export
of another system become Vigie reports. It is validated with a JSON Schema and
every problem names the file, line and field at fault. Bundled mappings live in
``mappings/NAME.yaml`` next to this module and are found by name
(``--mapping sf311``); any other value is a path.

.. code-block:: yaml

    format: csv                     # csv | geojson (default: from the file suffix)
    csv: {delimiter: ",", encoding: utf-8-sig}   # utf-8-sig also reads a BOM
    external_id: {column: CaseID, prefix: "sf311:"}  # required: makes re-runs idempotent
    null_values: ["NA"]             # read as missing ("" always is)
    dates:
      formats: ["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p"]  # then ISO 8601
      timezone: America/Los_Angeles # for naive dates (default: the city's)
    location: {lat: Lat, long: Long}  # or {point: Point} for "(lat, long)";
                                      # GeoJSON: the Point geometry by default
    fields:
      service_code:
        columns: [Category, Request.Type]
        join: "/"
        value_map: {"Streetlights": streetlight, "Sewer Issues/Water_leak": water-leak}
        default: general-request
      description: {columns: [Request.Type, Request.Details], join: " — "}
      address: {column: Address}
      requested_at: {column: Opened}
      status: {column: Status, value_map: {Open: acknowledged, Closed: resolved}}
      status_notes: {value: "Imported from SF311"}

A field takes its value from one ``column``, from several ``columns`` joined
with ``join`` (default a space; missing and repeated parts are left out), or
is a constant ``value``. ``value_map`` translates source values: the exact
value first, then shorter and shorter prefixes cut at the separator (``join``
for several columns, else ``/``), so ``Sewer Issues/Flooding`` falls back to
``Sewer Issues``; then ``default``. ``default`` is also the value when the
source is missing. Status values are Vigie statuses; service codes must exist
in the city's catalogue. There is deliberately no target for personal data
(reporter name, e-mail, phone): imported history stays anonymous.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.reports.domain import Status
from vigie.yamlfile import LocatedDocument, Path_, load_located

MAPPINGS_DIR = Path(__file__).parent / "mappings"

TARGETS = (
    "service_code",
    "description",
    "address",
    "requested_at",
    "closed_at",
    "updated_at",
    "status",
    "status_notes",
)
DATE_TARGETS = frozenset({"requested_at", "closed_at", "updated_at"})
STATUSES = tuple(s.value for s in Status)
MAX_EXTERNAL_ID = 128  # reports.external_id is VARCHAR(128)

_COLUMN = {"type": "string", "minLength": 1}
_FIELD: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "column": _COLUMN,
        "columns": {"type": "array", "minItems": 1, "items": _COLUMN},
        "join": {"type": "string"},
        "value": {"type": "string"},
        "value_map": {"type": "object", "additionalProperties": {"type": "string"}},
        "default": {"type": "string"},
    },
}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Vigie import mapping",
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id", "fields"],
    "properties": {
        "description": {"type": "string"},
        "format": {"enum": ["csv", "geojson"]},
        "csv": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
                "encoding": {"type": "string", "minLength": 1},
            },
        },
        "external_id": {
            "type": "object",
            "additionalProperties": False,
            "required": ["column"],
            "properties": {"column": _COLUMN, "prefix": {"type": "string", "maxLength": 64}},
        },
        "null_values": {"type": "array", "items": {"type": "string"}},
        "dates": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "formats": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                },
                "timezone": {"type": "string", "minLength": 1},
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"lat": _COLUMN, "long": _COLUMN, "point": _COLUMN},
        },
        "fields": {
            "type": "object",
            "additionalProperties": False,
            "required": ["service_code"],
            "properties": {t: _FIELD for t in TARGETS},
        },
    },
}

_VALIDATOR = Draft202012Validator(MAPPING_SCHEMA)

# "(37.79, -122.44)" as in DataSF exports, or WKT "POINT (-122.44 37.79)".
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_LAT_LONG = re.compile(rf"^\(?\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)?$")
_WKT_POINT = re.compile(rf"^POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)$", re.IGNORECASE)

Getter = Callable[[str], "str | None"]


class RowError(Exception):
    """A record that cannot become a report; ``field`` is the Vigie field at fault."""

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

    def raw(self, get: Getter) -> str | None:
        if self.value is not None:
            return self.value
        parts: list[str] = []
        for column in self.columns:
            part = get(column)
            if part is not None and part not in parts:
                parts.append(part)
        return self.join.join(parts) if parts else None

    def extract(self, get: Getter) -> str | None:
        raw = self.raw(get)
        if raw is None:
            return self.default
        if self.value_map is None:
            return raw
        mapped = lookup(self.value_map, raw, self.separator)
        if mapped is not None:
            return mapped
        if self.default is not None:
            return self.default
        raise RowError(
            self.target, f"'{raw}' is not in the value_map of {self.target} and it has no default"
        )


def lookup(value_map: dict[str, str], key: str, separator: str = "/") -> str | None:
    """The exact key, then shorter and shorter prefixes cut at ``separator``."""
    while True:
        if key in value_map:
            return value_map[key]
        cut = key.rfind(separator)
        if cut <= 0:
            return None
        key = key[:cut].rstrip()


@dataclass
class MappedRow:
    """One source record translated to Vigie's vocabulary (not yet checked)."""

    external_id: str
    service_code: str | None = None
    description: str = ""
    address: str = ""
    requested_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    status: str | None = None
    status_notes: str = ""
    lat: Any = None
    long: Any = None


@dataclass
class Mapping:
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
            if spec.single_column:
                used.append((spec.columns[0], ("fields", target, "column")))
            else:
                used.extend(
                    (c, ("fields", target, "columns", i)) for i, c in enumerate(spec.columns)
                )
        for key in ("lat", "long", "point"):
            column = getattr(self, f"{key}_column")
            if column:
                used.append((column, ("location", key)))
        return used

    @property
    def has_location_columns(self) -> bool:
        return bool(self.point_column or self.lat_column)

    # --- one record ------------------------------------------------------

    def map_record(self, get: Getter, geometry: Any = None, default_tz: tzinfo = UTC) -> MappedRow:
        """Translate one record; raises :class:`RowError` naming the field at fault."""
        raw_id = get(self.external_id_column)
        if raw_id is None:
            raise RowError("external_id", f"{self.external_id_column} is empty")
        external_id = self.external_id_prefix + raw_id
        if len(external_id) > MAX_EXTERNAL_ID:
            raise RowError("external_id", f"longer than {MAX_EXTERNAL_ID} characters")
        row = MappedRow(external_id=external_id)
        tz = self.timezone or default_tz
        for target, spec in self.fields.items():
            value = spec.extract(get)
            if target in DATE_TARGETS:
                setattr(row, target, self.parse_date(value, target, tz) if value else None)
            elif target == "status":
                if value is not None and value not in STATUSES:
                    raise RowError(
                        "status",
                        f"'{value}' is not a Vigie status (expected: {', '.join(STATUSES)})",
                    )
                row.status = value
            elif target == "service_code":
                row.service_code = value
            else:
                setattr(row, target, value or "")
        if "requested_at" in self.fields and row.requested_at is None:
            raise RowError("requested_at", "no date")
        row.lat, row.long = self.location(get, geometry)
        return row

    def parse_date(self, value: str, target: str, tz: tzinfo) -> datetime:
        parsed: datetime | None = None
        for fmt in self.date_formats:
            try:
                parsed = datetime.strptime(value, fmt)  # naive: the zone is added below
                break
            except ValueError:
                continue
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                formats = " or ".join([f"'{f}'" for f in self.date_formats] + ["ISO 8601"])
                raise RowError(target, f"'{value}' is not a date ({formats})") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise RowError(target, f"'{value}' is out of range") from None

    def location(self, get: Getter, geometry: Any) -> tuple[Any, Any]:
        if self.point_column:
            raw = get(self.point_column)
            if raw is None:
                return None, None
            return parse_point(raw, self.point_column)
        if self.lat_column and self.long_column:
            return get(self.lat_column), get(self.long_column)
        if geometry is None:
            return None, None
        return point_of_geometry(geometry)


def parse_point(raw: str, column: str) -> tuple[float, float]:
    """``(lat, long)`` from "(37.79, -122.44)" or WKT "POINT (-122.44 37.79)"."""
    text = raw.strip()
    m = _LAT_LONG.match(text)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = _WKT_POINT.match(text)
    if m:
        return float(m.group(2)), float(m.group(1))
    raise RowError("lat", f"{column} '{raw}' is not a point '(lat, long)' or 'POINT (long lat)'")


def point_of_geometry(geometry: Any) -> tuple[Any, Any]:
    if not isinstance(geometry, dict):
        raise RowError("lat", "the feature's geometry is not a GeoJSON object")
    kind = geometry.get("type")
    if kind != "Point":
        raise RowError(
            "lat", f"the feature's geometry is a {kind}; only Point features can be imported"
        )
    coords = geometry.get("coordinates")
    if not isinstance(coords, list | tuple) or len(coords) < 2:
        raise RowError("lat", "the feature's Point has no [long, lat] coordinates")
    long, lat = coords[0], coords[1]
    for v in (lat, long):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise RowError("lat", f"the feature's coordinates {coords!r} are not numbers")
    return lat, long


# --- loading ---------------------------------------------------------------


def bundled_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def resolve_mapping_path(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    name = str(name_or_path)
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        bundled = MAPPINGS_DIR / f"{name}.yaml"
        if bundled.is_file():
            return bundled
    known = ", ".join(bundled_mappings()) or "none"
    raise ConfigurationError(
        [
            ConfigProblem(
                name, None, "mapping", f"no such mapping file or bundled mapping (bundled: {known})"
            )
        ]
    )


def _schema_problem(doc: LocatedDocument, err: ValidationError) -> ConfigProblem:
    path: Path_ = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        schema = err.schema if isinstance(err.schema, dict) else {}
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = [k for k in err.instance if k not in allowed]
        if extra:
            hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
            return doc.problem(path + (extra[0],), f"unknown key '{extra[0]}'{hint}")
    return doc.problem(path, err.message)


def _by_line(problem: ConfigProblem) -> int:
    return problem.line or 0


def load_mapping(
    name_or_path: str | Path,
    service_codes: Iterable[str] | None = None,
    text: str | None = None,
) -> Mapping:
    """Load and validate a mapping. ``service_codes`` (the catalogue's) are checked when given."""
    path = Path(name_or_path) if text is not None else resolve_mapping_path(name_or_path)
    doc = load_located(path, text)
    if doc.data is None:
        raise ConfigurationError(
            [ConfigProblem(doc.file, None, "(document)", "the mapping is empty")]
        )
    errors = sorted(
        _VALIDATOR.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]
    )
    problems = [_schema_problem(doc, e) for e in errors]
    if problems:
        raise ConfigurationError(sorted(problems, key=_by_line))
    data: dict[str, Any] = doc.data
    problems = []

    fields: dict[str, FieldSpec] = {}
    for target in TARGETS:
        spec = data["fields"].get(target)
        if spec is None:
            continue
        where: Path_ = ("fields", target)
        sources = [k for k in ("column", "columns", "value") if k in spec]
        if len(sources) != 1:
            problems.append(
                doc.problem(
                    where,
                    "give exactly one of column, columns or value"
                    + (f" (got {', '.join(sources)})" if sources else ""),
                )
            )
            continue
        value_map = None
        if "value_map" in spec:
            value_map = {}
            for key, target_value in spec["value_map"].items():
                if isinstance(key, bool) or key is None:
                    problems.append(
                        doc.problem(
                            where + ("value_map", str(key)),
                            f"YAML reads this key as {key!r}; quote it",
                        )
                    )
                    continue
                value_map[str(key).strip()] = target_value
        columns = (spec["column"],) if "column" in spec else tuple(spec.get("columns", ()))
        fields[target] = FieldSpec(
            target=target,
            columns=columns,
            join=spec.get("join", " "),
            value=spec.get("value"),
            value_map=value_map,
            default=spec.get("default"),
            single_column="column" in spec,
        )
        targets: list[tuple[Path_, str]] = [
            (where + ("value_map", str(k)), v) for k, v in (spec.get("value_map") or {}).items()
        ]
        targets += [(where + (k,), spec[k]) for k in ("value", "default") if k in spec]
        if target == "status":
            for p, v in targets:
                if v not in STATUSES:
                    problems.append(
                        doc.problem(
                            p, f"'{v}' is not a Vigie status (expected: {', '.join(STATUSES)})"
                        )
                    )
        elif target == "service_code" and service_codes is not None:
            known = set(service_codes)
            for p, v in targets:
                if v not in known:
                    problems.append(doc.problem(p, f"unknown service '{v}' (not in the catalogue)"))

    location = data.get("location", {})
    if location:
        has_point = "point" in location
        has_pair = "lat" in location or "long" in location
        if has_point and has_pair:
            problems.append(doc.problem(("location",), "give lat and long, or point, not both"))
        elif has_pair and not ("lat" in location and "long" in location):
            missing = "long" if "lat" in location else "lat"
            problems.append(
                doc.problem(("location",), f"lat and long go together: {missing} is missing")
            )
    elif location == {} and "location" in data:
        problems.append(doc.problem(("location",), "give lat and long, or point"))

    dates = data.get("dates", {})
    tz: ZoneInfo | None = None
    if "timezone" in dates:
        try:
            tz = ZoneInfo(dates["timezone"])
        except Exception:  # ZoneInfo raises several types for a bad key
            problems.append(
                doc.problem(("dates", "timezone"), f"unknown time zone '{dates['timezone']}'")
            )
    for i, fmt in enumerate(dates.get("formats", [])):
        if "%" not in fmt:
            problems.append(
                doc.problem(
                    ("dates", "formats", i), f"'{fmt}' is not a strptime format (e.g. %Y-%m-%d)"
                )
            )

    csv_cfg = data.get("csv", {})
    encoding = csv_cfg.get("encoding", "utf-8-sig")
    try:
        "".encode(encoding)
    except LookupError:
        problems.append(doc.problem(("csv", "encoding"), f"unknown encoding '{encoding}'"))

    if problems:
        raise ConfigurationError(sorted(problems, key=_by_line))
    return Mapping(
        source=doc.file,
        external_id_column=data["external_id"]["column"],
        external_id_prefix=data["external_id"].get("prefix", ""),
        fields=fields,
        format=data.get("format"),
        delimiter=csv_cfg.get("delimiter", ","),
        encoding=encoding,
        null_values=frozenset({""} | {v.strip() for v in data.get("null_values", [])}),
        date_formats=tuple(dates.get("formats", ())),
        timezone=tz,
        lat_column=location.get("lat"),
        long_column=location.get("long"),
        point_column=location.get("point"),
        doc=doc,
    )


__all__ = [
    "Mapping",
    "FieldSpec",
    "MappedRow",
    "RowError",
    "load_mapping",
    "resolve_mapping_path",
    "bundled_mappings",
    "lookup",
    "parse_point",
    "MAPPING_SCHEMA",
]
